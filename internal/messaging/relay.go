package messaging

import (
	"context"
	"encoding/json"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// A change made with the command line (safeguard account birth-date) writes
// the database while a server runs on it; that process has no live streams
// to tell. Its service has no Notifier, so the outbox events of an age
// change it writes carry "relay" in their payload, and the running server
// relays them (RunRelay): it claims the age changes and ended encryption
// queued for the relay (store.QueueLiveRelay) and sends each marked one to
// the live stream of its account, as it would have had it made the change
// itself. Events the server wrote itself carry no mark,
// since it told the people concerned at once.

// RelayConsumer is the name of the live relay's event queue.
const RelayConsumer = store.QueueLiveRelay

// relayClaim is how long a server holds the relay events it claimed: if it
// dies meanwhile, another relays them after that.
const relayClaim = time.Minute

// relayMark is the payload field of an event that waits for the server to
// relay it.
const relayMark = "relay"

// DefaultRelayEvery is how often the server looks for events to relay.
const DefaultRelayEvery = 2 * time.Second

// relayBatch is how many queued events RelayLive claims at a time.
const relayBatch = 100

// eventPayload is the payload of an outbox event of an age change: fields,
// marked for the relay when this service has no live streams to tell.
func (s *Service) eventPayload(fields map[string]string) []byte {
	if _, offline := s.notify.(discard); offline {
		fields[relayMark] = "1"
	}
	b, _ := json.Marshal(fields)
	return b
}

// RelayLive sends the marked outbox events queued for the relay to the live
// streams of their accounts, and takes them out of the queue. Servers
// sharing a database share the queue: each event is relayed by one of them.
// It returns how many it sent.
func (s *Service) RelayLive(ctx context.Context) (int, error) {
	n := 0
	for {
		var evs []safeguard.Event
		now := time.Now()
		err := updateTx(ctx, s.store, func(tx Tx) (err error) {
			evs, err = tx.ClaimEvents(ctx, RelayConsumer, now, now.Add(relayClaim), relayBatch)
			return
		})
		if err != nil || len(evs) == 0 {
			return n, err
		}
		for _, ev := range evs {
			if s.relayEvent(ctx, ev) {
				n++
			}
			if err := updateTx(ctx, s.store, func(tx Tx) error { _, err := tx.DoneEvent(ctx, RelayConsumer, ev.ID); return err }); err != nil {
				return n, err
			}
		}
		if len(evs) < relayBatch {
			return n, nil
		}
	}
}

// relayEvent sends ev to its account's live stream if it is marked for the
// relay, and reports whether it did.
func (s *Service) relayEvent(ctx context.Context, ev safeguard.Event) bool {
	var p map[string]string
	if ev.Type != safeguard.EventAgeChanged && ev.Type != safeguard.EventE2EEEnded ||
		json.Unmarshal(ev.Payload, &p) != nil || p[relayMark] == "" {
		return false
	}
	now := s.clock()
	n := Notification{Type: ev.Type, Notice: p["notice"]}
	err := s.view(ctx, func(tx Tx) error {
		if ev.Type == safeguard.EventE2EEEnded {
			c, err := tx.Conversation(ctx, ev.ConversationID)
			if err != nil {
				return err
			}
			n.Conversation, err = s.conversationView(ctx, tx, c, now)
			n.Notice = policy.NoticeE2EEEnded
			return err
		}
		if p["notice"] == NoticeContactEndedForAge || p["notice"] == NoticeGuardianAgeCorrect {
			return nil
		}
		var err error
		n.Account, err = tx.Account(ctx, ev.AccountID)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "relay live event", "event", ev.ID, "err", err)
		return false
	}
	s.publish(ctx, ev.AccountID, n)
	return true
}

// RunRelay relays marked outbox events (RelayLive) every period until ctx
// ends.
func (s *Service) RunRelay(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultRelayEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.RelayLive(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "relay live events", "err", err)
		}
	}
}
