// Package bus carries live events between the parts of Safeguard: a message
// committed by one request reaches the event streams of its recipients. The
// default bus is in-process; a bus shared by several servers implements the
// same interface.
//
// The bus is for live delivery only. Events that must not be lost are written
// to the store's outbox in the transaction that causes them. The bus numbers
// what it publishes and keeps the latest messages of each topic for a while,
// so that a subscriber that lost its connection can resume where it stopped;
// one that asks for more than is kept is told so, and catches up from the
// store.
package bus

import (
	"container/list"
	"context"
	"sync"
	"time"
)

type idKey struct{}

// WithID returns ctx naming the event that the next Publish with it
// carries. A bus that deduplicates (natsbus) stores an event published
// twice with one ID once, within its deduplication window; the in-process
// bus, whose events cannot outlive the process that publishes them twice,
// ignores it. An empty ID is none.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// IDOf returns the ID of ctx set by WithID, or "".
func IDOf(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

// Message is one message of a topic. Seq numbers the published messages of
// the bus: it only increases, also across restarts (it is seeded from the
// clock, in microseconds since 1970), so a number from before a restart is
// never mistaken for a later one. A signal has Seq 0.
type Message struct {
	Seq  uint64
	Data []byte
}

// Subscription is a subscriber's channel of one topic.
type Subscription struct {
	// C carries the messages of the topic in order: first the kept ones
	// after the sequence number asked for, then those published from now
	// on. It is closed by Cancel, or when the subscriber falls so far
	// behind that messages would be lost.
	C <-chan Message
	// Complete reports whether C holds every message published on the
	// topic after the sequence number asked for. When it is false the bus
	// no longer keeps some of them (too old, evicted or from before a
	// restart): C holds only the new ones, and the subscriber must
	// resynchronise from the store.
	Complete bool
	// After is the sequence number C follows on from: the one asked for,
	// or, for one the bus has not given yet, the last one it gave. A
	// number from the future is answered as the topic's latest: whether
	// the bus has given it yet depends on every topic's messages, and
	// must not be learnt from one topic's subscription.
	After uint64
	// Cancel ends the subscription; calling it again does nothing.
	Cancel func()
}

// Bus publishes messages on topics to the subscribers present at the time.
type Bus interface {
	// Publish numbers data, keeps it for subscribers that resume later and
	// sends it to every current subscriber of topic. It never blocks on a
	// slow subscriber.
	Publish(ctx context.Context, topic string, data []byte) error
	// Signal sends data to the current subscribers of topic only, in order
	// with the published messages, with Seq 0; it is neither numbered nor
	// kept.
	Signal(ctx context.Context, topic string, data []byte) error
	// Subscribe returns the messages of topic published from now on and,
	// with after not 0, first those kept that were published after the
	// message numbered after (see Subscription.Complete).
	Subscribe(ctx context.Context, topic string, after uint64) (*Subscription, error)
	// Ping reports whether the bus works.
	Ping(ctx context.Context) error
	Close() error
}

// Buffer is how many messages a subscriber may fall behind before it is
// dropped.
const Buffer = 256

// Defaults of Config: what the in-process bus keeps for subscribers that
// resume. With them a topic (one account's live events) keeps at most 256
// messages and 256 KiB, and the whole bus at most 64 MiB of kept messages
// (plus about 100 bytes of bookkeeping per message); past that, the topics
// published to least recently are forgotten first.
const (
	DefaultKeep      = 256
	DefaultKeepBytes = 256 << 10
	DefaultKeepTotal = 64 << 20
)

// entryOverhead is what one kept message costs beyond its bytes, counted
// against the limits.
const entryOverhead = 64

// Config sets what the in-process bus keeps. Zero values take the defaults.
type Config struct {
	Keep      int              // messages kept per topic
	KeepBytes int              // bytes kept per topic (at least the newest message is kept)
	KeepTotal int              // bytes kept over all topics
	Now       func() time.Time // seeds the sequence numbers; time.Now if nil
}

// Local is the in-process bus. Its zero value is ready to use, with the
// default Config.
type Local struct {
	mu     sync.Mutex
	cfg    Config
	subs   map[string]map[*sub]struct{}
	closed bool

	seq     uint64 // the last sequence number given
	start   uint64 // the first sequence number this bus could give
	logs    map[string]*topicLog
	lru     list.List // of *topicLog, least recently published first
	total   int       // bytes kept, overhead included
	evicted uint64    // the highest sequence number of a topic log forgotten whole
}

// topicLog is what the bus keeps of one topic.
type topicLog struct {
	topic   string
	entries []Message
	bytes   int
	floor   uint64 // the highest sequence number dropped from entries
	elem    *list.Element
}

type sub struct {
	ch   chan Message
	once sync.Once
}

func (s *sub) close() { s.once.Do(func() { close(s.ch) }) }

// NewLocal returns an in-process bus with the default Config.
func NewLocal() *Local { return NewLocalWith(Config{}) }

// NewLocalWith returns an in-process bus that keeps what cfg says.
func NewLocalWith(cfg Config) *Local {
	b := &Local{cfg: cfg}
	b.mu.Lock()
	b.init()
	b.mu.Unlock()
	return b
}

// init fills in the defaults and seeds the sequence numbers, once; b.mu is
// held.
func (b *Local) init() {
	if b.logs != nil {
		return
	}
	if b.cfg.Keep <= 0 {
		b.cfg.Keep = DefaultKeep
	}
	if b.cfg.KeepBytes <= 0 {
		b.cfg.KeepBytes = DefaultKeepBytes
	}
	if b.cfg.KeepTotal <= 0 {
		b.cfg.KeepTotal = DefaultKeepTotal
	}
	if b.cfg.Now == nil {
		b.cfg.Now = time.Now
	}
	b.subs = map[string]map[*sub]struct{}{}
	b.logs = map[string]*topicLog{}
	b.start = b.clock()
	b.seq = b.start - 1
}

func (b *Local) clock() uint64 {
	us := b.cfg.Now().UnixMicro()
	if us < 1 {
		us = 1
	}
	return uint64(us)
}

// Publish implements Bus.
func (b *Local) Publish(ctx context.Context, topic string, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.seq = max(b.seq+1, b.clock())
	m := Message{Seq: b.seq, Data: data}
	b.keep(topic, m)
	b.deliver(topic, m)
	return nil
}

// Signal implements Bus.
func (b *Local) Signal(ctx context.Context, topic string, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.deliver(topic, Message{Data: data})
	return nil
}

// deliver sends m to the subscribers of topic; b.mu is held.
func (b *Local) deliver(topic string, m Message) {
	for s := range b.subs[topic] {
		select {
		case s.ch <- m:
		default:
			// Too far behind: drop the subscriber rather than the message
			// silently; it resumes, or resynchronises from the store.
			delete(b.subs[topic], s)
			s.close()
		}
	}
}

// keep adds m to the log of topic and trims the logs to the limits; b.mu is
// held.
func (b *Local) keep(topic string, m Message) {
	l := b.logs[topic]
	if l == nil {
		l = &topicLog{topic: topic, floor: b.evicted}
		l.elem = b.lru.PushBack(l)
		b.logs[topic] = l
	} else {
		b.lru.MoveToBack(l.elem)
	}
	size := len(m.Data) + entryOverhead
	l.entries = append(l.entries, m)
	l.bytes += size
	b.total += size
	for len(l.entries) > 1 && (len(l.entries) > b.cfg.Keep || l.bytes > b.cfg.KeepBytes) {
		b.drop(l)
	}
	for b.total > b.cfg.KeepTotal && b.lru.Len() > 1 {
		b.forget(b.lru.Front().Value.(*topicLog))
	}
	for b.total > b.cfg.KeepTotal && len(l.entries) > 1 {
		b.drop(l)
	}
}

// drop removes the oldest kept message of l.
func (b *Local) drop(l *topicLog) {
	m := l.entries[0]
	l.entries[0] = Message{}
	l.entries = l.entries[1:]
	size := len(m.Data) + entryOverhead
	l.bytes -= size
	b.total -= size
	l.floor = m.Seq
}

// forget drops a topic's log whole: a subscriber of that topic resuming
// from before its last message is told it missed some.
func (b *Local) forget(l *topicLog) {
	if n := len(l.entries); n > 0 {
		b.evicted = max(b.evicted, l.entries[n-1].Seq)
	}
	b.total -= l.bytes
	b.lru.Remove(l.elem)
	delete(b.logs, l.topic)
}

// Subscribe implements Bus. The kept messages are put on the channel and
// the subscriber registered under one lock, which Publish also holds: every
// message is on the channel once, in order, whether it was published before
// the subscription or after.
func (b *Local) Subscribe(ctx context.Context, topic string, after uint64) (*Subscription, error) {
	b.mu.Lock()
	b.init()
	after = min(after, b.seq)
	missed, complete := b.since(topic, after)
	s := &sub{ch: make(chan Message, Buffer+len(missed))}
	for _, m := range missed {
		s.ch <- m
	}
	if b.closed {
		b.mu.Unlock()
		s.close()
		return &Subscription{C: s.ch, Complete: complete, After: after, Cancel: func() {}}, nil
	}
	if b.subs[topic] == nil {
		b.subs[topic] = map[*sub]struct{}{}
	}
	b.subs[topic][s] = struct{}{}
	b.mu.Unlock()
	cancel := func() {
		b.mu.Lock()
		if m := b.subs[topic]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(b.subs, topic)
			}
		}
		b.mu.Unlock()
		s.close()
	}
	return &Subscription{C: s.ch, Complete: complete, After: after, Cancel: cancel}, nil
}

// since returns the kept messages of topic after the sequence number after
// (at most b.seq), and whether they are all that was published after it;
// b.mu is held.
func (b *Local) since(topic string, after uint64) ([]Message, bool) {
	if after == 0 {
		return nil, true
	}
	floor := max(b.start-1, b.evicted)
	l := b.logs[topic]
	if l != nil {
		floor = max(b.start-1, l.floor)
	}
	if after < floor {
		return nil, false
	}
	if l == nil {
		return nil, true
	}
	i := len(l.entries)
	for i > 0 && l.entries[i-1].Seq > after {
		i--
	}
	return append([]Message(nil), l.entries[i:]...), true
}

// Ping implements Bus.
func (b *Local) Ping(ctx context.Context) error { return nil }

// Close closes every subscription.
func (b *Local) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, m := range b.subs {
		for s := range m {
			s.close()
		}
	}
	b.subs = map[string]map[*sub]struct{}{}
	return nil
}
