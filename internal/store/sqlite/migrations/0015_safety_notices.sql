-- The support notices a young person was shown about a message (a risk
-- warning), kept so that they come with the conversation's history to that
-- person alone, whenever the conversation is opened.
CREATE TABLE safety_notices (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id BIGINT NOT NULL,
	conversation_id BIGINT NOT NULL,
	message_id BIGINT NOT NULL,
	code TEXT NOT NULL,
	detection_id BIGINT NOT NULL DEFAULT 0,
	at BIGINT NOT NULL
);
CREATE INDEX safety_notices_account ON safety_notices (account_id, conversation_id, message_id);
