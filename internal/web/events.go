package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// topic is the bus topic of an account's live events, and of the control
// lines that end its streams.
func topic(accountID int64) string { return "account." + strconv.FormatInt(accountID, 10) }

// liveNotifier turns the messaging service's notifications into v1 events,
// one per recipient as that recipient may see it, and publishes them on the
// bus for the event streams.
type liveNotifier struct {
	bus bus.Bus
	log *slog.Logger
}

func (n *liveNotifier) Notify(ctx context.Context, note messaging.Notification) {
	if note.End != "" {
		b := control{end: note.End, id: note.Session}.encode()
		for _, to := range note.To {
			if err := n.bus.Signal(ctx, topic(to), b); err != nil {
				n.log.WarnContext(ctx, "publish stream end", "end", note.End, "err", err)
			}
		}
		return
	}
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
		pctx := ctx
		if note.Key != "" {
			pctx = bus.WithID(ctx, note.Key+".to."+strconv.FormatInt(to, 10))
		}
		if err := n.bus.Publish(pctx, topic(to), b); err != nil {
			n.log.WarnContext(ctx, "publish live event", "type", note.Type, "err", err)
		}
	}
}

// resync tells the client that it may have missed events: it reads its
// conversations and history again. It carries no ID, so a client that
// reconnects before the next event still names the event before the gap.
var resync = []byte(`data: {"type":"resync"}` + "\n\n")

// Final events: the last line of a stream that the server ends.
var (
	// endResync: the stream fell behind, or a membership of the account
	// ended; the client reads its conversations and history again and
	// reconnects.
	endResync = resync
	// endSession: the session is over (logout, suspension, expiry); the
	// client must log in again.
	endSession = []byte(`data: {"type":"session.ended"}` + "\n\n")
	// endReplaced: a newer stream of the same account or address took this
	// one's place (see streamSet); the client reconnects only when its user
	// comes back, not on its own.
	endReplaced = []byte(`data: {"type":"stream.replaced"}` + "\n\n")
)

// events streams an account's live events as server-sent events: each event
// is an "id:" line, the event's number, which only increases for an account,
// and one "data:" line of a client.Event in JSON. A comment line every
// heartbeat keeps proxies from closing the stream. When the stream falls too
// far behind, it sends {"type":"resync"} and ends: the client reconnects.
//
// A client that reconnects sends the last ID it saw (the Last-Event-ID
// header, or the last_event_id query parameter for clients that cannot set
// headers): the stream first replays every event of the account after it
// that the bus still keeps, then goes on live, with no gap and no event
// twice (the bus puts both on one channel under one lock). When the bus no
// longer keeps them all — the ID is too old, or from before a restart —
// the stream begins with {"type":"resync"} (no ID) instead, and goes on
// live: the client reads its conversations and history again. An ID
// greater than any given yet is answered as the account's latest (no
// resync, nothing replayed): event IDs are numbered across every account,
// and whether one has been given yet must not be learnt from a stream.
//
// A stream lives no longer than its session: it ends with
// {"type":"session.ended"} at logout, when the account is suspended and when
// the session expires, and it is checked against the store at every
// heartbeat. It ends with {"type":"resync"} when one of the account's
// memberships ends, so that the client reconnects with what it is still in.
func (s *Server) events(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	ctx := r.Context()
	token, _ := bearer(r)
	after, err := lastEventID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sub, err := s.bus.Subscribe(ctx, topic(a.ID), after)
	if err != nil {
		s.writeError(w, r, &safeguard.Error{Kind: safeguard.ErrUnavailable, Code: "unavailable",
			Message: "Live events cannot be resumed just now. Please try again in a moment.", Err: fmt.Errorf("subscribe: %w", err)})
		return
	}
	defer sub.Cancel()
	after = sub.After // an ID from the future is the account's latest
	// Read the session after subscribing: a logout from now on reaches
	// the stream, and one before it is seen here.
	sess, err := s.svc.Session(ctx, token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.streams.open(ctx, a.ID, addressKey(s.origin(r).Addr.Addr()))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.streams.close(st)
	expired, stop := s.clock.At(sess.ExpiresAt)
	defer stop()
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
	hello := []byte(": connected\n\n")
	if !sub.Complete {
		hello = append(hello, resync...)
		after = 0 // an ID the bus no longer covers skips nothing
	}
	if !write(hello) {
		return
	}
	tick := time.NewTicker(s.cfg.SSEHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-st.replaced:
			write(endReplaced)
			return
		case <-expired:
			write(endSession)
			return
		case <-tick.C:
			if !s.sessionLasts(ctx, token) {
				write(endSession)
				return
			}
			if !write([]byte(": ping\n\n")) {
				return
			}
		case msg, ok := <-sub.C:
			if !ok {
				write(endResync)
				return
			}
			if msg.Seq == 0 {
				if end := streamEnd(msg.Data, sess.ID, st.id); end != nil {
					write(end)
					return
				}
				continue
			}
			if msg.Seq <= after {
				continue // never twice
			}
			after = msg.Seq
			data, ok := s.stillShown(ctx, a.ID, msg.Data)
			if !ok {
				continue
			}
			msg.Data = data
			if !write(sseEvent(msg)) {
				return
			}
		}
	}
}

