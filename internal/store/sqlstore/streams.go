package sqlstore

import (
	"context"
	"strconv"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// OpenStreams implements store.ClusterTx. The account's key and the
// address's are locked in one order, so that two transactions never wait
// on each other for them.
func (t *Tx) OpenStreams(ctx context.Context, accountID int64, address string, now time.Time) (atAddress, ofAccount []store.OpenStream, err error) {
	if t.d.KeyLock != "" {
		// "account:…" sorts before "address:…".
		for _, key := range []string{"stream-account:" + strconv.FormatInt(accountID, 10), "stream-address:" + address} {
			if _, err := t.exec(ctx, t.d.KeyLock, key); err != nil {
				return nil, nil, t.d.Err(err, "lock streams")
			}
		}
	}
	if atAddress, err = t.streams(ctx, `address = ?`, address, now); err != nil {
		return nil, nil, err
	}
	if ofAccount, err = t.streams(ctx, `account_id = ?`, accountID, now); err != nil {
		return nil, nil, err
	}
	return atAddress, ofAccount, nil
}

// streams returns the streams that match where (with arg) and count at
// now, in the order they were stored.
func (t *Tx) streams(ctx context.Context, where string, arg any, now time.Time) ([]store.OpenStream, error) {
	rows, err := t.query(ctx, `SELECT id, node, account_id, address, opened_at, expires_at FROM event_streams
		WHERE `+where+` AND expires_at > ? ORDER BY id`, arg, micro(now))
	if err != nil {
		return nil, t.d.Err(err, "open streams")
	}
	defer rows.Close()
	var out []store.OpenStream
	for rows.Next() {
		var s store.OpenStream
		var opened, expires int64
		if err := rows.Scan(&s.ID, &s.Node, &s.AccountID, &s.Address, &opened, &expires); err != nil {
			return nil, t.d.Err(err, "open streams")
		}
		s.OpenedAt, s.ExpiresAt = fromMicro(opened), fromMicro(expires)
		out = append(out, s)
	}
	return out, t.d.Err(rows.Err(), "open streams")
}

// AddStream implements store.ClusterTx.
func (t *Tx) AddStream(ctx context.Context, s *store.OpenStream) error {
	id, err := t.insertID(ctx, `INSERT INTO event_streams (node, account_id, address, opened_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		s.Node, s.AccountID, s.Address, micro(s.OpenedAt), micro(s.ExpiresAt))
	if err != nil {
		return t.d.Err(err, "add stream")
	}
	s.ID = id
	return nil
}

// DeleteStreams implements store.ClusterTx.
func (t *Tx) DeleteStreams(ctx context.Context, ids []int64) error {
	for _, part := range chunks(ids) {
		in, args := inList(part)
		if _, err := t.exec(ctx, `DELETE FROM event_streams WHERE id IN (`+in+`)`, args...); err != nil {
			return t.d.Err(err, "delete streams")
		}
	}
	return nil
}

// RenewStreams implements store.ClusterTx.
func (t *Tx) RenewStreams(ctx context.Context, ids []int64, until time.Time) ([]int64, error) {
	var live []int64
	for _, part := range chunks(ids) {
		in, args := inList(part)
		rows, err := t.query(ctx, `UPDATE event_streams SET expires_at = ? WHERE id IN (`+in+`) RETURNING id`,
			append([]any{micro(until)}, args...)...)
		if err != nil {
			return nil, t.d.Err(err, "renew streams")
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, t.d.Err(err, "renew streams")
			}
			live = append(live, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, t.d.Err(err, "renew streams")
		}
	}
	return live, nil
}

// PruneStreams implements store.ClusterTx.
func (t *Tx) PruneStreams(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM event_streams WHERE expires_at < ?`, micro(before))
	if err != nil {
		return 0, t.d.Err(err, "prune streams")
	}
	return res.RowsAffected()
}
