package ratelimit

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRemember is how long a successful login exempts its address from
// the per-account limit of LoginGuard.
const DefaultRemember = 30 * 24 * time.Hour

// LoginLimits are the limits a LoginGuard applies. The zero Limit is
// unlimited.
type LoginLimits struct {
	PerAddress        Limit // attempts from one address (an IPv6 /64), on any account
	PerAccountAddress Limit // attempts on one account from one address
	// PerAccount bounds attempts on one account from all the addresses it
	// has not logged in from within Remember. It is much looser than
	// PerAccountAddress: it stops a guessing run spread over many
	// addresses, and an attacker who exhausts it still cannot shut the
	// owner out of the addresses they use.
	PerAccount Limit
	Remember   time.Duration // 0 means DefaultRemember
	// Shared, if not nil, keeps the buckets for the servers of a cluster,
	// under names that begin with Name, and which addresses each account
	// logged in from lately (Name+".known"), so that the limits and the
	// exemption hold across the servers as on one.
	Shared Shared
	Name   string
}

// LoginGuard limits login attempts so that an attacker who fails to guess
// a password locks out only themselves: failures are counted per address,
// per account and address, and per account only from addresses the
// account has not recently logged in from. Keys are case-folded by the
// caller. It is safe for concurrent use.
type LoginGuard struct {
	addr, pair, account *Limiter
	remember            time.Duration
	now                 func() time.Time

	mu    sync.Mutex
	known map[string]time.Time // account + address key → last successful login
	swept time.Time

	// shared, if not nil, holds the buckets and, under knownName, the
	// last successful login of each account and address key (its At).
	shared    Shared
	knownName string
	successes atomic.Uint64
}

// NewLoginGuard returns a LoginGuard; now is the clock (time.Now if nil).
func NewLoginGuard(l LoginLimits, now func() time.Time) *LoginGuard {
	if now == nil {
		now = time.Now
	}
	if l.Remember <= 0 {
		l.Remember = DefaultRemember
	}
	limiter := func(name string, lim Limit) *Limiter {
		if l.Shared != nil {
			return NewShared(l.Name+name, lim, now, l.Shared)
		}
		return New(lim, now)
	}
	return &LoginGuard{addr: limiter(".address", l.PerAddress), pair: limiter(".account-address", l.PerAccountAddress),
		account: limiter(".account", l.PerAccount), remember: l.Remember, now: now, known: map[string]time.Time{},
		shared: l.Shared, knownName: l.Name + ".known"}
}

// Check takes one attempt on account from addr when every limit that
// applies has one left. Otherwise it takes none and returns the refusal
// (Refused with code) with the longest wait among the limits that refuse,
// so that a retry after that wait is not refused again by another.
func (g *LoginGuard) Check(account string, addr netip.Addr, code string) error {
	a := AddrKey(addr)
	pair := account + " " + a
	if g.shared != nil {
		return g.checkShared(account, a, pair, code)
	}
	buckets := []Keyed{{g.addr, a}, {g.pair, pair}}
	if !g.knownPair(pair) {
		buckets = append(buckets, Keyed{g.account, account})
	}
	return CheckAll(code, buckets...)
}

// Succeeded records a successful login on account from addr: the account
// and address start afresh, and the address is exempt from the account's
// limit for Remember.
func (g *LoginGuard) Succeeded(account string, addr netip.Addr) {
	pair := account + " " + AddrKey(addr)
	if g.shared != nil {
		g.succeededShared(pair)
		return
	}
	g.pair.Reset(pair)
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.known[pair] = now
	if len(g.known) >= 1024 && now.Sub(g.swept) >= time.Hour {
		g.swept = now
		for k, at := range g.known {
			if now.Sub(at) >= g.remember {
				delete(g.known, k)
			}
		}
	}
}

func (g *LoginGuard) knownPair(pair string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	at, ok := g.known[pair]
	return ok && g.now().Sub(at) < g.remember
}

// checkShared is Check with the buckets, and the memory of the account's
// logins, in the shared store: one Take reads whether the address is known
// to the account, and takes from the buckets that apply, or from none.
func (g *LoginGuard) checkShared(account, addr, pair, code string) error {
	var keys []BucketKey
	var limits []*Limiter
	add := func(l *Limiter, key string) {
		if !l.limit.Unlimited() {
			keys, limits = append(keys, BucketKey{l.name, key}), append(limits, l)
		}
	}
	add(g.addr, addr)
	add(g.pair, pair)
	accountAt := len(limits)
	add(g.account, account)
	if len(limits) == 0 {
		return nil
	}
	var skip func([]SharedBucket) ([]bool, []SharedBucket)
	if accountAt < len(limits) {
		keys = append(keys, BucketKey{g.knownName, pair})
		skip = func(bs []SharedBucket) ([]bool, []SharedBucket) {
			skipped := make([]bool, len(limits))
			known := bs[len(limits)]
			if !known.At.IsZero() && g.now().Sub(known.At) < g.remember {
				skipped[accountAt] = true
				return skipped, nil
			}
			// Not known, or no longer: forget the row (made to be locked).
			return skipped, []SharedBucket{{BucketKey: known.BucketKey}}
		}
	}
	wait, refused, err := takeShared(g.shared, keys, limits, skip)
	if err != nil {
		return unavailable(err)
	}
	for _, l := range limits {
		l.maybePrune(g.shared)
	}
	if refused {
		return Refused(code, wait)
	}
	return nil
}

// succeededShared is Succeeded in the shared store: the pair's bucket is
// forgotten and the login remembered, in one Take. A store that cannot be
// reached leaves both as they were: the owner's next login from there is
// limited as from a new address, which never lets an attacker through.
func (g *LoginGuard) succeededShared(pair string) {
	now := g.now()
	ctx, cancel := context.WithTimeout(context.Background(), SharedTimeout)
	defer cancel()
	keys := []BucketKey{{g.pair.name, pair}, {g.knownName, pair}}
	g.shared.Take(ctx, keys, func(bs []SharedBucket) []SharedBucket {
		return []SharedBucket{{BucketKey: bs[0].BucketKey}, {BucketKey: bs[1].BucketKey, At: now}}
	})
	if g.successes.Add(1)%pruneEvery == 0 {
		g.shared.Prune(ctx, g.knownName, now.Add(-g.remember))
	}
}
