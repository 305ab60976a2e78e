package password

import (
	"context"
	"errors"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestGate(t *testing.T) {
	cheap := Argon2{Time: 1, MemoryKiB: 64, Threads: 1}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for _, g := range []*Gate{nil, NewGate(cheap.Bytes(), 0, func() time.Time { return now })} {
		h, err := g.Hash(ctx, cheap, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			password string
			want     bool
		}{{"correct horse battery", true}, {"correct horse batter", false}} {
			if ok, err := g.Check(ctx, h, tt.password); ok != tt.want || err != nil {
				t.Errorf("Check(%q) through %v = %v, %v", tt.password, g, ok, err)
			}
		}
		if ok, err := g.Check(ctx, "$argon2id$nonsense", "x"); ok || err != nil {
			t.Errorf("unreadable hash: %v, %v", ok, err)
		}
	}

	// A budget of one hash, taken: the next hash and check are refused
	// with the time until the one running should end.
	g := NewGate(cheap.Bytes(), 0, func() time.Time { return now })
	h, _ := g.Hash(ctx, cheap, "correct horse battery")
	grant, err := g.Acquire(ctx, cheap)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(40 * time.Millisecond)
	_, errHash := g.Hash(ctx, cheap, "another password")
	_, errCheck := g.Check(ctx, h, "correct horse battery")
	for _, err := range []error{errHash, errCheck} {
		var e *safeguard.Error
		if !errors.As(err, &e) || !errors.Is(err, safeguard.ErrUnavailable) || e.Code != "busy" || e.RetryAfter != 60*time.Millisecond {
			t.Errorf("with the budget taken: %v, want busy, retry in 60ms", err)
		}
	}
	grant.Release()
	if ok, err := g.Check(ctx, h, "correct horse battery"); !ok || err != nil {
		t.Errorf("after release: %v, %v", ok, err)
	}
	// A budget smaller than one hash still runs hashes, one at a time.
	tiny := NewGate(1, 0, nil)
	if _, err := tiny.Hash(ctx, cheap, "correct horse battery"); err != nil {
		t.Errorf("budget under one hash: %v", err)
	}
}
