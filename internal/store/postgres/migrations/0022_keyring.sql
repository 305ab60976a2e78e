-- The keyring of a cluster: the servers' own keys (media, evidence, guardian
-- codes, franking), each sealed under the key-encryption key every server is
-- given (docs/scaling.md, "Keys"), with its name as associated data. The row
-- named "kek-check" proves the key-encryption key and is the lock that
-- serialises every change. created_at is Unix microseconds.
CREATE TABLE keyring (
	name TEXT PRIMARY KEY,
	created_at BIGINT NOT NULL,
	sealed BYTEA NOT NULL
);
