package natsbus

import (
	"context"
	"errors"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/safeguard-dev/safeguard/internal/bus"
)

// sub is one subscriber on this server. Until its replay is read from the
// stream it is not ready: what the feed brings meanwhile is held, and put on
// the channel after the replay, so that nothing is lost or out of order.
type sub struct {
	mu     sync.Mutex
	ch     chan bus.Message
	ready  bool
	held   []item
	last   uint64 // the highest stream sequence put on ch (or replayed)
	closed bool
}

// offer hands it to s and reports whether s kept up.
func (s *sub) offer(it item) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	if !s.ready {
		if len(s.held) >= bus.Buffer {
			return false
		}
		s.held = append(s.held, it)
		return true
	}
	if !it.signal && it.seq <= s.last {
		return true // replayed already
	}
	select {
	case s.ch <- it.message():
		s.last = max(s.last, it.seq)
		return true
	default:
		return false
	}
}

func (s *sub) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// start puts the replay and then what was held on the channel, and makes s
// ready. The held items follow on from the feed's position when s was
// registered; the replay is cut where they begin.
func (s *sub) start(replay []item, after uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	cut := ^uint64(0)
	if len(s.held) > 0 {
		cut = s.held[0].seq
	}
	s.ch = make(chan bus.Message, bus.Buffer+len(replay)+len(s.held))
	s.last = after
	for _, it := range replay {
		if it.seq < cut {
			s.ch <- it.message()
			s.last = it.seq
		}
	}
	for _, it := range s.held {
		if it.signal || it.seq > s.last {
			s.ch <- it.message()
			s.last = max(s.last, it.seq)
		}
	}
	s.held, s.ready = nil, true
}

// Subscribe implements bus.Bus. The subscriber is registered with this
// server's feed first; then the kept messages after the number asked for
// are read from the stream, and put on the channel before what the feed
// brought meanwhile. With after not 0 it needs NATS.
func (b *Bus) Subscribe(ctx context.Context, topic string, after uint64) (*bus.Subscription, error) {
	subj, err := b.subject(topic)
	if err != nil {
		return nil, err
	}
	s := &sub{ch: make(chan bus.Message)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		close(s.ch)
		return &bus.Subscription{C: s.ch, Complete: true, After: after, Cancel: func() {}}, nil
	}
	if b.subs[subj] == nil {
		b.subs[subj] = map[*sub]struct{}{}
	}
	b.subs[subj][s] = struct{}{}
	b.mu.Unlock()
	cancel := func() {
		b.mu.Lock()
		b.drop(subj, s)
		b.mu.Unlock()
	}
	replay, after, complete, err := b.replay(ctx, subj, after)
	if err != nil {
		cancel()
		return nil, err
	}
	// start makes the channel; the feed can reach s only through offer,
	// under s.mu, so C is read after start.
	s.start(replay, after)
	s.mu.Lock()
	ch := s.ch
	s.mu.Unlock()
	return &bus.Subscription{C: ch, Complete: complete, After: after, Cancel: cancel}, nil
}

// replay returns the kept messages of subj after the sequence after (made
// at most the stream's last), that sequence, and whether they are all that
// was published on subj after it. It is complete when the message numbered
// after is still kept and is on subj: the stream forgets a subject's
// messages oldest first, so nothing of subj after a kept one is forgotten.
// A number greater than the stream's last is incomplete too, unlike the
// in-process bus (whose numbers come from one clock-seeded counter, so that
// such a number can only be made up): here it is a number from before the
// stream was made again, or from a server that kept its events in process,
// and events may have been missed since.
func (b *Bus) replay(ctx context.Context, subj string, after uint64) ([]item, uint64, bool, error) {
	if after == 0 {
		return nil, 0, true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	info, err := b.stream.Info(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	switch {
	case after > info.State.LastSeq:
		return nil, info.State.LastSeq, false, nil
	case after == info.State.LastSeq:
		return nil, after, true, nil
	}
	m, err := b.stream.GetMsg(ctx, after)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return b.tail(ctx, subj, after, false)
	case err != nil:
		return nil, 0, false, err
	}
	return b.tail(ctx, subj, after, m.Subject == subj && m.Header.Get(signalHeader) == "")
}

// tail reads the kept messages of subj after the sequence after, leaving out
// the signals. When the replay is not complete it replays nothing: the
// subscriber resynchronises from the store, and then wants the new ones only.
func (b *Bus) tail(ctx context.Context, subj string, after uint64, complete bool) ([]item, uint64, bool, error) {
	if !complete {
		return nil, after, false, nil
	}
	var out []item
	for seq := after + 1; len(out) <= b.cfg.Keep; {
		m, err := b.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, 0, false, err
		}
		if m.Header.Get(signalHeader) == "" {
			out = append(out, item{seq: m.Sequence, data: m.Data})
		}
		seq = m.Sequence + 1
	}
	return out, after, true, nil
}

// Ping implements bus.Bus: NATS answers and the stream is there.
func (b *Bus) Ping(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return nats.ErrConnectionClosed
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	_, err := b.js.Stream(ctx, b.cfg.Stream)
	return err
}

// Close closes every subscription, sends what is queued if NATS takes it
// now, and closes the connection.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	for subj, m := range b.subs {
		for s := range m {
			s.close()
		}
		delete(b.subs, subj)
	}
	b.mu.Unlock()
	close(b.done)
	b.flushed.Wait()
	b.flush()
	b.feed.Stop()
	b.nc.Close()
	return nil
}
