// Package bus carries live events between the parts of Safeguard: a message
// committed by one request reaches the event streams of its recipients. The
// default bus is in-process; a bus shared by several servers implements the
// same interface.
//
// The bus is for live delivery only. Events that must not be lost are written
// to the store's outbox in the transaction that causes them; a subscriber that
// falls behind is dropped and catches up from the store.
package bus

import (
	"context"
	"sync"
)

// Bus publishes messages on topics to the subscribers present at the time.
type Bus interface {
	// Publish sends data to every current subscriber of topic. It never
	// blocks on a slow subscriber.
	Publish(ctx context.Context, topic string, data []byte) error
	// Subscribe returns a channel of the messages published on topic from
	// now on. The channel is closed when cancel is called, or when the
	// subscriber falls so far behind that messages would be lost (the
	// subscriber must then resynchronise from the store).
	Subscribe(ctx context.Context, topic string) (ch <-chan []byte, cancel func(), err error)
	// Ping reports whether the bus works.
	Ping(ctx context.Context) error
	Close() error
}

// Buffer is how many messages a subscriber may fall behind before it is
// dropped.
const Buffer = 256

// Local is the in-process bus. Its zero value is ready to use.
type Local struct {
	mu     sync.Mutex
	subs   map[string]map[*sub]struct{}
	closed bool
}

type sub struct {
	ch   chan []byte
	once sync.Once
}

func (s *sub) close() { s.once.Do(func() { close(s.ch) }) }

// NewLocal returns an in-process bus.
func NewLocal() *Local { return &Local{} }

// Publish implements Bus.
func (b *Local) Publish(ctx context.Context, topic string, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[topic] {
		select {
		case s.ch <- data:
		default:
			// Too far behind: drop the subscriber rather than the message
			// silently; it resynchronises from the store.
			delete(b.subs[topic], s)
			s.close()
		}
	}
	return nil
}

// Subscribe implements Bus.
func (b *Local) Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error) {
	s := &sub{ch: make(chan []byte, Buffer)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		s.close()
		return s.ch, func() {}, nil
	}
	if b.subs == nil {
		b.subs = map[string]map[*sub]struct{}{}
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
	return s.ch, cancel, nil
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
	b.subs = nil
	return nil
}
