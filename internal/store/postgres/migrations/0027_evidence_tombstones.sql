-- One tombstone per item of the evidence log: target is the Seq of the
-- item whose bytes were deleted, seq the Seq of its tombstone.
-- AppendEvidence adds a row with each tombstone it stores, so a second
-- tombstone of one item breaks the primary key and is refused, whoever
-- writes it. A log written before keeps its first tombstone of each item
-- here; a second one already in it stays in the log (which is never
-- edited), where verification names it. The other store's migration of the
-- same number is the same.
CREATE TABLE evidence_tombstones (
	target BIGINT PRIMARY KEY,
	seq BIGINT NOT NULL UNIQUE
);
INSERT INTO evidence_tombstones (target, seq)
	SELECT target, MIN(seq) FROM evidence_log WHERE kind = 'tombstone' GROUP BY target;
