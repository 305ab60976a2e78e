package sqlstore

import (
	"context"
	"time"
)

// IdempotentMessage implements store.IdempotencyTx.
func (t *Tx) IdempotentMessage(ctx context.Context, accountID int64, key string, since time.Time) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `SELECT message_id FROM idempotency_keys WHERE account_id = ? AND key = ? AND created_at >= ?`,
		accountID, key, micro(since)).Scan(&id)
	if err != nil {
		return 0, t.d.Err(err, "idempotency key")
	}
	return id, nil
}

// PutIdempotencyKey implements store.IdempotencyTx. The upsert replaces a
// use older than since and leaves a newer one, which it reports as a
// conflict: of two sends with one key at once, the second to commit fails.
func (t *Tx) PutIdempotencyKey(ctx context.Context, accountID int64, key string, messageID int64, at, since time.Time) error {
	res, err := t.exec(ctx, `INSERT INTO idempotency_keys (account_id, key, message_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, key) DO UPDATE SET message_id = excluded.message_id, created_at = excluded.created_at
		WHERE idempotency_keys.created_at < ?`, accountID, key, messageID, micro(at), micro(since))
	if err != nil {
		return t.d.Err(err, "idempotency key")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return conflict("idempotency key")
	}
	return nil
}

// PruneIdempotencyKeys implements store.IdempotencyTx.
func (t *Tx) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, micro(before))
	if err != nil {
		return 0, t.d.Err(err, "prune idempotency keys")
	}
	return res.RowsAffected()
}
