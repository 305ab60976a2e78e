-- What the servers of a cluster share of their own work.

-- Leases: one server at a time holds each, and runs the background job it
-- names, until expires_at (microseconds since 1970) unless it renews it.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

-- The risk rules in force: each reload stores the rule and lexicon files it
-- read as a new generation, which every server puts in force.
CREATE TABLE risk_rule_sets (
	generation INTEGER PRIMARY KEY AUTOINCREMENT,
	version TEXT NOT NULL,
	sources BLOB NOT NULL,
	node TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

-- Each server's counts of each risk rule since it started; the operator sees
-- their sums.
CREATE TABLE risk_rule_counts (
	node TEXT NOT NULL,
	rule TEXT NOT NULL,
	evaluated INTEGER NOT NULL,
	fired INTEGER NOT NULL,
	errors INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (node, rule)
) STRICT;

-- What the NCMEC submitter remembers of each filing, by report reference,
-- so that no server files a reference another has filed.
CREATE TABLE ncmec_filings (
	reference TEXT PRIMARY KEY,
	state BLOB NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
