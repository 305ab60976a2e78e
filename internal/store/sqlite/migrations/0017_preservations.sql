-- 0016_preservations: what the later life of an account needs. A teen's
-- recovery codes are stored as SHA-256 hashes, each usable once (used_at
-- set when spent; a new set replaces the old). A preservation is a police
-- request to keep an account's data for a period (reference, agency, who
-- recorded it, until when; extended by moving expires_at). A deleted
-- account notes when it was deleted (deleted_at) and whether data beyond
-- its tombstone is still kept (retained: 1, its details and last login, for
-- a report of a message it sent; 2, more, what a case or a preservation
-- holds; 0, nothing), which retention erases once nothing keeps it. The
-- PostgreSQL migration of the same number is the same.

CREATE TABLE recovery_codes (
	account_id INTEGER NOT NULL,
	code_hash BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	used_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account_id, code_hash)
) STRICT;

CREATE TABLE preservations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL,
	reference TEXT NOT NULL,
	agency TEXT NOT NULL,
	recorded_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX preservations_account ON preservations (account_id, expires_at);

ALTER TABLE accounts ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN retained INTEGER NOT NULL DEFAULT 0;
