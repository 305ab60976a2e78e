// Package natsbus is the bus shared by several servers: live events go
// through a NATS JetStream stream, one subject per topic, so that a
// subscriber on any server gets every message of its topic, in order.
//
// A message's number is its sequence in the stream: JetStream gives it, so it
// only increases whichever server published the message, and a subscriber
// resumes on any server. The stream keeps each topic's latest messages
// (Config), and a subscriber that asks for more than is kept is told so, as
// with the in-process bus. Signals go through the stream too, marked, so that
// they reach every server in order with the messages; they are never replayed.
//
// While NATS cannot be reached, Publish and Signal queue what they are given
// in memory (Config.Pending) and send it, in order, when NATS is back; Ping
// fails, so the server is not ready. Subscribing with a number to resume
// from needs NATS, and fails meanwhile. Each message carries an ID of its
// own (Nats-Msg-Id), so that one sent again after NATS stored it but its
// answer was lost is stored once, within the stream's duplicate window.
package natsbus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/safeguard-dev/safeguard/internal/bus"
)

// Defaults of Config.
const (
	DefaultStream    = "SAFEGUARD_EVENTS"
	DefaultSubject   = "safeguard.events"
	DefaultControl   = "safeguard.control" // subject prefix of control messages
	DefaultKeep      = bus.DefaultKeep     // messages kept per topic
	DefaultKeepAge   = 24 * time.Hour      // how long a message is kept
	DefaultKeepTotal = 1 << 30             // bytes kept in the stream
	DefaultPending   = 64 << 20            // bytes queued while NATS is unreachable
	DefaultTimeout   = 5 * time.Second     // one request to NATS
)

// DuplicateWindow is how long the stream remembers the ID of a message it
// stored (bus.WithID): one published again with that ID within this time
// is kept once; after it, it is stored again.
const DuplicateWindow = 2 * time.Minute

// signalHeader marks a signal in the stream: delivered live, never
// replayed, given no number.
const signalHeader = "Safeguard-Signal"

// Config says where NATS is and what the stream keeps. Zero values take the
// defaults.
type Config struct {
	URL       string        // NATS server URL(s), comma-separated
	Name      string        // connection name, shown by NATS monitoring
	Stream    string        // JetStream stream name
	Subject   string        // subject prefix: a topic T is the subject Subject.T
	Control   string        // subject prefix of control messages: Control.NAME
	Keep      int           // messages kept per topic
	KeepAge   time.Duration // how long a message is kept
	KeepTotal int64         // bytes kept in the stream
	Replicas  int           // stream replicas (1 unless NATS is clustered)
	Cluster   string        // the Safeguard cluster's identity, kept in the stream's metadata: a stream of another cluster is refused
	Pending   int           // bytes queued while NATS is unreachable
	Timeout   time.Duration // one request to NATS
	Log       *slog.Logger  // discarded if nil
}

