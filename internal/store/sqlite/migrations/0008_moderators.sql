-- 0008_moderators: the moderators of the console, apart from chat accounts,
-- and their sessions (only a hash of each token is kept). Times Unix
-- microseconds. The PostgreSQL migration of the same number has the same
-- tables and columns.

CREATE TABLE moderators (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL,
	name_key TEXT NOT NULL UNIQUE,
	role TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	disabled_at INTEGER NOT NULL
) STRICT;

CREATE TABLE moderator_sessions (
	token_hash BLOB PRIMARY KEY,
	moderator_id INTEGER NOT NULL REFERENCES moderators (id),
	csrf_token TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	addr TEXT NOT NULL DEFAULT '',
	port INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX moderator_sessions_moderator ON moderator_sessions (moderator_id);
