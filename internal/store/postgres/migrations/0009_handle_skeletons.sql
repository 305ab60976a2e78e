-- 0009_handle_skeletons: what sign-up needs to keep handles apart from their
-- lookalikes (see safeguard.HandleSkeleton and docs/threat-model.md, "Sign-up
-- and handles"). nickname_key is the lower-cased nickname (the handle without
-- its final dot and digits), nickname_skeleton the skeleton of the nickname,
-- skeleton the skeleton of the whole handle, unique: no two handles look
-- alike. The SQLite migration of the same number is the same.
--
-- Accounts made earlier keep their handles. Their columns are computed here
-- with the SQL form of HandleSkeleton (lower case, m → rn, 0 → o, 1 and i →
-- l), which is all it does for the ASCII handles have always been. Where two
-- earlier handles already look alike, the later keeps its skeleton with '#'
-- and its id after it: still unique, and still never equal to a new one.

ALTER TABLE accounts ADD COLUMN nickname_key TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN nickname_skeleton TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN skeleton TEXT NOT NULL DEFAULT '';

UPDATE accounts SET nickname_key = CASE
	WHEN rtrim(handle_key, '0123456789') <> handle_key AND rtrim(handle_key, '0123456789') LIKE '_%.'
	THEN substr(handle_key, 1, length(rtrim(handle_key, '0123456789')) - 1)
	ELSE handle_key END;
UPDATE accounts SET
	nickname_skeleton = replace(replace(replace(replace(nickname_key, 'm', 'rn'), '0', 'o'), '1', 'l'), 'i', 'l'),
	skeleton = replace(replace(replace(replace(handle_key, 'm', 'rn'), '0', 'o'), '1', 'l'), 'i', 'l');
UPDATE accounts SET skeleton = skeleton || '#' || id
	WHERE EXISTS (SELECT 1 FROM accounts b WHERE b.skeleton = accounts.skeleton AND b.id < accounts.id);

CREATE UNIQUE INDEX accounts_skeleton ON accounts (skeleton);
CREATE INDEX accounts_nickname_skeleton ON accounts (nickname_skeleton);
