-- 0011_account_life: what the account's own life needs. A session records
-- the app it was opened through and when it was last used (touched at most
-- once a minute), so that its holder can tell their sessions apart. A
-- password reset is a one-time code an operator gives out: only its hash is
-- stored, one per account, and it is deleted when used. The SQLite
-- migration of the same number is the same.

ALTER TABLE sessions ADD COLUMN app TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE password_resets (
	account_id BIGINT PRIMARY KEY,
	code_hash BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
