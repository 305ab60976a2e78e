package main

import (
	"errors"
	"net/netip"
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

// TestSharedLoginGuard: the login limits of two servers on one database
// are those of one: guesses spread over both are limited as on one, a
// refusal on either says how long to wait, and an address an account
// logged in from through one server is exempt from the account's limit
// through the other; on both stores.
func TestSharedLoginGuard(t *testing.T) {
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
			limits := ratelimit.LoginLimits{
				PerAddress:        ratelimit.Limit{Burst: 100, Per: time.Second},
				PerAccountAddress: ratelimit.Limit{Burst: 5, Per: time.Minute},
				PerAccount:        ratelimit.Limit{Burst: 8, Per: time.Minute},
				Remember:          time.Hour,
				Shared:            storeLimits{st},
				Name:              "console.login",
			}
			a, b := ratelimit.NewLoginGuard(limits, clock), ratelimit.NewLoginGuard(limits, clock)
			var (
				owner    = netip.MustParseAddr("2001:db8:aa:1::10")
				attacker = netip.MustParseAddr("198.51.100.7")
			)
			// The owner logs in through A.
			if err := a.Check("victim", owner, "too_many_attempts"); err != nil {
				t.Fatal(err)
			}
			a.Succeeded("victim", owner)

			// Five guesses from one address, through A and B in turn, are
			// all it gets, on either.
			for i := range 5 {
				g := a
				if i%2 == 1 {
					g = b
				}
				if err := g.Check("victim", attacker, "too_many_attempts"); err != nil {
					t.Fatalf("guess %d: %v", i+1, err)
				}
			}
			for _, g := range []*ratelimit.LoginGuard{a, b} {
				var se *safeguard.Error
				if err := g.Check("victim", attacker, "too_many_attempts"); !errors.As(err, &se) ||
					se.Kind != safeguard.ErrRateLimited || se.RetryAfter != time.Minute {
					t.Fatalf("sixth guess: %v, want refused for a minute", err)
				}
			}
			// Guesses from fresh addresses over both servers: the account's
			// limit of 8 (the owner's first attempt and the five counted)
			// leaves two.
			n := 0
			for i := range 20 {
				g := a
				if i%2 == 1 {
					g = b
				}
				if g.Check("victim", netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), "too_many_attempts") != nil {
					break
				}
				n++
			}
			if n != 2 {
				t.Fatalf("%d guesses from fresh addresses, want 2", n)
			}
			// The owner, who logged in through A, is exempt through B.
			if err := b.Check("victim", owner, "too_many_attempts"); err != nil {
				t.Fatalf("the owner through the other server: %v", err)
			}
			// A login through B clears the owner's pair on A too, and after
			// Remember the address is no longer exempt.
			b.Succeeded("victim", owner)
			advance(2 * time.Hour)
			for range 8 {
				a.Check("victim", netip.MustParseAddr("192.0.2.2"), "too_many_attempts")
				b.Check("victim", netip.MustParseAddr("192.0.2.3"), "too_many_attempts")
			}
			if err := a.Check("victim", owner, "too_many_attempts"); err == nil {
				t.Fatal("an address remembered past Remember is still exempt")
			}
		})
	}
}
