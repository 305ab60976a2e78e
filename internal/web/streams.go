package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/bus"
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
// account and per client address: on this server alone, or, with a
// registry, over every server of a cluster.
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
// planOpen decides; the streams it ends on other servers are told through
// the bus.
type streamSet struct {
	mu                     sync.Mutex
	perAccount, perAddress int
	byAccount              map[int64][]*stream
	byAddress              map[netip.Prefix][]*stream
	next                   int64 // the last ID given, on one server

	// registry, if not nil, counts the streams of every server; byID is
	// then this server's streams, by the registry's IDs, and byAccount and
	// byAddress are not used.
	registry StreamRegistry
	byID     map[int64]*stream
	bus      bus.Bus
	log      *slog.Logger
}

// stream is one open event stream.
type stream struct {
	id       int64
	account  int64
	address  netip.Prefix
	replaced chan struct{} // closed when a newer stream takes its place
	once     sync.Once
}

// OpenStream is a live event stream as the caps count it.
type OpenStream struct {
	ID      int64 // numbers the streams in the order they were opened
	Account int64
}

// StreamRegistry counts the live event streams open on every server of a
// cluster, so that the caps per account and per address hold over them
// all. A stream it no longer holds (another server ended it, or this one
// failed to renew it for long) ends here at the next Renew.
type StreamRegistry interface {
	// Open calls decide with the streams that count at address and of
	// account, oldest first, locked against every other Open for either;
	// unless decide returns an error, it forgets the streams decide
	// returns and holds a new one for this server, all at once, and
	// returns the new one's ID. decide may be called again should the
	// work be done again; what its last call returned is what was done.
	Open(ctx context.Context, account int64, address string, decide func(atAddress, ofAccount []OpenStream) ([]OpenStream, error)) (int64, error)
	// Close forgets a stream that ended.
	Close(ctx context.Context, id int64) error
	// Renew keeps counting the streams of ids, and returns those it still
	// holds.
	Renew(ctx context.Context, ids []int64) ([]int64, error)
}

// StreamRenewEvery is how often a server renews its streams in the
// registry, and ends those the registry no longer holds.
const StreamRenewEvery = 10 * time.Second

// WithStreamRegistry makes the caps on live event streams count the
// streams of every server in r (a cluster's). Run KeepStreams alongside.
func WithStreamRegistry(r StreamRegistry) Option {
	return func(s *Server) { s.streams.registry = r }
}

// streamRetryAfter is the wait given with a stream refused over the
// address's cap. A slot frees when someone disconnects, at a time the server
// cannot know, so the wait is a fixed short one.
const streamRetryAfter = 15 * time.Second

var errTooManyStreams = &safeguard.Error{Kind: safeguard.ErrRateLimited, Code: "too_many_streams",
	Message: "Too many live connections from your network. Please try again in a moment.", RetryAfter: streamRetryAfter}

func newStreamSet(perAccount, perAddress int) *streamSet {
	return &streamSet{perAccount: perAccount, perAddress: perAddress,
		byAccount: map[int64][]*stream{}, byAddress: map[netip.Prefix][]*stream{}, byID: map[int64]*stream{}}
}

// planOpen returns the streams a new stream of account ends, under the caps
// (see streamSet), given the streams open at its address and of its
// account, oldest first; or errTooManyStreams.
func planOpen(account int64, atAddress, ofAccount []OpenStream, perAccount, perAddress int) ([]OpenStream, error) {
	atAddress, ofAccount = slices.Clone(atAddress), slices.Clone(ofAccount)
	var end []OpenStream
	drop := func(v OpenStream) {
		end = append(end, v)
		is := func(o OpenStream) bool { return o.ID == v.ID }
		atAddress, ofAccount = slices.DeleteFunc(atAddress, is), slices.DeleteFunc(ofAccount, is)
	}
	for len(atAddress) >= perAddress {
		victim, ok := spare(account, atAddress)
		if !ok {
			return nil, errTooManyStreams
		}
		drop(victim)
	}
	for len(ofAccount) >= perAccount {
		drop(ofAccount[0])
	}
	return end, nil
}

// spare returns the stream at an address that a new stream of account may
// end: the oldest there of the account holding the most streams there (the
// newcomer's own account first among equals), if it holds more than one or
// is the newcomer's. It returns false when every stream there is the only
// one of another account.
func spare(account int64, atAddress []OpenStream) (OpenStream, bool) {
	count := map[int64]int{}
	for _, st := range atAddress {
		count[st.Account]++
	}
	most := account
	for a, n := range count {
		if n > count[most] || (n == count[most] && most != account && a < most) {
			most = a
		}
	}
	if count[most] == 0 || (count[most] == 1 && most != account) {
		return OpenStream{}, false
	}
	for _, st := range atAddress { // oldest first
		if st.Account == most {
			return st, true
		}
	}
	return OpenStream{}, false
}

