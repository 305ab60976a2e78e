-- 0001_core: accounts, contacts, conversations, messages, media and the
-- platform's records. Times are Unix microseconds (UTC), dates YYYY-MM-DD,
-- booleans 0/1. The PostgreSQL migration of the same number has the same
-- tables and columns.

CREATE TABLE accounts (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	handle TEXT NOT NULL,
	handle_key TEXT NOT NULL UNIQUE, -- lower-cased handle: handles are unique case-insensitively
	password_hash TEXT NOT NULL DEFAULT '',
	birth_date TEXT NOT NULL DEFAULT '',
	assurance TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	app TEXT NOT NULL DEFAULT '',
	local_authority TEXT NOT NULL DEFAULT '',
	police_force TEXT NOT NULL DEFAULT '',
	guardian_id INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX accounts_guardian ON accounts (guardian_id) WHERE guardian_id <> 0;

CREATE TABLE guardian_codes (
	child_id INTEGER PRIMARY KEY,
	code_hash BLOB NOT NULL UNIQUE,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL,
	token_hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	addr TEXT NOT NULL DEFAULT '',
	port INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE logins (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL,
	addr TEXT NOT NULL DEFAULT '',
	port INTEGER NOT NULL DEFAULT 0,
	at INTEGER NOT NULL,
	ok INTEGER NOT NULL
) STRICT;
CREATE INDEX logins_account_at ON logins (account_id, at);

-- One request per unordered pair: lo_id and hi_id are the pair in order.
CREATE TABLE contacts (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	from_id INTEGER NOT NULL,
	to_id INTEGER NOT NULL,
	lo_id INTEGER NOT NULL,
	hi_id INTEGER NOT NULL,
	state TEXT NOT NULL,
	from_guardian_ok INTEGER NOT NULL DEFAULT 0,
	to_guardian_ok INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (lo_id, hi_id)
) STRICT;
CREATE INDEX contacts_hi ON contacts (hi_id);
CREATE INDEX contacts_awaiting ON contacts (state) WHERE state = 'awaiting_guardian';

CREATE TABLE blocks (
	blocker_id INTEGER NOT NULL,
	blocked_id INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (blocker_id, blocked_id)
) STRICT;

CREATE TABLE conversations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	title TEXT NOT NULL DEFAULT '',
	e2ee INTEGER NOT NULL DEFAULT 0,
	app TEXT NOT NULL DEFAULT '',
	created_by INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	direct_key TEXT UNIQUE -- "lo:hi" for a one-to-one conversation, NULL for a group
) STRICT;

CREATE TABLE members (
	conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	account_id INTEGER NOT NULL,
	state TEXT NOT NULL,
	invited_by INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, account_id)
) STRICT;
CREATE INDEX members_account ON members (account_id);

CREATE TABLE messages (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	sender_id INTEGER NOT NULL,
	app TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	text TEXT NOT NULL DEFAULT '',
	media_id INTEGER NOT NULL DEFAULT 0,
	envelope BLOB,
	franking_tag BLOB,
	status TEXT NOT NULL,
	addr TEXT NOT NULL DEFAULT '',
	port INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_media ON messages (media_id) WHERE media_id <> 0;

CREATE TABLE media (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	owner_id INTEGER NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	size INTEGER NOT NULL DEFAULT 0,
	sha256 BLOB,
	width INTEGER NOT NULL DEFAULT 0,
	height INTEGER NOT NULL DEFAULT 0,
	storage_key TEXT NOT NULL DEFAULT '',
	addr TEXT NOT NULL DEFAULT '',
	port INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE read_markers (
	conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	account_id INTEGER NOT NULL,
	message_id INTEGER NOT NULL,
	at INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, account_id)
) STRICT;

CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at INTEGER NOT NULL,
	actor_id INTEGER NOT NULL DEFAULT 0,
	actor TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	target_id INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_target_at ON audit (target_id, at);

CREATE TABLE refusals (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at INTEGER NOT NULL,
	from_id INTEGER NOT NULL,
	to_id INTEGER NOT NULL,
	action TEXT NOT NULL,
	reason TEXT NOT NULL,
	to_minor INTEGER NOT NULL,
	from_band TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX refusals_from_at ON refusals (from_id, at);

-- The outbox. AUTOINCREMENT: an ID is never handed out twice, even after
-- the newest events are deleted, so consumers' cursors stay meaningful.
CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	type TEXT NOT NULL,
	at INTEGER NOT NULL,
	account_id INTEGER NOT NULL DEFAULT 0,
	conversation_id INTEGER NOT NULL DEFAULT 0,
	message_id INTEGER NOT NULL DEFAULT 0,
	payload BLOB
) STRICT;

CREATE TABLE cursors (
	consumer TEXT PRIMARY KEY,
	event_id INTEGER NOT NULL
) STRICT;
