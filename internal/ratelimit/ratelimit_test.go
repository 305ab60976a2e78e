package ratelimit

import (
	"testing"
	"time"
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
