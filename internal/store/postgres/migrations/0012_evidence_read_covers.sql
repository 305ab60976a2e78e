-- One read may open several preserved items at once: a case's conversation
-- is revealed as one thread, made of the message and context items. The
-- read's seq is the first of them; covers lists the others, comma-separated
-- (empty for a read of one item).
ALTER TABLE evidence_reads ADD COLUMN covers TEXT NOT NULL DEFAULT '';
