-- 0013_second_guardian: a child may have two guardians. The first stays in
-- guardian_id; the second, linked with a code the first gives out, is in
-- second_guardian_id (0 if none). A second guardian is never kept without
-- a first: when the first goes, the second takes its place. The SQLite
-- migration of the same number is the same.

ALTER TABLE accounts ADD COLUMN second_guardian_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX accounts_second_guardian ON accounts (second_guardian_id) WHERE second_guardian_id <> 0;
