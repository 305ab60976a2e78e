package ratelimit

import (
	"context"
	"errors"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Shared keeps buckets where every server of a cluster sees them (the
// database), so that a limit holds across servers: 60 messages a minute is
// 60 whichever servers they reach.
type Shared interface {
	// Take loads the buckets of keys (Tokens and At; At zero for one never
	// stored, which is full), locked against every other Take of one of
	// them, calls fn with them, and stores those fn returns (one with At
	// zero is forgotten), all in one transaction. fn may be called again
	// should the transaction be run again.
	Take(ctx context.Context, keys []BucketKey, fn func([]SharedBucket) []SharedBucket) error
	// Prune forgets the buckets of limit name untouched since before.
	Prune(ctx context.Context, name string, before time.Time) error
}

// BucketKey names a shared bucket: its limiter's name and the key.
type BucketKey struct{ Name, Key string }

// SharedBucket is a shared bucket's state.
type SharedBucket struct {
	BucketKey
	Tokens float64
	At     time.Time
}

// SharedTimeout bounds one Take: a limit that cannot be read in time
// refuses, as unavailable, rather than letting everything through.
const SharedTimeout = 5 * time.Second

// pruneEvery is how many shared takes of a limiter come between two
// prunes of its full buckets.
const pruneEvery = 1024

// NewShared returns a Limiter whose buckets are kept in shared under name,
// which must be unique among the limiters sharing it; now is the clock
// (time.Now if nil). Its buckets are refilled, taken from and refused
// exactly as a Limiter's in memory.
func NewShared(name string, limit Limit, now func() time.Time, shared Shared) *Limiter {
	l := New(limit, now)
	l.name, l.shared = name, shared
	return l
}

// checkShared is CheckAll for buckets of shared limiters (all in one
// Shared): one transaction takes from all of them or from none.
func checkShared(code string, buckets []Keyed) error {
	var sh Shared
	keys := make([]BucketKey, 0, len(buckets))
	limits := make([]*Limiter, 0, len(buckets))
	for _, kb := range buckets {
		l := kb.Limiter
		if l == nil || l.limit.Unlimited() {
			continue
		}
		if l.shared == nil || sh != nil && sh != l.shared {
			return errors.New("rate limit: limiters of one check must share one store")
		}
		sh = l.shared
		keys = append(keys, BucketKey{l.name, kb.Key})
		limits = append(limits, l)
	}
	if len(keys) == 0 {
		return nil
	}
	wait, refused, err := takeShared(sh, keys, limits, nil)
	if err != nil {
		return unavailable(err)
	}
	for _, l := range limits {
		l.maybePrune(sh)
	}
	if refused {
		return Refused(code, wait)
	}
	return nil
}

// takeShared takes one event from the bucket of keys[i] in limits[i], for
// every i, when each has one, in one Take of sh; otherwise it takes none and
// returns the longest wait. With skip, it first asks skip about the
// buckets it loaded (extra ones may follow those of the limits), and leaves
// alone those it reports, whose state it then does not return either;
// skip returns what it wants stored of the extra buckets.
func takeShared(sh Shared, keys []BucketKey, limits []*Limiter, skip func([]SharedBucket) ([]bool, []SharedBucket)) (wait time.Duration, refused bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), SharedTimeout)
	defer cancel()
	err = sh.Take(ctx, keys, func(bs []SharedBucket) []SharedBucket {
		wait, refused = 0, false
		var skipped []bool
		var extra []SharedBucket
		if skip != nil {
			skipped, extra = skip(bs)
		}
		now := limits[0].now()
		local := make([]bucket, len(limits))
		for i, l := range limits {
			if skipped != nil && skipped[i] {
				continue
			}
			sb := bs[i]
			local[i] = bucket{tokens: float64(l.limit.Burst), at: now}
			if !sb.At.IsZero() {
				local[i] = bucket{tokens: sb.Tokens, at: sb.At}
			}
			local[i].refill(now, l.limit)
			if !local[i].ready() {
				refused = true
				wait = max(wait, time.Duration((1-local[i].tokens)*float64(l.limit.Per)))
			}
		}
		if refused {
			return extra
		}
		out := extra
		for i := range limits {
			if skipped == nil || !skipped[i] {
				out = append(out, SharedBucket{BucketKey: bs[i].BucketKey, Tokens: local[i].tokens - 1, At: now})
			}
		}
		return out
	})
	return wait, refused, err
}

// unavailable is the error of a limit the shared store could not be asked
// about.
func unavailable(err error) error {
	return &safeguard.Error{Kind: safeguard.ErrUnavailable, Code: "unavailable",
		Message: "The service is busy. Please try again in a moment.", Err: err, RetryAfter: time.Second}
}

// maybePrune forgets, now and then, the shared buckets of l that are full
// by now: the store holds rows for active keys only.
func (l *Limiter) maybePrune(sh Shared) {
	if l.takes.Add(1)%pruneEvery != 0 {
		return
	}
	full := time.Duration(l.limit.Burst) * l.limit.Per
	ctx, cancel := context.WithTimeout(context.Background(), SharedTimeout)
	defer cancel()
	sh.Prune(ctx, l.name, l.now().Add(-full))
}

// resetShared forgets key's shared bucket.
func (l *Limiter) resetShared(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), SharedTimeout)
	defer cancel()
	l.shared.Take(ctx, []BucketKey{{l.name, key}}, func(bs []SharedBucket) []SharedBucket {
		return []SharedBucket{{BucketKey: bs[0].BucketKey}}
	})
}
