package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
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

// AppendEvent implements store.RecordTx. When the dialect has an
// EventLock, it is taken first: on PostgreSQL that makes transactions that
// append events commit one after the other, so IDs become visible in
// increasing order and a consumer reading ID > cursor skips nothing.
func (t *Tx) AppendEvent(ctx context.Context, e *safeguard.Event) error {
	if t.d.EventLock != "" {
		if _, err := t.exec(ctx, t.d.EventLock); err != nil {
			return t.d.Err(err, "lock event outbox")
		}
	}
	id, err := t.insertID(ctx, `INSERT INTO events (type, at, account_id, conversation_id, message_id, payload)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		e.Type, micro(e.At), e.AccountID, e.ConversationID, e.MessageID, blob(e.Payload))
	if err != nil {
		return t.d.Err(err, "append event")
	}
	e.ID = id
	return nil
}

// Events implements store.RecordTx. A limit of zero or less means 100; more
// than 1000 means 1000.
func (t *Tx) Events(ctx context.Context, after int64, n int) ([]safeguard.Event, error) {
	rows, err := t.query(ctx, `SELECT id, type, at, account_id, conversation_id, message_id, payload FROM events
		WHERE id > ? ORDER BY id LIMIT ?`, after, limit(n))
	return collect(rows, err, t.d, "events", func(s scanner) (safeguard.Event, error) {
		var (
			e  safeguard.Event
			at int64
		)
		err := s.Scan(&e.ID, &e.Type, &at, &e.AccountID, &e.ConversationID, &e.MessageID, &e.Payload)
		e.At, e.Payload = fromMicro(at), bytesOut(e.Payload)
		return e, err
	})
}

// Cursor implements store.RecordTx. A consumer never seen is at 0.
func (t *Tx) Cursor(ctx context.Context, consumer string) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `SELECT event_id FROM cursors WHERE consumer = ?`, consumer).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, t.d.Err(err, "cursor")
	}
	return id, nil
}

// SetCursor implements store.RecordTx. The cursor may move back, for a
// consumer that replays.
func (t *Tx) SetCursor(ctx context.Context, consumer string, id int64) error {
	_, err := t.exec(ctx, `INSERT INTO cursors (consumer, event_id) VALUES (?, ?)
		ON CONFLICT (consumer) DO UPDATE SET event_id = excluded.event_id`, consumer, id)
	return t.d.Err(err, "set cursor")
}
