package budget

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestAcquireRefusesWhenFullWithRetryAfter(t *testing.T) {
	c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(100, 0, 3*time.Second, c.now)
	ctx := context.Background()
	g1, err := b.Acquire(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	g2, err := b.Acquire(ctx, 40)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(500 * time.Millisecond)
	tests := []struct {
		n    int64
		want time.Duration
	}{
		{30, 1500 * time.Millisecond},  // g1 ends at 3 s, 1.5 s from now
		{70, 2500 * time.Millisecond},  // g1 and g2 both: g2 ends at 4 s
		{500, 2500 * time.Millisecond}, // larger than the budget: runs alone, after both
	}
	for _, tt := range tests {
		_, err := b.Acquire(ctx, tt.n)
		var e *safeguard.Error
		if !errors.As(err, &e) || !errors.Is(err, safeguard.ErrUnavailable) || e.Code != CodeBusy {
			t.Fatalf("Acquire(%d) on a full budget: %v, want busy", tt.n, err)
		}
		if e.RetryAfter != tt.want {
			t.Errorf("Acquire(%d): RetryAfter %v, want %v", tt.n, e.RetryAfter, tt.want)
		}
	}
	g1.Release()
	g1.Release() // twice is harmless
	if _, err := b.Acquire(ctx, 61); err == nil {
		t.Fatal("granted more than is free")
	}
	g3, err := b.Acquire(ctx, 60)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	g2.Release()
	g3.Release()
	if b.used != 0 || len(b.held) != 0 {
		t.Fatalf("after releasing all: used %d, held %d", b.used, len(b.held))
	}
}

func TestAcquireWaitsForRelease(t *testing.T) {
	b := New(10, time.Minute, time.Second, nil)
	ctx := context.Background()
	g, err := b.Acquire(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		g2, err := b.Acquire(ctx, 5)
		g2.Release()
		got <- err
	}()
	for {
		b.mu.Lock()
		n := len(b.queue)
		b.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	g.Release()
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

func TestAcquireGivesUpWithContext(t *testing.T) {
	b := New(10, time.Hour, time.Second, nil)
	g, _ := b.Acquire(context.Background(), 10)
	defer g.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Acquire(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	if len(b.queue) != 0 {
		t.Fatal("a cancelled waiter stayed queued")
	}
}