// open registers a stream, ending the ones over a cap that may end (see
// streamSet), or returns errTooManyStreams.
func (ss *streamSet) open(ctx context.Context, account int64, address netip.Prefix) (*stream, error) {
	if ss.registry != nil {
		return ss.openShared(ctx, account, address)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	end, err := planOpen(account, listed(ss.byAddress[address]), listed(ss.byAccount[account]), ss.perAccount, ss.perAddress)
	if err != nil {
		return nil, err
	}
	for _, v := range end {
		ss.evict(ss.find(v))
	}
	ss.next++
	st := &stream{id: ss.next, account: account, address: address, replaced: make(chan struct{})}
	ss.byAccount[account] = append(ss.byAccount[account], st)
	ss.byAddress[address] = append(ss.byAddress[address], st)
	return st, nil
}

// openShared is open with the registry: the streams it ends on this server
// end here, the others through a control line on their account's topic,
// which the stream, subscribed to it before it was opened, reads.
func (ss *streamSet) openShared(ctx context.Context, account int64, address netip.Prefix) (*stream, error) {
	var end []OpenStream
	id, err := ss.registry.Open(ctx, account, address.String(), func(atAddress, ofAccount []OpenStream) ([]OpenStream, error) {
		var err error
		end, err = planOpen(account, atAddress, ofAccount, ss.perAccount, ss.perAddress)
		return end, err
	})
	if errors.Is(err, safeguard.ErrRateLimited) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("count live streams: %w: %w", safeguard.ErrUnavailable, err)
	}
	st := &stream{id: id, account: account, address: address, replaced: make(chan struct{})}
	var elsewhere []OpenStream
	ss.mu.Lock()
	ss.byID[id] = st
	for _, v := range end {
		if here := ss.byID[v.ID]; here != nil {
			delete(ss.byID, v.ID)
			here.end()
		} else {
			elsewhere = append(elsewhere, v)
		}
	}
	ss.mu.Unlock()
	for _, v := range elsewhere {
		if err := ss.bus.Signal(ctx, topic(v.Account), control{end: endStream, id: v.ID}.encode()); err != nil {
			// The stream's server ends it at its next renewal.
			ss.log.WarnContext(ctx, "publish stream end", "end", endStream, "err", err)
		}
	}
	return st, nil
}

// listed returns streams as the caps count them.
func listed(l []*stream) []OpenStream {
	out := make([]OpenStream, len(l))
	for i, st := range l {
		out[i] = OpenStream{ID: st.id, Account: st.account}
	}
	return out
}

// find returns the stream of this server that v names.
func (ss *streamSet) find(v OpenStream) *stream {
	for _, st := range ss.byAccount[v.Account] {
		if st.id == v.ID {
			return st
		}
	}
	return nil
}

// close forgets a stream that ended.
func (ss *streamSet) close(st *stream) {
	if ss.registry != nil {
		ss.mu.Lock()
		delete(ss.byID, st.id)
		ss.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), streamCloseTimeout)
		defer cancel()
		if err := ss.registry.Close(ctx, st.id); err != nil {
			// Not renewed any more, it stops counting on its own.
			ss.log.Warn("forget live stream", "err", err)
		}
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.remove(st)
}

// streamCloseTimeout bounds the registry's Close of a stream that ended.
const streamCloseTimeout = 5 * time.Second

// renew renews this server's streams in the registry and ends those it no
// longer holds: ended by another server whose control line did not come,
// or not renewed for long.
func (ss *streamSet) renew(ctx context.Context) error {
	ss.mu.Lock()
	ids := make([]int64, 0, len(ss.byID))
	for id := range ss.byID {
		ids = append(ids, id)
	}
	ss.mu.Unlock()
	live, err := ss.registry.Renew(ctx, ids)
	if err != nil {
		return err
	}
	held := make(map[int64]bool, len(live))
	for _, id := range live {
		held[id] = true
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, id := range ids {
		if st := ss.byID[id]; st != nil && !held[id] {
			delete(ss.byID, id)
			st.end()
		}
	}
	return nil
}

// KeepStreams renews this server's live event streams in the registry
// (WithStreamRegistry) every StreamRenewEvery until ctx ends. Without a
// registry it returns at once.
func (s *Server) KeepStreams(ctx context.Context) {
	if s.streams.registry == nil {
		return
	}
	tick := time.NewTicker(StreamRenewEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := s.streams.renew(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("renew live streams", "err", err)
			}
		}
	}
}

func (ss *streamSet) evict(st *stream) {
	ss.remove(st)
	st.end()
}

// end tells st's handler that a newer stream took its place.
func (st *stream) end() { st.once.Do(func() { close(st.replaced) }) }

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
	end string // messaging.EndSession, messaging.EndMembership or endStream
	// id is, with EndSession, the one session whose streams end, or 0 for
	// every one; with endStream, the one stream that ends (replaced).
	id int64
}

// endStream ends one stream, which a stream opened on another server of
// the cluster replaced.
const endStream = "stream"

const controlPrefix = "!end "

func (c control) encode() []byte {
	return []byte(controlPrefix + c.end + " " + strconv.FormatInt(c.id, 10))
}

// parseControl reads a control line; ok is false for anything else (an
// event, which is a JSON object).
func parseControl(b []byte) (c control, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(controlPrefix))
	if !ok {
		return control{}, false
	}
	what, num, ok := strings.Cut(string(rest), " ")
	if !ok || (what != messaging.EndSession && what != messaging.EndMembership && what != endStream) {
		return control{}, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id < 0 {
		return control{}, false
	}
	return control{end: what, id: id}, true
}
