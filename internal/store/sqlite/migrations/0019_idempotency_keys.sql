-- The Idempotency-Key of each message send, for a day: a send repeated with
-- the same key by the same account answers with the message the first one
-- stored, and stores nothing new.
CREATE TABLE idempotency_keys (
	account_id BIGINT NOT NULL,
	key TEXT NOT NULL,
	message_id BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
