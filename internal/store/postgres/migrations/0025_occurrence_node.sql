-- The server whose case consumer recorded an occurrence (its name in its
-- logs and on /metrics): in a cluster, which server handled the detection.
-- Empty for the occurrences recorded before. The other store's migration of
-- the same number is the same.
ALTER TABLE case_occurrences ADD COLUMN node TEXT NOT NULL DEFAULT '';
