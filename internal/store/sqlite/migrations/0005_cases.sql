-- 0005_cases: cases and their occurrences, timelines, appeals, user reports
-- and law-enforcement reports; the evidence log, its signed checkpoints and
-- the record of reads. Lists are JSON text; times Unix microseconds. The
-- PostgreSQL migration of the same number has the same tables and columns.

CREATE TABLE cases (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	sender_id INTEGER NOT NULL,
	content_key TEXT NOT NULL,
	conversation_id INTEGER NOT NULL DEFAULT 0,
	source TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	reasons TEXT NOT NULL DEFAULT '[]',
	signals TEXT NOT NULL DEFAULT '[]',
	minor_sender INTEGER NOT NULL DEFAULT 0,
	senior_review INTEGER NOT NULL DEFAULT 0,
	assignee TEXT NOT NULL DEFAULT '',
	decision TEXT NOT NULL DEFAULT '',
	decision_reason TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at INTEGER NOT NULL DEFAULT 0,
	report_reference TEXT NOT NULL DEFAULT '',
	reported_at INTEGER NOT NULL DEFAULT 0,
	legal_hold INTEGER NOT NULL DEFAULT 0,
	hold_reason TEXT NOT NULL DEFAULT '',
	occurrences INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (sender_id, content_key)
) STRICT;
CREATE INDEX cases_queue ON cases (status, priority, created_at);

CREATE TABLE case_occurrences (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	detection_id INTEGER NOT NULL UNIQUE,
	source TEXT NOT NULL DEFAULT '',
	at INTEGER NOT NULL,
	message_id INTEGER NOT NULL DEFAULT 0,
	conversation_id INTEGER NOT NULL DEFAULT 0,
	media_id INTEGER NOT NULL DEFAULT 0,
	recipients TEXT NOT NULL DEFAULT '[]',
	held INTEGER NOT NULL DEFAULT 0,
	report_reference TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX case_occurrences_case ON case_occurrences (case_id, id);
CREATE INDEX case_occurrences_message ON case_occurrences (message_id) WHERE message_id <> 0;

CREATE TABLE case_events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	at INTEGER NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	from_status TEXT NOT NULL DEFAULT '',
	to_status TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	detail BLOB
) STRICT;
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE appeals (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL DEFAULT 0,
	account_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	message_id INTEGER NOT NULL DEFAULT 0,
	text TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX appeals_case ON appeals (case_id, id);
CREATE INDEX appeals_account ON appeals (account_id, id);

CREATE TABLE user_reports (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	reporter_id INTEGER NOT NULL,
	target TEXT NOT NULL,
	reason TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	at INTEGER NOT NULL,
	detection_id INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX user_reports_reporter ON user_reports (reporter_id, target, at);

CREATE TABLE case_reports (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	reference TEXT NOT NULL UNIQUE,
	follow_up_of TEXT NOT NULL DEFAULT '',
	destination TEXT NOT NULL,
	receipt_id TEXT NOT NULL DEFAULT '',
	priority INTEGER NOT NULL,
	test INTEGER NOT NULL,
	submitted_at INTEGER NOT NULL,
	receipt BLOB
) STRICT;
CREATE INDEX case_reports_case ON case_reports (case_id, id);

-- The evidence log. seq is given by the writer, one more than the head's,
-- so two writers cannot fork the chain: the second insert of a seq fails.
CREATE TABLE evidence_log (
	seq INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	case_id INTEGER NOT NULL DEFAULT 0,
	kind TEXT NOT NULL,
	item_kind TEXT NOT NULL DEFAULT '',
	ref TEXT NOT NULL DEFAULT '',
	content_type TEXT NOT NULL DEFAULT '',
	class TEXT NOT NULL DEFAULT '',
	digest BLOB,
	size INTEGER NOT NULL DEFAULT 0,
	storage_key TEXT NOT NULL DEFAULT '',
	target INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL DEFAULT '',
	signature BLOB,
	prev_hash BLOB,
	hash BLOB
) STRICT;
CREATE INDEX evidence_log_case ON evidence_log (case_id, seq);

CREATE TABLE evidence_checkpoints (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at INTEGER NOT NULL,
	count INTEGER NOT NULL,
	head BLOB,
	public_key BLOB,
	signature BLOB
) STRICT;

CREATE TABLE evidence_reads (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	seq INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	at INTEGER NOT NULL,
	who TEXT NOT NULL,
	why TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_reads_case ON evidence_reads (case_id, id);
