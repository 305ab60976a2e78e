package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
)

// next reads the next event of a stream, which must come.
func next(t *testing.T, events <-chan client.Event, what string) client.Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("%s: the stream ended", what)
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no event", what)
	}
	return client.Event{}
}

// quiet checks that nothing more arrives on a stream for a moment.
func quiet(t *testing.T, events <-chan client.Event, what string) {
	t.Helper()
	select {
	case ev, ok := <-events:
		if ok {
			t.Errorf("%s: unexpected %s event %d", what, ev.Type, ev.ID)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

// pair makes two adult contacts with a one-to-one conversation.
func pair(t *testing.T, s *stack, a, b string) (*client.Client, *client.Client, int64) {
	t.Helper()
	ca, cb := s.user(a, 30, ""), s.user(b, 31, "")
	s.connect(ca, s.h(b), cb)
	conv, err := ca.CreateConversation(t.Context(), client.ConversationRequest{Members: []string{s.h(b)}})
	if err != nil {
		t.Fatal(err)
	}
	return ca, cb, conv.ID
}

func sendAll(t *testing.T, c *client.Client, conv int64, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if _, err := c.SendText(t.Context(), conv, text); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEventsResumeAfterADroppedStream: a client whose stream dropped
// reconnects with the last ID it saw and gets exactly the events it missed,
// in order, then live ones; event IDs only increase.
func TestEventsResumeAfterADroppedStream(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana, ben, conv := pair(t, s, "ana_r", "ben_r")
		first, drop := context.WithCancel(ctx)
		events, err := ben.Events(first)
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, ana, conv, "one")
		ev := next(t, events, "the first message")
		if ev.Message == nil || ev.Message.Text != "one" || ev.ID == 0 || ben.LastEventID() != ev.ID {
			t.Fatalf("first event %+v, client remembers %d: want message one with an ID", ev, ben.LastEventID())
		}
		drop()
		for range events { // the reader stops
		}
		sendAll(t, ana, conv, "two", "three", "four") // while disconnected

		events, err = ben.Events(ctx) // resumes from ben.LastEventID()
		if err != nil {
			t.Fatal(err)
		}
		last := ev.ID
		for _, want := range []string{"two", "three", "four"} {
			ev := next(t, events, "replay of "+want)
			if ev.Type != "message.created" || ev.Message == nil || ev.Message.Text != want {
				t.Fatalf("replayed %s %+v, want message %q", ev.Type, ev.Message, want)
			}
			if ev.ID <= last {
				t.Fatalf("event ID %d after %d: want increasing", ev.ID, last)
			}
			last = ev.ID
		}
		sendAll(t, ana, conv, "five")
		if ev := next(t, events, "live after replay"); ev.Message == nil || ev.Message.Text != "five" || ev.ID <= last {
			t.Fatalf("live event %+v (ID %d after %d), want message five", ev.Message, ev.ID, last)
		}
		quiet(t, events, "after the live message")
	})
}

// TestEventsResyncWhenTooOld: an ID older than what is kept, unknown, or
// from the future gets {"type":"resync"} first, then the live events.
func TestEventsResyncWhenTooOld(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newBusStack(t, open(t), nil, nil, bus.NewLocalWith(bus.Config{Keep: 2}))
			ctx := t.Context()
			ana, ben, conv := pair(t, s, "ana_o", "ben_o")
			first, drop := context.WithCancel(ctx)
			events, err := ben.Events(first)
			if err != nil {
				t.Fatal(err)
			}
			sendAll(t, ana, conv, "one")
			seen := next(t, events, "the first message").ID
			drop()
			for range events {
			}
			sendAll(t, ana, conv, "two", "three", "four") // more than the two kept

			for _, tc := range []struct {
				name string
				id   uint64
			}{{"too old", seen}, {"before the server began", 1}} {
				cctx, cancel := context.WithCancel(ctx)
				ben.SetLastEventID(tc.id)
				events, err := ben.Events(cctx)
				if err != nil {
					t.Fatal(err)
				}
				if ev := next(t, events, tc.name); ev.Type != "resync" || ev.ID != 0 {
					t.Errorf("%s: first event %s (ID %d), want resync without an ID", tc.name, ev.Type, ev.ID)
				}
				sendAll(t, ana, conv, "live "+tc.name)
				if ev := next(t, events, tc.name+", live"); ev.Message == nil || ev.Message.Text != "live "+tc.name {
					t.Errorf("%s: after resync %s %+v, want the live message", tc.name, ev.Type, ev.Message)
				}
				cancel()
			}
		})
	}
}

// TestEventsResumeByQuery: clients that cannot set headers name the last ID
// in the query; the stream's lines carry "id:" before "data:"; an ID that
// is not a number is refused.
func TestEventsResumeByQuery(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana, ben, conv := pair(t, s, "ana_q", "ben_q")
		first, drop := context.WithCancel(ctx)
		events, err := ben.Events(first)
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, ana, conv, "three")
		three := next(t, events, "three")
		drop()
		sendAll(t, ana, conv, "four")

		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/events?last_event_id=%d", s.url, three.ID), nil)
		req.Header.Set("Authorization", "Bearer "+ben.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		var got []string
		for len(got) < 2 {
			select {
			case l := <-lines:
				if strings.HasPrefix(l, "id: ") || strings.HasPrefix(l, "data: ") {
					got = append(got, l)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no replay by query; got %q", got)
			}
		}
		if !strings.HasPrefix(got[0], "id: ") || !strings.Contains(got[1], `"text":"four"`) {
			t.Errorf("replay by query %q, want an id line then message four", got)
		}

		for _, bad := range []string{"?last_event_id=abc", "?last_event_id=-1"} {
			code, body := s.raw("GET", "/api/v1/events"+bad, ben.Token, "", nil)
			if code != 400 || body.Error.Code != "invalid_parameter" {
				t.Errorf("%s: %d %s, want 400 invalid_parameter", bad, code, body.Error.Code)
			}
		}
	})
}
