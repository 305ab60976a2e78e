// Package budget bounds how much memory expensive work (password hashing,
// image decoding) may take at once: a weighted semaphore over a budget of
// bytes, first come first served, with a bounded wait and an estimate of
// when a refused caller could succeed, for Retry-After.
package budget

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// CodeBusy is the code of the refusal when the budget stays taken for
// longer than the wait.
const CodeBusy = "busy"

// Budget is a weighted semaphore of Total bytes. Create it with New; it is
// safe for concurrent use.
type Budget struct {
	total int64
	wait  time.Duration
	now   func() time.Time

	mu      sync.Mutex
	used    int64
	queue   []*waiter
	held    map[*Grant]struct{}
	typical time.Duration // how long a grant is usually held (moving average)
}

type waiter struct {
	n     int64
	ready chan *Grant
}

// Grant is memory taken from a Budget; Release gives it back.
type Grant struct {
	b     *Budget
	n     int64
	start time.Time
	once  sync.Once
}

// New returns a Budget of total bytes. Acquire waits at most wait for room;
// typical is a first guess of how long work holds its grant, refined as
// grants are released, from which refusals say when to come back. now is
// the clock (time.Now if nil).
func New(total int64, wait, typical time.Duration, now func() time.Time) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{total: max(total, 1), wait: max(wait, 0), typical: max(typical, time.Millisecond), now: now,
		held: map[*Grant]struct{}{}}
}

// Total returns the budget in bytes.
func (b *Budget) Total() int64 { return b.total }

// Acquire takes n bytes, waiting at most the Budget's wait (and no longer
// than ctx) for room. Work larger than the whole budget is given the whole
// budget: it runs alone. When no room comes in time, Acquire returns a
// *safeguard.Error of kind ErrUnavailable, code CodeBusy, whose RetryAfter
// estimates when n bytes would be free.
func (b *Budget) Acquire(ctx context.Context, n int64) (*Grant, error) {
	n = min(max(n, 1), b.total)
	b.mu.Lock()
	if len(b.queue) == 0 && b.used+n <= b.total {
		g := b.grant(n)
		b.mu.Unlock()
		return g, nil
	}
	if b.wait <= 0 {
		retry := b.estimate(n, len(b.queue))
		b.mu.Unlock()
		return nil, busy(retry)
	}
	w := &waiter{n: n, ready: make(chan *Grant, 1)}
	b.queue = append(b.queue, w)
	b.mu.Unlock()

	t := time.NewTimer(b.wait)
	defer t.Stop()
	var cause error
	select {
	case g := <-w.ready:
		return g, nil
	case <-t.C:
	case <-ctx.Done():
		cause = ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.Index(b.queue, w)
	if i < 0 { // granted meanwhile
		return <-w.ready, nil
	}
	b.queue = slices.Delete(b.queue, i, i+1)
	b.wake()
	if cause != nil {
		return nil, cause
	}
	return nil, busy(b.estimate(n, i))
}

// grant takes n bytes; b.mu is held.
func (b *Budget) grant(n int64) *Grant {
	b.used += n
	g := &Grant{b: b, n: n, start: b.now()}
	b.held[g] = struct{}{}
	return g
}

// wake grants waiters in order while they fit; b.mu is held.
func (b *Budget) wake() {
	for len(b.queue) > 0 && b.used+b.queue[0].n <= b.total {
		w := b.queue[0]
		b.queue = b.queue[1:]
		w.ready <- b.grant(w.n)
	}
}

// Release gives the grant's memory back. Releasing twice is harmless.
func (g *Grant) Release() {
	if g == nil {
		return
	}
	g.once.Do(func() {
		b := g.b
		b.mu.Lock()
		defer b.mu.Unlock()
		b.used -= g.n
		delete(b.held, g)
		if d := b.now().Sub(g.start); d > 0 {
			b.typical = (4*b.typical + d) / 5
		}
		b.wake()
	})
}

// estimate says how long until n bytes would be granted to a caller behind
// the first ahead waiters: the holders are expected to finish a typical
// time after they started, in that order, and each round of waiters takes
// a typical time more. b.mu is held.
func (b *Budget) estimate(n int64, ahead int) time.Duration {
	now := b.now()
	need := n
	for _, w := range b.queue[:ahead] {
		need += w.n
	}
	need -= b.total - b.used
	if need <= 0 {
		return 0
	}
	ends := make([]time.Time, 0, len(b.held))
	sizes := map[time.Time]int64{}
	for g := range b.held {
		end := g.start.Add(b.typical)
		if _, ok := sizes[end]; !ok {
			ends = append(ends, end)
		}
		sizes[end] += g.n
	}
	slices.SortFunc(ends, func(x, y time.Time) int { return x.Compare(y) })
	last := now
	for _, end := range ends {
		need -= sizes[end]
		if end.After(last) {
			last = end
		}
		if need <= 0 {
			return last.Sub(now)
		}
	}
	// Waiters ahead take more than what is held now: they run in rounds.
	rounds := (need + b.total - 1) / b.total
	return last.Sub(now) + time.Duration(rounds)*b.typical
}

func busy(retry time.Duration) *safeguard.Error {
	return &safeguard.Error{Kind: safeguard.ErrUnavailable, Code: CodeBusy, RetryAfter: retry,
		Message: fmt.Sprintf("The server is busy. Please try again in %d seconds.", safeguard.RetrySeconds(retry))}
}
