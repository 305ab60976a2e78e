package main

import (
	"errors"
	"sync"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
)

// TestSharedRateLimits: limiters of two servers on one database share
// their buckets: 60 a minute is 60 over both, a refusal says how long to
// wait, spends nothing, and a wait that long is enough; on both stores.
func TestSharedRateLimits(t *testing.T) {
	for name, newDB := range bankDBs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st, err := openStore(t.Context(), newDB(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			var mu sync.Mutex
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			minute := ratelimit.Limit{Burst: 60, Per: time.Second}
			a := ratelimit.NewShared("messages.account", minute, clock, storeLimits{st})
			b := ratelimit.NewShared("messages.account", minute, clock, storeLimits{st})
			other := ratelimit.NewShared("messages.address", ratelimit.Limit{Burst: 100, Per: time.Second}, clock, storeLimits{st})

			var wg sync.WaitGroup
			errs := make(chan error, 60)
			for i := range 60 {
				l := a
				if i%2 == 1 {
					l = b
				}
				wg.Go(func() { errs <- l.Check("7", "rate_limited") })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("one of 60 within the limit: %v", err)
				}
			}
			if err := a.Check("8", "rate_limited"); err != nil {
				t.Fatalf("another key: %v", err)
			}
			err = ratelimit.CheckAll("rate_limited", ratelimit.Keyed{Limiter: other, Key: "7"}, ratelimit.Keyed{Limiter: b, Key: "7"})
			var se *safeguard.Error
			if !errors.As(err, &se) || !errors.Is(err, safeguard.ErrRateLimited) || se.RetryAfter != time.Second {
				t.Fatalf("the 61st, on the other server: %v, want rate limited with 1s to wait", err)
			}
			advance(time.Second)
			if err := b.Check("7", "rate_limited"); err != nil {
				t.Fatalf("after the wait it was told: %v", err)
			}
			if err := a.Check("7", "rate_limited"); err == nil {
				t.Fatal("a second one after one second's wait: allowed")
			}
			// The refused CheckAll spent nothing of the other limit: 100
			// are left there.
			for i := range 100 {
				if err := other.Check("7", "rate_limited"); err != nil {
					t.Fatalf("other limit, event %d: %v", i, err)
				}
			}
			a.Reset("7")
			if err := b.Check("7", "rate_limited"); err != nil {
				t.Fatalf("after Reset on the other server: %v", err)
			}
		})
	}
}
