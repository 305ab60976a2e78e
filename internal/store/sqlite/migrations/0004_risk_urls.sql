-- 0004_risk_urls: the risk scorer's state per conversation, and URL lists
-- (IWF URL-list shape) with their provenance and entries.

-- state is a serialized risk.Conversation (JSON); version is a number the
-- writer chooses for each write, compared on every write.
CREATE TABLE risk_states (
	conversation_id INTEGER PRIMARY KEY,
	version INTEGER NOT NULL,
	state TEXT NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE url_lists (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE,
	source TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	sha256 TEXT NOT NULL DEFAULT '',
	entries INTEGER NOT NULL,
	imported_at INTEGER NOT NULL,
	imported_by TEXT NOT NULL DEFAULT ''
) STRICT;

-- kind is url, domain or path; url_key the normalised entry.
CREATE TABLE url_entries (
	list_id INTEGER NOT NULL REFERENCES url_lists (id),
	kind TEXT NOT NULL,
	url_key TEXT NOT NULL,
	line INTEGER NOT NULL,
	PRIMARY KEY (list_id, kind, url_key)
) STRICT;
CREATE INDEX url_entries_key ON url_entries (url_key);
