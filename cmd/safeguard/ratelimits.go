package main

import (
	"context"
	"time"

	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// storeLimits keeps the rate limits' buckets in the store, where the
// servers of a cluster share them.
type storeLimits struct{ st store.Store }

// Take implements ratelimit.Shared: one Update loads and locks the buckets,
// and stores what fn makes of them.
func (s storeLimits) Take(ctx context.Context, keys []ratelimit.BucketKey, fn func([]ratelimit.SharedBucket) []ratelimit.SharedBucket) error {
	rk := make([]store.RateKey, len(keys))
	for i, k := range keys {
		rk[i] = store.RateKey{Name: k.Name, Key: k.Key}
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		bs, err := tx.RateBuckets(ctx, rk)
		if err != nil {
			return err
		}
		in := make([]ratelimit.SharedBucket, len(bs))
		for i, b := range bs {
			in[i] = ratelimit.SharedBucket{BucketKey: ratelimit.BucketKey{Name: b.Name, Key: b.Key}, Tokens: b.Tokens, At: b.At}
		}
		out := fn(in)
		put := make([]store.RateBucket, len(out))
		for i, b := range out {
			put[i] = store.RateBucket{RateKey: store.RateKey{Name: b.Name, Key: b.Key}, Tokens: b.Tokens, At: b.At}
		}
		return tx.PutRateBuckets(ctx, put)
	})
}

// Prune implements ratelimit.Shared.
func (s storeLimits) Prune(ctx context.Context, name string, before time.Time) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PruneRateBuckets(ctx, name, before)
		return err
	})
}
