package ratelimit

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(Limit{Burst: 3, Per: time.Second}, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d refused within burst", i)
		}
	}
	ok, retry := l.Allow("a")
	if ok || retry != time.Second {
		t.Fatalf("4th event: ok=%v retry=%v, want refused, 1s", ok, retry)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares a's bucket")
	}
	now = now.Add(1500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("no refill after 1.5s")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("refilled more than earned")
	}
	l.Reset("a")
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("Reset did not refill")
	}
}

func TestUnlimited(t *testing.T) {
	var l *Limiter
	if ok, _ := l.Allow("x"); !ok {
		t.Fatal("nil limiter refused")
	}
	l = New(Limit{}, nil)
	for range 1000 {
		if ok, _ := l.Allow("x"); !ok {
			t.Fatal("zero limit refused")
		}
	}
}

func TestSweep(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(Limit{Burst: 1, Per: time.Second}, func() time.Time { return now })
	for i := range 2000 {
		l.Allow(string(rune(i)))
	}
	now = now.Add(time.Hour)
	l.Allow("fresh")
	if n := len(l.buckets); n != 1 {
		t.Fatalf("after sweep %d buckets, want 1", n)
	}
}

func TestCheckAll(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	short := New(Limit{Burst: 2, Per: time.Second}, clock)
	long := New(Limit{Burst: 1, Per: time.Minute}, clock)
	both := func() error { return CheckAll("rate_limited", Keyed{short, "k"}, Keyed{long, "k"}, Keyed{nil, "k"}) }
	wait := func(err error) time.Duration {
		t.Helper()
		var e *safeguard.Error
		if !errors.As(err, &e) || e.Code != "rate_limited" {
			t.Fatalf("got %v, want a refusal", err)
		}
		return e.RetryAfter
	}

	if err := both(); err != nil {
		t.Fatal(err)
	}
	// long refuses: short is not spent, however often it is tried.
	for range 10 {
		if got := wait(both()); got != time.Minute {
			t.Fatalf("wait %v, want 1m", got)
		}
	}
	if ok, _ := short.Allow("k"); !ok {
		t.Fatal("refused attempts spent the other limit")
	}
	if ok, _ := short.Allow("k"); ok {
		t.Fatal("short has more than its burst")
	}
	// The wait given is enough, and when both refuse it is the longest.
	now = now.Add(59 * time.Second)
	if got := wait(both()); got != time.Second {
		t.Fatalf("wait %v, want 1s (long refuses for 1s more)", got)
	}
	short.Allow("k")
	short.Allow("k") // short is empty again: a wait of 1s
	now = now.Add(500 * time.Millisecond)
	if got := wait(both()); got != 500*time.Millisecond {
		t.Fatalf("wait %v, want 500ms", got)
	}
	now = now.Add(500 * time.Millisecond)
	if err := both(); err != nil {
		t.Fatalf("after the wait given: %v", err)
	}
}

func TestCheckAllSameLimiterTwice(t *testing.T) {
	l := New(Limit{Burst: 3, Per: time.Hour}, nil)
	if err := CheckAll("c", Keyed{l, "a"}, Keyed{l, "b"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("a spent twice")
	}
}

// Attempts at once never take more than a limit holds: the look at every
// bucket and the take happen under the limiters' locks.
func TestCheckAllConcurrent(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	addr := New(Limit{Burst: 20, Per: time.Hour}, clock)
	account := New(Limit{Burst: 50, Per: time.Hour}, clock)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			// Both orders, so that a lock order that follows the arguments
			// would deadlock.
			b := []Keyed{{addr, "a"}, {account, "x"}}
			if i%2 == 1 {
				b[0], b[1] = b[1], b[0]
			}
			if CheckAll("c", b...) == nil {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 20 {
		t.Fatalf("%d allowed, want 20", n)
	}
}
