package ratelimit

import (
	"net/netip"
	"sync"
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
	// under names that begin with Name. Which addresses an account logged
	// in from lately stays each server's own.
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
		account: limiter(".account", l.PerAccount), remember: l.Remember, now: now, known: map[string]time.Time{}}
}

// Check takes one attempt on account from addr when every limit that
// applies has one left. Otherwise it takes none and returns the refusal
// (Refused with code) with the longest wait among the limits that refuse,
// so that a retry after that wait is not refused again by another.
func (g *LoginGuard) Check(account string, addr netip.Addr, code string) error {
	a := AddrKey(addr)
	pair := account + " " + a
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
