package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// topic is the bus topic of an account's live events.
func topic(accountID int64) string { return "account." + strconv.FormatInt(accountID, 10) }

// liveNotifier turns the messaging service's notifications into v1 events,
// one per recipient as that recipient may see it, and publishes them on the
// bus for the event streams.
type liveNotifier struct {
	bus bus.Bus
	log *slog.Logger
}

func (n *liveNotifier) Notify(ctx context.Context, note messaging.Notification) {
	now := time.Now().UTC()
	for _, to := range note.To {
		ev := client.Event{Type: note.Type, At: now}
		switch {
		case note.Type == safeguard.EventRead && note.Message != nil:
			ev.Read = &client.ReadMarker{MessageID: note.Message.ID, At: now}
			if note.Account != nil {
				ev.Read.Handle = note.Account.Handle
			}
			ev.Conversation = &client.Conversation{ID: note.Message.ConversationID}
		case note.Message != nil:
			m := wireMessage(note.Message, to)
			ev.Message = &m
		case note.Contact != nil:
			c := wireContact(note.Contact)
			ev.Contact = &c
		case note.Conversation != nil:
			c := wireConversation(note.Conversation)
			ev.Conversation = &c
		case note.Account != nil:
			a := wireAccount(note.Account, now)
			ev.Account = &a
		}
		if note.Notice != "" {
			ev.Notice = wireNotice(note.Notice)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			n.log.ErrorContext(ctx, "encode live event", "type", note.Type, "err", err)
			continue
		}
		if err := n.bus.Publish(ctx, topic(to), b); err != nil {
			n.log.WarnContext(ctx, "publish live event", "type", note.Type, "err", err)
		}
	}
}

// events streams an account's live events as server-sent events: each event
// is one "data:" line of a client.Event in JSON. A comment line every
// heartbeat keeps proxies from closing the stream. When the stream falls too
// far behind, it sends {"type":"resync"} and ends: the client fetches history
// and reconnects.
func (s *Server) events(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	ctx := r.Context()
	ch, cancel, err := s.bus.Subscribe(ctx, topic(a.ID))
	if err != nil {
		s.writeError(w, r, fmt.Errorf("subscribe: %w: %w", safeguard.ErrUnavailable, err))
		return
	}
	defer cancel()
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(s.cfg.SSEHeartbeat + 10*time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte(": connected\n\n")) {
		return
	}
	tick := time.NewTicker(s.cfg.SSEHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case msg, ok := <-ch:
			if !ok {
				write([]byte(`data: {"type":"resync"}` + "\n\n"))
				return
			}
			if !write(append(append([]byte("data: "), msg...), '\n', '\n')) {
				return
			}
		}
	}
}