func (c *Config) defaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Subject == "" {
		c.Subject = DefaultSubject
	}
	if c.Control == "" {
		c.Control = DefaultControl
	}
	if c.Keep <= 0 {
		c.Keep = DefaultKeep
	}
	if c.KeepAge <= 0 {
		c.KeepAge = DefaultKeepAge
	}
	if c.KeepTotal <= 0 {
		c.KeepTotal = DefaultKeepTotal
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Pending <= 0 {
		c.Pending = DefaultPending
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Bus is the NATS JetStream bus. It implements bus.Bus.
type Bus struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	feed   jetstream.ConsumeContext

	mu     sync.Mutex
	subs   map[string]map[*sub]struct{} // by subject
	closed bool

	pmu     sync.Mutex
	pending []outgoing
	pbytes  int
	kick    chan struct{}
	done    chan struct{}
	flushed sync.WaitGroup
}

// outgoing is a message waiting for NATS.
type outgoing struct {
	subject string
	data    []byte
	signal  bool
	id      string // the stream's deduplication ID (Nats-Msg-Id)
}

var _ bus.Bus = (*Bus)(nil)

// Open connects to NATS, makes or updates the stream, and starts this
// server's feed of every topic. It fails when NATS cannot be reached.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	cfg.defaults()
	b := &Bus{cfg: cfg, subs: map[string]map[*sub]struct{}{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	nc, err := nats.Connect(cfg.URL, nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.Timeout(cfg.Timeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { cfg.Log.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { cfg.Log.Info("nats reconnected"); b.wake() }))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", cfg.URL, err)
	}
	b.nc = nc
	if err := b.setup(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	b.flushed.Add(1)
	go b.flushLoop()
	return b, nil
}

// JetStream is the bus's JetStream context, for other JetStream state the
// servers share over the same connection (the object store of their files).
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// ClusterKey names the metadata of a stream or bucket that holds the
// identity of the Safeguard cluster whose it is.
const ClusterKey = "safeguard_cluster"

// sameCluster refuses a stream that another Safeguard cluster made: two
// clusters on one NATS would read each other's events, whose account IDs
// both start at 1.
func (b *Bus) sameCluster(ctx context.Context) error {
	if b.cfg.Cluster == "" {
		return nil
	}
	s, err := b.js.Stream(ctx, b.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("nats stream %s: %w", b.cfg.Stream, err)
	}
	if other := s.CachedInfo().Config.Metadata[ClusterKey]; other != "" && other != b.cfg.Cluster {
		return fmt.Errorf("nats stream %s belongs to another Safeguard cluster (%s; this one is %s): give each cluster a NATS of its own",
			b.cfg.Stream, other, b.cfg.Cluster)
	}
	return nil
}

// setup makes the stream and starts the feed.
func (b *Bus) setup(ctx context.Context) error {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return err
	}
	b.js = js
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	if err := b.sameCluster(ctx); err != nil {
		return err
	}
	var meta map[string]string
	if b.cfg.Cluster != "" {
		meta = map[string]string{ClusterKey: b.cfg.Cluster}
	}
	b.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Metadata:          meta,
		Name:              b.cfg.Stream,
		Description:       "Safeguard live events, one subject per account",
		Subjects:          []string{b.cfg.Subject + ".>"},
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		MaxMsgsPerSubject: int64(b.cfg.Keep),
		MaxAge:            b.cfg.KeepAge,
		MaxBytes:          b.cfg.KeepTotal,
		Duplicates:        DuplicateWindow,
		Storage:           jetstream.FileStorage,
		Replicas:          b.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("nats stream %s: %w", b.cfg.Stream, err)
	}
	if b.cfg.Cluster != "" && b.stream.CachedInfo().Config.Metadata[ClusterKey] != b.cfg.Cluster {
		// A NATS before 2.10 drops a stream's metadata: the check above
		// would pass for any cluster.
		return fmt.Errorf("nats stream %s: the NATS server (%s) did not keep the stream's metadata, which names the Safeguard cluster whose it is, "+
			"so another cluster on this NATS would not be refused and would read this one's events: use NATS 2.10 or later",
			b.cfg.Stream, b.nc.ConnectedServerVersion())
	}
	// The feed: every message published from now on, in the stream's
	// order. It starts at the sequence after the stream's last now (not
	// "new", which would be whenever the consumer is made), and an ordered
	// consumer makes itself again after a lost connection from the message
	// after the last one it delivered: the feed has no gap.
	info, err := b.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("nats stream %s: %w", b.cfg.Stream, err)
	}
	feed, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.cfg.Subject + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    info.State.LastSeq + 1,
	})
	if err != nil {
		return fmt.Errorf("nats feed: %w", err)
	}
	b.feed, err = feed.Consume(b.receive, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		b.cfg.Log.Debug("nats feed", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("nats feed: %w", err)
	}
	return nil
}

// subject is the NATS subject of topic.
func (b *Bus) subject(topic string) (string, error) {
	if topic == "" || strings.ContainsAny(topic, " \t\r\n*>") || strings.HasPrefix(topic, ".") ||
		strings.HasSuffix(topic, ".") || strings.Contains(topic, "..") {
		return "", fmt.Errorf("bus topic %q: not a NATS subject", topic)
	}
	return b.cfg.Subject + "." + topic, nil
}

