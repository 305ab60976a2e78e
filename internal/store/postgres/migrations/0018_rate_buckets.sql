-- Rate-limit buckets that the servers of a cluster share: one row per
-- limit and key (an account, an address) while its bucket is not full.
CREATE TABLE rate_buckets (
	name TEXT NOT NULL,
	key TEXT NOT NULL,
	tokens DOUBLE PRECISION NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (name, key)
);
CREATE INDEX rate_buckets_at ON rate_buckets (name, at);
