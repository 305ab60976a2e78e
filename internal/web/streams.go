package web

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// Defaults of Config.
const (
	DefaultMaxStreamsPerAccount = 5
	DefaultMaxStreamsPerAddress = 50
)

// Clock is the time as the server sees it. Tests give one they move by hand.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock reaches t, and a
	// function that stops it.
	At(t time.Time) (<-chan time.Time, func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) At(t time.Time) (<-chan time.Time, func() bool) {
	tm := time.NewTimer(time.Until(t))
	return tm.C, tm.Stop
}

// WithClock makes the server tell the time by c: the expiry of live
// streams, the times it writes.
func WithClock(c Clock) Option {
	return func(s *Server) { s.clock, s.now = c, c.Now }
}

// streamSet is the live event streams open on this server, capped per
// account and per client address.
//
// A new stream over the account's cap ends the account's oldest one, which
// is told it was replaced: whoever holds a stream can always open a fresh
// one (a phone that changed networks need not wait for the server to notice
// its old connection is dead).
//
// Over the address's cap, a new stream ends the oldest stream, at that
// address, of the account holding the most streams there, if that account
// holds more than one there or is the newcomer's own; otherwise the new
// stream is refused. So the accounts sharing an address (a school's network,
// one NAT) can crowd out one another's spare streams but never end another
// account's only stream there, and the number of open streams stays bounded.
type streamSet struct {
	mu                     sync.Mutex
	perAccount, perAddress int
	byAccount              map[int64][]*stream
	byAddress              map[netip.Prefix][]*stream
}

// stream is one open event stream.
type stream struct {
	account  int64
	address  netip.Prefix
	replaced chan struct{} // closed when a newer stream takes its place
	once     sync.Once
}

// streamRetryAfter is the wait given with a stream refused over the
// address's cap. A slot frees when someone disconnects, at a time the server
// cannot know, so the wait is a fixed short one.
const streamRetryAfter = 15 * time.Second

var errTooManyStreams = &safeguard.Error{Kind: safeguard.ErrRateLimited, Code: "too_many_streams",
	Message: "Too many live connections from your network. Please try again in a moment.", RetryAfter: streamRetryAfter}

func newStreamSet(perAccount, perAddress int) *streamSet {
	return &streamSet{perAccount: perAccount, perAddress: perAddress,
		byAccount: map[int64][]*stream{}, byAddress: map[netip.Prefix][]*stream{}}
}

// open registers a stream, ending the ones over a cap that may end (see
// streamSet), or returns errTooManyStreams.
func (ss *streamSet) open(account int64, address netip.Prefix) (*stream, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for len(ss.byAddress[address]) >= ss.perAddress {
		victim := ss.spare(account, address)
		if victim == nil {
			return nil, errTooManyStreams
		}
		ss.evict(victim)
	}
	for len(ss.byAccount[account]) >= ss.perAccount {
		ss.evict(ss.byAccount[account][0])
	}
	st := &stream{account: account, address: address, replaced: make(chan struct{})}
	ss.byAccount[account] = append(ss.byAccount[account], st)
	ss.byAddress[address] = append(ss.byAddress[address], st)
	return st, nil
}

// spare returns the stream at address that a new stream of account may
// end: the oldest there of the account holding the most streams there (the
// newcomer's own account first among equals), if it holds more than one or
// is the newcomer's. It returns nil when every stream there is the only
// one of another account.
func (ss *streamSet) spare(account int64, address netip.Prefix) *stream {
	count := map[int64]int{}
	for _, st := range ss.byAddress[address] {
		count[st.account]++
	}
	most := account
	for a, n := range count {
		if n > count[most] || (n == count[most] && most != account && a < most) {
			most = a
		}
	}
	if count[most] == 0 || (count[most] == 1 && most != account) {
		return nil
	}
	for _, st := range ss.byAddress[address] { // oldest first
		if st.account == most {
			return st
		}
	}
	return nil
}

// close forgets a stream that ended.
func (ss *streamSet) close(st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.remove(st)
}

func (ss *streamSet) evict(st *stream) {
	ss.remove(st)
	st.once.Do(func() { close(st.replaced) })
}

func (ss *streamSet) remove(st *stream) {
	if l := without(ss.byAccount[st.account], st); len(l) > 0 {
		ss.byAccount[st.account] = l
	} else {
		delete(ss.byAccount, st.account)
	}
	if l := without(ss.byAddress[st.address], st); len(l) > 0 {
		ss.byAddress[st.address] = l
	} else {
		delete(ss.byAddress, st.address)
	}
}

func without(l []*stream, st *stream) []*stream {
	for i, x := range l {
		if x == st {
			return append(l[:i:i], l[i+1:]...)
		}
	}
	return l
}

// addressKey is what the per-address cap counts by: an IPv4 address, or the
// /64 of an IPv6 address (one subscriber's network).
func addressKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// control is a line on an account's bus topic that ends some of the
// account's streams. It travels on the same topic as the events, so a
// stream writes every event published before it (the membership change
// that caused it, say) and then ends.
type control struct {
	end     string // messaging.EndSession or messaging.EndMembership
	session int64  // with EndSession: the one session, or 0 for every one
}

const controlPrefix = "!end "

func (c control) encode() []byte {
	return []byte(controlPrefix + c.end + " " + strconv.FormatInt(c.session, 10))
}

// parseControl reads a control line; ok is false for anything else (an
// event, which is a JSON object).
func parseControl(b []byte) (c control, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(controlPrefix))
	if !ok {
		return control{}, false
	}
	what, num, ok := strings.Cut(string(rest), " ")
	if !ok || (what != messaging.EndSession && what != messaging.EndMembership) {
		return control{}, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id < 0 {
		return control{}, false
	}
	return control{end: what, session: id}, true
}