// eventsWait is how old an event may be and be delivered as it was
// published. An older one — replayed to a stream resumed from an earlier
// event, or held while the bus was down — is about a message that may have
// been hidden since (removed by a moderator, its sender blocked, the viewer
// gone from the chat): stillShown checks it first.
const eventsWait = 5 * time.Second

// stillShown returns the event data to deliver to viewer: as it is, unless
// it is older than eventsWait and about a message; then the message is as
// viewer's history shows it now, and if the history no longer shows it, a
// message.created is not delivered (false) and any other event (a safety
// notice) goes without the message. An error of the store withholds the
// message as well: the history shows it, if it may.
func (s *Server) stillShown(ctx context.Context, viewer int64, data []byte) ([]byte, bool) {
	if !bytes.Contains(data, []byte(`"message":`)) {
		return data, true
	}
	var ev struct {
		Type    string    `json:"type"`
		At      time.Time `json:"at"`
		Message *struct {
			ID             int64 `json:"id"`
			ConversationID int64 `json:"conversation_id"`
		} `json:"message"`
	}
	if err := json.Unmarshal(data, &ev); err != nil || ev.Message == nil || s.now().Sub(ev.At) < eventsWait {
		return data, true
	}
	now, err := s.svc.ShownAs(ctx, viewer, ev.Message.ConversationID, ev.Message.ID)
	if now == nil && ev.Type == safeguard.EventMessageCreated {
		return nil, false
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(data, &all) != nil {
		return nil, false
	}
	if now == nil || err != nil {
		delete(all, "message")
	} else {
		// As the history shows it now (a sender deleted since, say).
		m, err := json.Marshal(wireMessage(now, viewer))
		if err != nil {
			return nil, false
		}
		all["message"] = m
	}
	out, err := json.Marshal(all)
	return out, err == nil
}

// streamEnd returns the last event of a stream that a control line ends, or
// nil if the line does not end the stream, of session, numbered id.
func streamEnd(data []byte, session, id int64) []byte {
	c, ok := parseControl(data)
	switch {
	case !ok:
		return nil
	case c.end == messaging.EndMembership:
		return endResync
	case c.end == endStream:
		if c.id == id {
			return endReplaced
		}
		return nil
	case c.id == 0 || c.id == session:
		return endSession
	}
	return nil
}

// sseEvent is one event on the stream: its ID and its data.
func sseEvent(m bus.Message) []byte {
	b := make([]byte, 0, len(m.Data)+32)
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, m.Seq, 10)
	b = append(b, "\ndata: "...)
	b = append(b, m.Data...)
	return append(b, '\n', '\n')
}

// LastEventIDParam is the query parameter that stands for the Last-Event-ID
// header, for clients that cannot set headers.
const LastEventIDParam = "last_event_id"

// lastEventID reads the ID of the last event a reconnecting client saw: the
// Last-Event-ID header, else the last_event_id query parameter; 0 when it
// sent neither.
func lastEventID(r *http.Request) (uint64, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		v = r.URL.Query().Get(LastEventIDParam)
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, safeguard.Invalid("invalid_parameter", "The last event ID must be a whole number, as the stream gave it.")
	}
	return id, nil
}

// sessionLasts reports whether the session of token still stands for an
// account that is not suspended. An error of the store is not a reason to
// end a stream.
func (s *Server) sessionLasts(ctx context.Context, token string) bool {
	a, err := s.svc.Authenticate(ctx, token)
	if err != nil {
		return !errors.Is(err, safeguard.ErrUnauthenticated)
	}
	return a.Status != safeguard.Suspended
}
