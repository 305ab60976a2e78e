package web_test

import (
	"net/http"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// eachRepublishing runs fn against every store, on a server that
// republishes a repeated send's events as a server of a cluster does.
func eachRepublishing(t *testing.T, fn func(t *testing.T, s *stack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newStack(t, open(t), func(c *messaging.Config) { c.RepublishWindow = natsbus.DuplicateWindow }))
		})
	}
}

// fixedKey sends every request with one Idempotency-Key: each send after
// the first repeats it.
type fixedKey string

func (k fixedKey) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Idempotency-Key", string(k))
	return http.DefaultTransport.RoundTrip(req)
}

// keyed returns c's account sending with key: its sends repeat one send.
func keyed(c *client.Client, key string) *client.Client {
	return &client.Client{BaseURL: c.BaseURL, Token: c.Token, Handle: c.Handle, HTTP: &http.Client{Transport: fixedKey(key)}}
}

// messagesBefore reads a stream up to message id, which must come, and
// returns the messages it delivered first.
func messagesBefore(t *testing.T, events <-chan client.Event, what string, id int64) []*client.Message {
	t.Helper()
	var out []*client.Message
	for _, ev := range eventsUntil(t, events, what, func(ev client.Event) bool { return ev.Message != nil && ev.Message.ID == id }) {
		if ev.Type == "message.created" && ev.Message.ID != id {
			out = append(out, ev.Message)
		}
	}
	return out
}

// TestRepeatShowsNothingFromBeforeJoining replays the finding that an
// adult could show a young person, live, messages sent to a group of adults
// before the young person joined it — unscanned for them, and hidden from
// their history — by repeating the sends with their Idempotency-Keys once
// the young person had joined.
func TestRepeatShowsNothingFromBeforeJoining(t *testing.T) {
	eachRepublishing(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ann, bob, tia := s.user("rj_ann", 30, ""), s.user("rj_bob", 31, ""), s.user("rj_tia", 15, "")
		s.connect(tia, s.h("rj_ann"), ann)
		s.connect(tia, s.h("rj_bob"), bob)
		g, err := ann.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("rj_bob")}, Title: "adults"})
		if err != nil {
			t.Fatal(err)
		}
		text, img := keyed(ann, "rj-text"), keyed(ann, "rj-image")
		m1, err := text.SendText(ctx, g.ID, "before she joins (TEST)")
		if err != nil {
			t.Fatal(err)
		}
		m2, err := img.SendImage(ctx, g.ID, "pic.png", "image/png", texturedPNG(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ann.AddMember(ctx, g.ID, s.h("rj_tia")); err != nil {
			t.Fatal(err)
		}
		if _, err := tia.AcceptInvitation(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		events := stream(t, tia)
		if again, err := text.SendText(ctx, g.ID, "before she joins (TEST)"); err != nil || again.ID != m1.ID {
			t.Fatalf("repeated text: %+v, %v; want message %d", again, err, m1.ID)
		}
		if again, err := img.SendImage(ctx, g.ID, "pic.png", "image/png", texturedPNG(t), ""); err != nil || again.ID != m2.ID {
			t.Fatalf("repeated image: %+v, %v; want message %d", again, err, m2.ID)
		}
		marker, err := bob.SendText(ctx, g.ID, "after she joined (TEST)")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range messagesBefore(t, events, "the young person's stream", marker.ID) {
			t.Errorf("the young person's stream delivered message %d (%s %q, media %d) from before she joined", m.ID, m.Kind, m.Text, m.MediaID)
		}
		page, err := tia.History(ctx, g.ID, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != 1 || page.Messages[0].ID != marker.ID {
			t.Errorf("the young person's history holds %d messages, want the one sent after she joined", len(page.Messages))
		}
	})
}

// TestRepeatShowsTheBlockerNothing replays the finding that a blocked
// adult could send the young person who blocked them their old messages,
// live, by repeating the sends with their Idempotency-Keys, in a group
// they were removed from and in their one-to-one chat.
func TestRepeatShowsTheBlockerNothing(t *testing.T) {
	eachRepublishing(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ann, bob, tia := s.user("rb_ann", 30, ""), s.user("rb_bob", 31, ""), s.user("rb_tia", 15, "")
		s.connect(tia, s.h("rb_ann"), ann)
		s.connect(tia, s.h("rb_bob"), bob)
		g, err := ann.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("rb_bob"), s.h("rb_tia")}, Title: "three"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tia.AcceptInvitation(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		d, err := ann.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("rb_tia")}})
		if err != nil {
			t.Fatal(err)
		}
		inGroup, inDirect := keyed(ann, "rb-group"), keyed(ann, "rb-direct")
		if _, err := inGroup.SendText(ctx, g.ID, "in the group (TEST)"); err != nil {
			t.Fatal(err)
		}
		if _, err := inDirect.SendText(ctx, d.ID, "just us (TEST)"); err != nil {
			t.Fatal(err)
		}
		if _, err := tia.Block(ctx, s.h("rb_ann")); err != nil {
			t.Fatal(err)
		}
		events := stream(t, tia)
		if _, err := inGroup.SendText(ctx, g.ID, "in the group (TEST)"); err != nil {
			t.Fatalf("repeat in the group: %v", err)
		}
		if _, err := inDirect.SendText(ctx, d.ID, "just us (TEST)"); err != nil {
			t.Fatalf("repeat in the one-to-one chat: %v", err)
		}
		marker, err := bob.SendText(ctx, g.ID, "from bob (TEST)")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range messagesBefore(t, events, "the blocker's stream", marker.ID) {
			t.Errorf("the blocker's stream delivered message %d (%q) from %s, whom she blocked", m.ID, m.Text, m.Sender)
		}
	})
}

// TestRepeatStillRepublishesToRecipients: within the window a repeat still
// publishes the message again to a recipient who was a member when it was
// sent — what a retry through another server of a cluster relies on.
func TestRepeatStillRepublishesToRecipients(t *testing.T) {
	eachRepublishing(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ann, bob := s.user("rr_ann", 30, ""), s.user("rr_bob", 31, "")
		s.connect(ann, s.h("rr_bob"), bob)
		d, err := ann.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("rr_bob")}})
		if err != nil {
			t.Fatal(err)
		}
		keyedAnn := keyed(ann, "rr-1")
		m, err := keyedAnn.SendText(ctx, d.ID, "hello (TEST)")
		if err != nil {
			t.Fatal(err)
		}
		events := stream(t, bob)
		if _, err := keyedAnn.SendText(ctx, d.ID, "hello (TEST)"); err != nil {
			t.Fatal(err)
		}
		marker, err := ann.SendText(ctx, d.ID, "next (TEST)")
		if err != nil {
			t.Fatal(err)
		}
		got := messagesBefore(t, events, "the recipient's stream", marker.ID)
		if len(got) != 1 || got[0].ID != m.ID || got[0].Text != "hello (TEST)" {
			t.Errorf("before the next message the recipient's stream delivered %+v, want message %d again", got, m.ID)
		}
	})
}
