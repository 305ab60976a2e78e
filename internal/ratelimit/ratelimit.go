// Package ratelimit limits how often a key (an account, an address) may do
// something, with token buckets kept in memory (New), or, for the servers
// of a cluster, in a store they share (NewShared), with the same
// semantics. Addresses
// become keys through AddrKey, so that an IPv6 client cannot escape a limit
// by moving within the /64 it was given.
package ratelimit

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// IPv6Prefix is the prefix length an IPv6 address is limited by: a /64 is
// what one subscriber, or one cloud machine, is given, and any address in it
// is theirs to use.
const IPv6Prefix = 64

// AddrKey is the key of a client address in per-address limits: an IPv4
// address (also IPv4-mapped IPv6) as itself, an IPv6 address as its /64. An
// invalid address is the empty key, one bucket for all such clients.
func AddrKey(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return ""
	case a.Is4():
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(IPv6Prefix)
	return p.String()
}

// Refused is the error for an event a limiter refused: kind
// safeguard.ErrRateLimited, with code, a plain sentence saying how long to
// wait, and RetryAfter set to retry.
func Refused(code string, retry time.Duration) *safeguard.Error {
	return &safeguard.Error{Kind: safeguard.ErrRateLimited, Code: code,
		Message: fmt.Sprintf("Too many attempts. Please try again in %s.", waitWords(retry)), RetryAfter: retry}
}

// waitWords says how long retry is in words, rounded up.
func waitWords(retry time.Duration) string {
	s := safeguard.RetrySeconds(retry)
	switch {
	case s == 1:
		return "1 second"
	case s < 120:
		return fmt.Sprintf("%d seconds", s)
	}
	return fmt.Sprintf("%d minutes", (s+59)/60)
}

// Check takes one event from key's bucket, as Allow does, and returns
// Refused(code, …) when there was none.
func (l *Limiter) Check(key, code string) error {
	return CheckAll(code, Keyed{l, key})
}

// Keyed is one bucket: a limiter and a key in it.
type Keyed struct {
	Limiter *Limiter
	Key     string
}

// CheckAll takes one event from each of the buckets when every one has an
// event to give, and otherwise takes none and returns Refused(code, …) with
// the longest wait among the buckets that refuse: a refused attempt spends
// no limit, and whoever waits as long as told finds every bucket ready. A
// nil limiter allows everything.
func CheckAll(code string, buckets ...Keyed) error {
	for _, b := range buckets {
		if b.Limiter != nil && b.Limiter.shared != nil {
			return checkShared(code, buckets)
		}
	}
	// Lock the limiters in one order, so that two calls never wait on each
	// other, and hold them all so that no event is taken between the look
	// and the take.
	held := make([]*Limiter, 0, len(buckets))
	for _, b := range buckets {
		if l := b.Limiter; l != nil && !l.limit.Unlimited() && !slices.Contains(held, l) {
			held = append(held, l)
		}
	}
	slices.SortFunc(held, func(a, b *Limiter) int { return cmp.Compare(a.id, b.id) })
	for _, l := range held {
		l.mu.Lock()
		defer l.mu.Unlock()
	}
	var wait time.Duration
	refused := false
	live := make([]*bucket, len(buckets))
	for i, kb := range buckets {
		l := kb.Limiter
		if l == nil || l.limit.Unlimited() {
			continue
		}
		b := l.bucketLocked(kb.Key)
		live[i] = b
		if !b.ready() {
			refused = true
			wait = max(wait, time.Duration((1-b.tokens)*float64(l.limit.Per)))
		}
	}
	if refused {
		return Refused(code, wait)
	}
	for _, b := range live {
		if b != nil {
			b.tokens--
		}
	}
	return nil
}

// Limit is a rate: Burst events at once, refilled at Per per event. The zero
// Limit allows everything.
type Limit struct {
	Burst int
	Per   time.Duration // time to earn one event back
}

// Unlimited reports whether l allows everything.
func (l Limit) Unlimited() bool { return l.Burst <= 0 }

// Limiter keeps one bucket per key. It is safe for concurrent use.
type Limiter struct {
	id    uint64 // the order CheckAll locks limiters in
	limit Limit
	now   func() time.Time

	// name and shared, for a limiter of NewShared: its buckets are there.
	name   string
	shared Shared
	takes  atomic.Uint64

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a Limiter; now is the clock (time.Now if nil).
func New(limit Limit, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{id: limiterIDs.Add(1), limit: limit, now: now, buckets: map[string]*bucket{}}
}

var limiterIDs atomic.Uint64

// Allow takes one event from key's bucket and reports whether there was one.
// When there was not, it reports how long until there will be.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.limit.Unlimited() {
		return true, 0
	}
	if l.shared != nil {
		var e *safeguard.Error
		if err := checkShared("", []Keyed{{l, key}}); errors.As(err, &e) {
			return false, max(e.RetryAfter, time.Second)
		}
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(key)
	if b.ready() {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.limit.Per))
}

// bucketLocked returns key's bucket refilled to now; l.mu is held.
func (l *Limiter) bucketLocked(key string) *bucket {
	now := l.now()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.limit.Burst), at: now}
		l.buckets[key] = b
	}
	b.refill(now, l.limit)
	return b
}

// Reset forgets key's bucket (after a successful login, say).
func (l *Limiter) Reset(key string) {
	if l == nil {
		return
	}
	if l.shared != nil {
		l.resetShared(key)
		return
	}
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// ready reports whether b has an event to give. Refills add up in floating
// point, so a bucket refilled by many steps to exactly the wait it was told
// may fall a rounding error short of a whole event; that counts as whole.
func (b *bucket) ready() bool { return b.tokens >= 1-1e-9 }

func (b *bucket) refill(now time.Time, lim Limit) {
	if lim.Per > 0 && now.After(b.at) {
		b.tokens += float64(now.Sub(b.at)) / float64(lim.Per)
		if b.tokens > float64(lim.Burst) {
			b.tokens = float64(lim.Burst)
		}
	}
	b.at = now
}

// sweep drops full buckets now and then, so memory follows active keys only.
func (l *Limiter) sweep(now time.Time) {
	full := time.Duration(l.limit.Burst) * l.limit.Per
	if now.Sub(l.swept) < full || len(l.buckets) < 1024 {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, k)
		}
	}
}
