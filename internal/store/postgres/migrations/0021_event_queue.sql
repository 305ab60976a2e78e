-- Event queues: an outbox event that a consumer must handle exactly once is
-- queued for it in the transaction that appends the event (see
-- store.Queues). Servers claim queued events until claimed_until (Unix
-- microseconds; 0 for unclaimed) and delete each in the transaction that
-- records what it did, so several share the work and the outbox needs no
-- lock that orders its IDs. The cursors the consumers kept before are
-- turned into their queues: what came after each cursor is queued. The live
-- relay had a cursor only once it had run; without one, nothing is queued,
-- as it started at the newest event. The other store's migration of the
-- same number is the same.
CREATE TABLE event_queue (
	consumer TEXT NOT NULL,
	event_id BIGINT NOT NULL,
	claimed_until BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (consumer, event_id)
);

INSERT INTO event_queue (consumer, event_id)
	SELECT 'cases', id FROM events
	WHERE type = 'detection.created' AND id > COALESCE((SELECT event_id FROM cursors WHERE consumer = 'cases'), 0);

INSERT INTO event_queue (consumer, event_id)
	SELECT 'live-relay', id FROM events
	WHERE type IN ('account.age_changed', 'conversation.e2ee_ended')
		AND id > (SELECT event_id FROM cursors WHERE consumer = 'live-relay');

DROP TABLE cursors;
