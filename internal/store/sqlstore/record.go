package sqlstore

import (
	"context"
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Audit implements store.RecordTx and sets e.ID.
func (t *Tx) Audit(ctx context.Context, e *safeguard.AuditEntry) error {
	id, err := t.insertID(ctx, `INSERT INTO audit (at, actor_id, actor, action, target_id, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		micro(e.At), e.ActorID, e.Actor, e.Action, e.TargetID, e.Reason, e.Detail)
	if err != nil {
		return t.d.Err(err, "audit")
	}
	e.ID = id
	return nil
}

// AuditEntries implements store.RecordTx. A limit of zero or less means
// 100; more than 1000 means 1000.
func (t *Tx) AuditEntries(ctx context.Context, targetID int64, n int) ([]safeguard.AuditEntry, error) {
	query := `SELECT id, at, actor_id, actor, action, target_id, reason, detail FROM audit`
	args := []any{}
	if targetID != 0 {
		query += ` WHERE target_id = ?`
		args = append(args, targetID)
	}
	rows, err := t.query(ctx, query+` ORDER BY at DESC, id DESC LIMIT ?`, append(args, limit(n))...)
	return collect(rows, err, t.d, "audit entries", func(s scanner) (safeguard.AuditEntry, error) {
		var (
			e  safeguard.AuditEntry
			at int64
		)
		err := s.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.Action, &e.TargetID, &e.Reason, &e.Detail)
		e.At = fromMicro(at)
		return e, err
	})
}

// RecordRefusal implements store.RecordTx and sets r.ID.
func (t *Tx) RecordRefusal(ctx context.Context, r *safeguard.Refusal) error {
	id, err := t.insertID(ctx, `INSERT INTO refusals (at, from_id, to_id, action, reason, to_minor, from_band)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		micro(r.At), r.FromID, r.ToID, r.Action, r.Reason, r.ToMinor, string(r.FromBand))
	if err != nil {
		return t.d.Err(err, "record refusal")
	}
	r.ID = id
	return nil
}

// RefusedMinors implements store.RecordTx. Refusals at exactly since count.
func (t *Tx) RefusedMinors(ctx context.Context, fromID int64, since time.Time) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(DISTINCT to_id) FROM refusals WHERE from_id = ? AND to_minor = ? AND at >= ?`,
		fromID, true, micro(since)).Scan(&n)
	if err != nil {
		return 0, t.d.Err(err, fmt.Sprintf("minors refused to %d", fromID))
	}
	return n, nil
}

// Refusals implements store.RecordTx: fromID's refusals, newest first. A
// limit of zero or less means 100; more than 1000 means 1000.
func (t *Tx) Refusals(ctx context.Context, fromID int64, n int) ([]safeguard.Refusal, error) {
	rows, err := t.query(ctx, `SELECT id, at, from_id, to_id, action, reason, to_minor, from_band FROM refusals
		WHERE from_id = ? ORDER BY at DESC, id DESC LIMIT ?`, fromID, limit(n))
	return collect(rows, err, t.d, "refusals", func(s scanner) (safeguard.Refusal, error) {
		var (
			r  safeguard.Refusal
			at int64
		)
		err := s.Scan(&r.ID, &at, &r.FromID, &r.ToID, &r.Action, &r.Reason, &r.ToMinor, &r.FromBand)
		r.At = fromMicro(at)
		return r, err
	})
}

// AppendEvent implements store.RecordTx. It takes no lock: on PostgreSQL,
// transactions that append events run side by side and may commit their IDs
// out of order, which the queues (ClaimEvents) do not mind.
func (t *Tx) AppendEvent(ctx context.Context, e *safeguard.Event) error {
	id, err := t.insertID(ctx, `INSERT INTO events (type, at, account_id, conversation_id, message_id, payload)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		e.Type, micro(e.At), e.AccountID, e.ConversationID, e.MessageID, blob(e.Payload))
	if err != nil {
		return t.d.Err(err, "append event")
	}
	for _, consumer := range store.Queues(e.Type) {
		if _, err := t.exec(ctx, `INSERT INTO event_queue (consumer, event_id, claimed_until) VALUES (?, ?, 0)`,
			consumer, id); err != nil {
			return t.d.Err(err, "queue event for "+consumer)
		}
	}
	e.ID = id
	return nil
}

const eventColumns = `id, type, at, account_id, conversation_id, message_id, payload`

func scanEvent(s scanner) (safeguard.Event, error) {
	var (
		e  safeguard.Event
		at int64
	)
	err := s.Scan(&e.ID, &e.Type, &at, &e.AccountID, &e.ConversationID, &e.MessageID, &e.Payload)
	e.At, e.Payload = fromMicro(at), bytesOut(e.Payload)
	return e, err
}

// Events implements store.RecordTx. A limit of zero or less means 100; more
// than 1000 means 1000.
func (t *Tx) Events(ctx context.Context, after int64, n int) ([]safeguard.Event, error) {
	rows, err := t.query(ctx, `SELECT `+eventColumns+` FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit(n))
	return collect(rows, err, t.d, "events", scanEvent)
}

// ClaimEvents implements store.RecordTx. A limit of zero or less means 100;
// more than 1000 means 1000. The rows it picks stay locked until the
// transaction ends, and the dialect's SkipLocked makes a concurrent
// claimant pass over them rather than wait.
func (t *Tx) ClaimEvents(ctx context.Context, consumer string, now, until time.Time, n int) ([]safeguard.Event, error) {
	rows, err := t.query(ctx, `SELECT event_id FROM event_queue WHERE consumer = ? AND claimed_until <= ?
		ORDER BY event_id LIMIT ?`+t.d.SkipLocked, consumer, micro(now), limit(n))
	ids, err := collect(rows, err, t.d, "claim events", func(s scanner) (id int64, err error) { return id, s.Scan(&id) })
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var out []safeguard.Event
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		if _, err := t.exec(ctx, `UPDATE event_queue SET claimed_until = ? WHERE consumer = ? AND event_id IN (`+in+`)`,
			append([]any{micro(until), consumer}, args...)...); err != nil {
			return nil, t.d.Err(err, "claim events")
		}
		rows, err := t.query(ctx, `SELECT `+eventColumns+` FROM events WHERE id IN (`+in+`) ORDER BY id`, args...)
		es, err := collect(rows, err, t.d, "claimed events", scanEvent)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// ReleaseEvents implements store.RecordTx.
func (t *Tx) ReleaseEvents(ctx context.Context, consumer string, ids []int64) error {
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		if _, err := t.exec(ctx, `UPDATE event_queue SET claimed_until = 0 WHERE consumer = ? AND event_id IN (`+in+`)`,
			append([]any{consumer}, args...)...); err != nil {
			return t.d.Err(err, "release events")
		}
	}
	return nil
}

// DoneEvent implements store.RecordTx.
func (t *Tx) DoneEvent(ctx context.Context, consumer string, id int64) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM event_queue WHERE consumer = ? AND event_id = ?`, consumer, id)
	if err != nil {
		return false, t.d.Err(err, "done event")
	}
	n, err := res.RowsAffected()
	return n > 0, t.d.Err(err, "done event")
}
