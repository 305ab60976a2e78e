-- 0002_detections: what the safety checks and people found. Detail,
-- recipients and members are JSON.

CREATE TABLE detections (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	source TEXT NOT NULL,
	at INTEGER NOT NULL,
	message_id INTEGER NOT NULL DEFAULT 0,
	conversation_id INTEGER NOT NULL DEFAULT 0,
	sender_id INTEGER NOT NULL DEFAULT 0,
	media_id INTEGER NOT NULL DEFAULT 0,
	held INTEGER NOT NULL,
	content_key TEXT NOT NULL DEFAULT '',
	severity TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL DEFAULT '',
	summary TEXT NOT NULL DEFAULT '',
	detail BLOB,
	recipients TEXT NOT NULL DEFAULT '[]',
	conversation_e2ee INTEGER NOT NULL,
	members TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX detections_message ON detections (message_id) WHERE message_id <> 0;
CREATE INDEX detections_conversation ON detections (conversation_id, id);
CREATE INDEX detections_sender ON detections (sender_id, id);
CREATE INDEX detections_at ON detections (at);
