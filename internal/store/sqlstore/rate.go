package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// RateBuckets implements store.RateTx. Missing rows are made first (At
// zero, which reads as full), so that every bucket asked for has a row to
// lock; the rows are made and locked in one order, so that two
// transactions never wait on each other.
func (t *Tx) RateBuckets(ctx context.Context, keys []store.RateKey) ([]store.RateBucket, error) {
	order := slices.Clone(keys)
	slices.SortFunc(order, func(a, b store.RateKey) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Key, b.Key)) })
	got := map[store.RateKey]store.RateBucket{}
	for _, k := range order {
		if _, err := t.exec(ctx, `INSERT INTO rate_buckets (name, key, tokens, at) VALUES (?, ?, 0, 0) ON CONFLICT DO NOTHING`,
			k.Name, k.Key); err != nil {
			return nil, t.d.Err(err, "rate bucket")
		}
		var tokens float64
		var at int64
		if err := t.queryRow(ctx, `SELECT tokens, at FROM rate_buckets WHERE name = ? AND key = ?`+t.d.LockRows,
			k.Name, k.Key).Scan(&tokens, &at); err != nil {
			return nil, t.d.Err(err, "rate bucket")
		}
		b := store.RateBucket{RateKey: k, Tokens: tokens}
		if at != 0 {
			b.At = fromMicro(at)
		}
		got[k] = b
	}
	out := make([]store.RateBucket, len(keys))
	for i, k := range keys {
		out[i] = got[k]
	}
	return out, nil
}

// PutRateBuckets implements store.RateTx.
func (t *Tx) PutRateBuckets(ctx context.Context, bs []store.RateBucket) error {
	for _, b := range bs {
		var err error
		if b.At.IsZero() {
			_, err = t.exec(ctx, `DELETE FROM rate_buckets WHERE name = ? AND key = ?`, b.Name, b.Key)
		} else {
			_, err = t.exec(ctx, `INSERT INTO rate_buckets (name, key, tokens, at) VALUES (?, ?, ?, ?)
				ON CONFLICT (name, key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at`,
				b.Name, b.Key, b.Tokens, micro(b.At))
		}
		if err != nil {
			return t.d.Err(err, "rate bucket")
		}
	}
	return nil
}

// PruneRateBuckets implements store.RateTx.
func (t *Tx) PruneRateBuckets(ctx context.Context, name string, before time.Time) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM rate_buckets WHERE name = ? AND at < ?`, name, micro(before))
	if err != nil {
		return 0, t.d.Err(err, "prune rate buckets")
	}
	return res.RowsAffected()
}
