-- The live event streams open on the servers of a cluster, so that the caps
-- on streams per account and per client address count every server's. A
-- stream counts until expires_at (microseconds since 1970), which its
-- server moves on while the stream is open: the streams of a server that
-- died stop counting on their own.
CREATE TABLE event_streams (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	node TEXT NOT NULL,
	account_id INTEGER NOT NULL,
	address TEXT NOT NULL,
	opened_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX event_streams_account ON event_streams (account_id, id);
CREATE INDEX event_streams_address ON event_streams (address, id);
CREATE INDEX event_streams_expires ON event_streams (expires_at);