// Publish implements bus.Bus. The message's number is its sequence in the
// stream. When NATS cannot take it now, it is queued (see the package
// comment) and Publish returns nil; only a full queue is an error.
func (b *Bus) Publish(ctx context.Context, topic string, data []byte) error {
	return b.send(ctx, topic, data, false)
}

// Signal implements bus.Bus: the signal goes through the stream, marked,
// and each server hands it to its current subscribers only.
func (b *Bus) Signal(ctx context.Context, topic string, data []byte) error {
	return b.send(ctx, topic, data, true)
}

func (b *Bus) send(ctx context.Context, topic string, data []byte, signal bool) error {
	subj, err := b.subject(topic)
	if err != nil {
		return err
	}
	id := bus.IDOf(ctx)
	if id == "" || signal {
		id = msgID()
	}
	o := outgoing{subject: subj, data: data, signal: signal, id: id}
	b.pmu.Lock()
	queued := len(b.pending) > 0
	b.pmu.Unlock()
	if !queued && b.nc.IsConnected() {
		if err := b.publish(ctx, o); err == nil {
			return nil
		}
	}
	return b.queue(o)
}

// msgID returns a new random ID for a message to publish.
func msgID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// publish sends o and waits for the stream to store it. A publish whose
// answer is lost (NATS went away after storing it) is queued and sent
// again; o's ID, the same each time, lets the stream store it once, if
// the second comes within the stream's duplicate window (DuplicateWindow).
func (b *Bus) publish(ctx context.Context, o outgoing) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Timeout)
	defer cancel()
	m := nats.NewMsg(o.subject)
	m.Data = o.data
	m.Header.Set(jetstream.MsgIDHeader, o.id)
	if o.signal {
		m.Header.Set(signalHeader, "1")
	}
	_, err := b.js.PublishMsg(ctx, m)
	return err
}

// queue keeps o until NATS takes it.
func (b *Bus) queue(o outgoing) error {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if b.pbytes+len(o.data) > b.cfg.Pending {
		return errors.New("nats unavailable and the queue of live events is full")
	}
	if len(b.pending) == 0 {
		b.cfg.Log.Warn("nats unavailable: live events are queued until it is back")
	}
	b.pending = append(b.pending, o)
	b.pbytes += len(o.data)
	b.wake()
	return nil
}

func (b *Bus) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// flushLoop sends the queued messages, in order, whenever NATS may be back.
func (b *Bus) flushLoop() {
	defer b.flushed.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-b.kick:
		case <-t.C:
		}
		b.flush()
	}
}

func (b *Bus) flush() {
	for {
		b.pmu.Lock()
		if len(b.pending) == 0 {
			b.pmu.Unlock()
			return
		}
		o := b.pending[0]
		b.pmu.Unlock()
		if !b.nc.IsConnected() || b.publish(context.Background(), o) != nil {
			return
		}
		b.pmu.Lock()
		b.pending[0] = outgoing{}
		b.pending = b.pending[1:]
		b.pbytes -= len(o.data)
		if len(b.pending) == 0 {
			b.cfg.Log.Info("nats back: queued live events sent")
		}
		b.pmu.Unlock()
	}
}

// item is a message of the stream as a subscriber holds it: Seq is its
// stream sequence also for a signal, which the subscriber's channel gets
// with Seq 0.
type item struct {
	seq    uint64
	data   []byte
	signal bool
}

func (it item) message() bus.Message {
	if it.signal {
		return bus.Message{Data: it.data}
	}
	return bus.Message{Seq: it.seq, Data: it.data}
}

// receive is the feed's handler: it hands each message to the subscribers
// of its subject on this server.
func (b *Bus) receive(m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		return
	}
	it := item{seq: md.Sequence.Stream, data: m.Data(), signal: m.Headers().Get(signalHeader) != ""}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[m.Subject()] {
		if !s.offer(it) {
			b.drop(m.Subject(), s)
		}
	}
}

// drop removes s; b.mu is held.
func (b *Bus) drop(subject string, s *sub) {
	if m := b.subs[subject]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(b.subs, subject)
		}
	}
	s.close()
}
