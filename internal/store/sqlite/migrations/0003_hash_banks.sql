-- 0003_hash_banks: hash banks of known images with their provenance, the
-- imports that added their entries, the entries, removals, the bank
-- generation counter, and the hashes of recent media for retroactive
-- matching. The PostgreSQL migration of the same number has the same tables
-- and columns.

-- One row: the bank generation, bumped in the transaction of every change
-- to banks or entries, so that a server's index knows when to catch up.
CREATE TABLE hash_bank_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	generation INTEGER NOT NULL
) STRICT;
INSERT INTO hash_bank_state (id, generation) VALUES (1, 0);

CREATE TABLE hash_banks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE,
	source TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	version TEXT NOT NULL DEFAULT '',
	negative INTEGER NOT NULL,
	enabled INTEGER NOT NULL,
	entries INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	imported_at INTEGER NOT NULL
) STRICT;

-- An import's entries are part of its bank once generation > 0 (committed)
-- and while replaced = 0. entries counts its live entries.
CREATE TABLE hash_bank_imports (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	bank_id INTEGER NOT NULL REFERENCES hash_banks (id),
	generation INTEGER NOT NULL DEFAULT 0,
	replaced INTEGER NOT NULL DEFAULT 0,
	format TEXT NOT NULL DEFAULT '',
	sha256 TEXT NOT NULL DEFAULT '',
	entries INTEGER NOT NULL DEFAULT 0,
	imported_by TEXT NOT NULL DEFAULT '',
	at INTEGER NOT NULL
) STRICT;
CREATE INDEX hash_bank_imports_bank ON hash_bank_imports (bank_id, id);
CREATE INDEX hash_bank_imports_generation ON hash_bank_imports (generation);
CREATE INDEX hash_bank_imports_replaced ON hash_bank_imports (replaced) WHERE replaced <> 0;

-- Hashes are NULL when the entry has none of that kind; quality is -1 when
-- the list did not give it.
CREATE TABLE hash_bank_entries (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	import_id INTEGER NOT NULL,
	bank_id INTEGER NOT NULL,
	external_id TEXT NOT NULL DEFAULT '',
	pdq BLOB,
	md5 BLOB,
	sha256 BLOB,
	quality INTEGER NOT NULL,
	added_at INTEGER NOT NULL
) STRICT;
CREATE INDEX hash_bank_entries_import ON hash_bank_entries (import_id, id);
CREATE INDEX hash_bank_entries_external ON hash_bank_entries (bank_id, external_id);

-- Entries removed one by one, by the generation that removed them, so an
-- index can drop them without a rebuild.
CREATE TABLE hash_bank_removals (
	generation INTEGER NOT NULL,
	entry_id INTEGER NOT NULL,
	bank_id INTEGER NOT NULL,
	PRIMARY KEY (generation, entry_id)
) STRICT;

-- generation is the bank generation the image has been checked against: 0
-- if it could not be checked when it arrived. dihedral holds the 8 PDQ
-- hashes of its rotations and flips (8 × 32 bytes).
CREATE TABLE media_hashes (
	media_id INTEGER PRIMARY KEY,
	message_id INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	sender_id INTEGER NOT NULL,
	md5 BLOB NOT NULL,
	sha256 BLOB NOT NULL,
	pdq BLOB,
	dihedral BLOB,
	quality INTEGER NOT NULL,
	generation INTEGER NOT NULL,
	at INTEGER NOT NULL
) STRICT;
CREATE INDEX media_hashes_generation ON media_hashes (generation, media_id);
CREATE INDEX media_hashes_at ON media_hashes (at);
