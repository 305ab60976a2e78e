package password

import (
	"context"
	"time"

	"github.com/safeguard-dev/safeguard/internal/budget"
)

// Defaults of a Gate: argon2id may hold 256 MiB at once (thirteen hashes at
// the default cost), and a request waits at most two seconds for its turn.
const (
	DefaultMemoryBudget = 256 << 20
	DefaultWait         = 2 * time.Second
	// typicalHash is a first guess of how long one hash takes, refined as
	// hashes finish; refusals estimate Retry-After from it.
	typicalHash = 100 * time.Millisecond
)

// Gate runs argon2id within a memory budget, so that many logins or
// sign-ups at once queue for their turn instead of taking the server's
// memory: each hash takes its cost's memory from the budget while it runs.
// When no room comes within the wait, Hash and Check fail with a
// safeguard.ErrUnavailable error (code "busy") whose RetryAfter says when to
// come back. A nil *Gate runs every hash at once.
type Gate struct{ b *budget.Budget }

// NewGate returns a Gate of budget bytes; a request waits at most wait.
// A budget smaller than one hash still runs hashes, one at a time. now is
// the clock (time.Now if nil).
func NewGate(budgetBytes int64, wait time.Duration, now func() time.Time) *Gate {
	return &Gate{b: budget.New(budgetBytes, wait, typicalHash, now)}
}

// Budget returns the memory budget in bytes (0 for a nil Gate).
func (g *Gate) Budget() int64 {
	if g == nil {
		return 0
	}
	return g.b.Total()
}

// Hash is p.Hash(password) within the budget.
func (g *Gate) Hash(ctx context.Context, p Argon2, password string) (string, error) {
	grant, err := g.acquire(ctx, p)
	if err != nil {
		return "", err
	}
	defer grant.Release()
	return p.Hash(password)
}

// Check is Check(encoded, password) within the budget. An unreadable
// encoded string takes nothing and does not match.
func (g *Gate) Check(ctx context.Context, encoded, password string) (bool, error) {
	h, ok := parse(encoded)
	if !ok {
		return false, nil
	}
	grant, err := g.acquire(ctx, h.cost)
	if err != nil {
		return false, err
	}
	defer grant.Release()
	return h.matches(password), nil
}

// Acquire takes the memory of one hash at cost p from the budget, for a
// caller that hashes by other means; Release the grant when done.
func (g *Gate) Acquire(ctx context.Context, p Argon2) (*budget.Grant, error) {
	return g.acquire(ctx, p)
}

func (g *Gate) acquire(ctx context.Context, p Argon2) (*budget.Grant, error) {
	if g == nil {
		return nil, nil
	}
	return g.b.Acquire(ctx, p.Bytes())
}

// Bytes is the memory one hash at cost p takes.
func (p Argon2) Bytes() int64 { return int64(p.MemoryKiB) << 10 }
