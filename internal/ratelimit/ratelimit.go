// Package ratelimit limits how often a key (an account, an address) may do
// something, with token buckets kept in memory. Limits are per process; a
// deployment of several servers divides its limits between them.
package ratelimit

import (
	"sync"
	"time"
)

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
	limit Limit
	now   func() time.Time

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
	return &Limiter{limit: limit, now: now, buckets: map[string]*bucket{}}
}

// Allow takes one event from key's bucket and reports whether there was one.
// When there was not, it reports how long until there will be.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.limit.Unlimited() {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.limit.Burst), at: now}
		l.buckets[key] = b
	}
	b.refill(now, l.limit)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.limit.Per))
}

// Reset forgets key's bucket (after a successful login, say).
func (l *Limiter) Reset(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

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
