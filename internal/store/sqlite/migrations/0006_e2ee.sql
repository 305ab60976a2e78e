-- 0006_e2ee: the key directory, the devices' inboxes, encrypted blobs and
-- the receipts already reported. No private key and no plaintext is ever
-- stored here. The PostgreSQL migration of the same number has the same
-- tables and columns.

-- The public identity keys of each device, as the device signed them.
CREATE TABLE e2ee_devices (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	curve25519 TEXT NOT NULL,
	ed25519 TEXT NOT NULL,
	signature TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (account_id, name)
) STRICT;

-- One-time keys are handed out once, ever: a claimed key keeps its row
-- (claimed_at set), so a re-upload of its id can never put it back.
-- claimed_at is 0 while unclaimed.
CREATE TABLE e2ee_one_time_keys (
	device_id INTEGER NOT NULL REFERENCES e2ee_devices (id) ON DELETE CASCADE,
	key_id TEXT NOT NULL,
	fallback INTEGER NOT NULL,
	curve25519 TEXT NOT NULL,
	signature TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	claimed_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (device_id, fallback, key_id)
) STRICT;
CREATE INDEX e2ee_one_time_keys_unclaimed ON e2ee_one_time_keys (device_id, key_id) WHERE claimed_at = 0;

-- What waits for each device: direct envelopes (bytes here) and group
-- envelopes (bytes in messages.envelope until no device waits for them).
CREATE TABLE e2ee_inbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	device_id INTEGER NOT NULL REFERENCES e2ee_devices (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	sender_id INTEGER NOT NULL,
	sender_device TEXT NOT NULL,
	conversation_id INTEGER NOT NULL DEFAULT 0,
	message_id INTEGER NOT NULL DEFAULT 0,
	envelope BLOB,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX e2ee_inbox_device ON e2ee_inbox (device_id, id);
CREATE INDEX e2ee_inbox_message ON e2ee_inbox (message_id) WHERE message_id <> 0;
CREATE INDEX e2ee_inbox_created ON e2ee_inbox (created_at);

-- Encrypted attachments; the bytes are in the media store.
CREATE TABLE e2ee_blobs (
	id TEXT PRIMARY KEY,
	conversation_id INTEGER NOT NULL,
	owner_id INTEGER NOT NULL,
	size INTEGER NOT NULL,
	storage_key TEXT NOT NULL,
	addr TEXT NOT NULL DEFAULT '',
	port INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX e2ee_blobs_created ON e2ee_blobs (created_at);

-- Franking receipts already reported, so that a report cannot be replayed,
-- even across restarts. Kept until the report window closes.
CREATE TABLE e2ee_reported (
	message_id INTEGER NOT NULL,
	recipient_id INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (message_id, recipient_id)
) STRICT;
CREATE INDEX e2ee_reported_expires ON e2ee_reported (expires_at);
