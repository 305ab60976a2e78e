package messaging_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// window is the tests' Config.RepublishWindow: NATS's duplicate window.
const window = 2 * time.Minute

// TestRepeatedSendRepublishes: with RepublishWindow (a cluster), a send
// repeated with its idempotency key publishes the first send's
// message.created events again, under the keys the first publish used, to
// whoever sees the message — a held message to its sender only. Without
// it (one server), a repeat publishes nothing.
func TestRepeatedSendRepublishes(t *testing.T) {
	for _, republish := range []bool{true, false} {
		cfg := messaging.Config{}
		if republish {
			cfg.RepublishWindow = window
		}
		w := newWorldWith(t, cfg, nil)
		ann, bob := w.account("ann", adultBorn), w.account("bob", adultBorn)
		w.connect(ann, bob)
		conv := w.direct(ann, bob, false)
		ctx := messaging.WithIdempotencyKey(t.Context(), "key-1")
		first, err := w.svc.SendText(ctx, ann.ID, conv, "hello (TEST)", safeguard.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		sent := w.rec.take()
		if len(sent) != 1 || sent[0].Key == "" || !slices.Equal(sent[0].To, []int64{ann.ID, bob.ID}) {
			t.Fatalf("the first send's notifications = %+v, want one keyed, to both", sent)
		}
		again, err := w.svc.SendText(ctx, ann.ID, conv, "hello (TEST)", safeguard.Origin{})
		if err != nil || again.ID != first.ID {
			t.Fatalf("repeat = %+v, %v; want message %d", again, err, first.ID)
		}
		got := w.rec.take()
		if !republish {
			if len(got) != 0 {
				t.Errorf("one server: a repeat published %+v, want nothing", got)
			}
			continue
		}
		var to []int64
		for _, n := range got {
			if n.Type != safeguard.EventMessageCreated || n.Key != sent[0].Key || n.Message.ID != first.ID {
				t.Errorf("republished %+v, want message.created of %d under key %q", n, first.ID, sent[0].Key)
			}
			to = append(to, n.To...)
		}
		slices.Sort(to)
		if want := []int64{ann.ID, bob.ID}; !slices.Equal(to, want) {
			t.Errorf("republished to %v, want %v", to, want)
		}
	}
}

// TestRepeatedHeldSendRepublishesToSenderOnly: a held message's repeat
// tells its sender only, as its first send did.
func TestRepeatedHeldSendRepublishesToSenderOnly(t *testing.T) {
	w := newWorldWith(t, messaging.Config{RepublishWindow: window}, &scanner{verdict: messaging.Verdict{Hold: true, Reason: "scan_failed"}})
	ann, bob := w.account("ann", adultBorn), w.account("bob", adultBorn)
	conv := w.direct(ann, bob, false)
	ctx := messaging.WithIdempotencyKey(t.Context(), "key-held")
	v, err := w.svc.SendImage(ctx, ann.ID, conv, pngImage(t), "image/png", "look", safeguard.Origin{})
	if err != nil || v.Status != safeguard.Held {
		t.Fatalf("send = %+v, %v; want held", v, err)
	}
	w.rec.take()
	if _, err := w.svc.SendImage(ctx, ann.ID, conv, pngImage(t), "image/png", "look", safeguard.Origin{}); err != nil {
		t.Fatal(err)
	}
	got := w.rec.take()
	if len(got) != 1 || !slices.Equal(got[0].To, []int64{ann.ID}) {
		t.Errorf("a held message's repeat published %+v, want one event, to the sender only", got)
	}
}

// republishedTo returns to whom notes republish message id, checking that
// each is its message.created under the first send's key.
func republishedTo(t *testing.T, notes []messaging.Notification, id int64) []int64 {
	t.Helper()
	var to []int64
	for _, n := range notes {
		if n.Type != safeguard.EventMessageCreated || n.Message == nil || n.Message.ID != id || n.Key != "message."+strconv.FormatInt(id, 10)+".created" {
			t.Errorf("a repeat published %+v, want message.created of %d under its key", n, id)
			continue
		}
		to = append(to, n.To...)
	}
	slices.Sort(to)
	return to
}

// TestRepeatReachesNoOneWhoJoinedSince replays the finding that a send
// repeated with its key, after a young person joined the group, showed the
// young person live a message from before their joining — which their
// history hides, and which no scan ever looked at for them. A repeat tells
// again only those the first send told: no one invited, and no one who
// joined since, young or adult.
func TestRepeatReachesNoOneWhoJoinedSince(t *testing.T) {
	w := newWorldWith(t, messaging.Config{RepublishWindow: window}, nil)
	ctx := t.Context()
	ann, bob, cal := w.account("ann", adultBorn), w.account("bob", adultBorn), w.account("cal", adultBorn)
	tia := w.account("tia", teenBorn)
	for _, a := range []*safeguard.Account{ann, bob, cal} {
		w.connect(tia, a)
	}
	conv := w.group(ann, bob)
	text, err := w.svc.SendText(messaging.WithIdempotencyKey(ctx, "key-text"), ann.ID, conv, "adults only (TEST)", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := w.svc.SendImage(messaging.WithIdempotencyKey(ctx, "key-image"), ann.ID, conv, pngImage(t), "image/png", "", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	repeat := func(what string) {
		t.Helper()
		if v, err := w.svc.SendText(messaging.WithIdempotencyKey(ctx, "key-text"), ann.ID, conv, "adults only (TEST)", safeguard.Origin{}); err != nil || v.ID != text.ID {
			t.Fatalf("%s: repeat = %+v, %v", what, v, err)
		}
		if to, want := republishedTo(t, w.rec.take(), text.ID), []int64{ann.ID, bob.ID}; !slices.Equal(to, want) {
			t.Errorf("%s: the text's repeat told %v, want %v (its sender and its recipient)", what, to, want)
		}
		if v, err := w.svc.SendImage(messaging.WithIdempotencyKey(ctx, "key-image"), ann.ID, conv, pngImage(t), "image/png", "", safeguard.Origin{}); err != nil || v.ID != img.ID {
			t.Fatalf("%s: image repeat = %+v, %v", what, v, err)
		}
		if to, want := republishedTo(t, w.rec.take(), img.ID), []int64{ann.ID, bob.ID}; !slices.Equal(to, want) {
			t.Errorf("%s: the image's repeat told %v, want %v", what, to, want)
		}
	}
	w.rec.take()
	w.advance(time.Second)
	if _, err := w.svc.AddMember(ctx, ann.ID, conv, cal.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.AddMember(ctx, ann.ID, conv, tia.Handle); err != nil {
		t.Fatal(err)
	}
	w.rec.take()
	repeat("the young person invited")
	if _, err := w.svc.AcceptInvitation(ctx, tia.ID, conv); err != nil {
		t.Fatal(err)
	}
	w.rec.take()
	repeat("the young person joined")
	if h := w.history(tia, conv); len(h) != 0 {
		t.Errorf("the young person's history shows %v, want nothing from before their joining", h)
	}
}

// TestRepeatReachesNoOneBlocked replays the finding that a blocked adult
// could send their old messages to the young person who blocked them, live,
// by repeating the sends with their keys: the blocked sender's repeat in the
// group they were removed from tells no one, and in their one-to-one
// conversation only themselves. Between adults in a group, a block either
// way leaves the pair out, and the others are told as before.
func TestRepeatReachesNoOneBlocked(t *testing.T) {
	w := newWorldWith(t, messaging.Config{RepublishWindow: window}, nil)
	ctx := t.Context()
	ann, bob, cal, tia := w.account("ann", adultBorn), w.account("bob", adultBorn), w.account("cal", adultBorn), w.account("tia", teenBorn)
	w.connect(tia, ann)
	w.connect(tia, bob)
	group := w.group(ann, bob, tia)
	direct := w.direct(ann, tia, false)
	adults := w.group(ann, bob, cal)
	sent := map[string]*messaging.MessageView{}
	send := func(key string, conv int64) *messaging.MessageView {
		t.Helper()
		v, err := w.svc.SendText(messaging.WithIdempotencyKey(ctx, key), ann.ID, conv, "hello (TEST)", safeguard.Origin{})
		if err != nil {
			t.Fatalf("send %s: %v", key, err)
		}
		sent[key] = v
		return v
	}
	send("group", group)
	send("direct", direct)
	send("adults", adults)
	w.rec.take()
	w.advance(time.Second)
	if _, err := w.svc.Block(ctx, tia.ID, ann.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Block(ctx, cal.ID, ann.Handle); err != nil {
		t.Fatal(err)
	}
	w.rec.take()
	for _, tt := range []struct {
		key  string
		conv int64
		want []int64
	}{
		{"group", group, nil},
		{"direct", direct, []int64{ann.ID}},
		{"adults", adults, []int64{ann.ID, bob.ID}},
	} {
		v, err := w.svc.SendText(messaging.WithIdempotencyKey(ctx, tt.key), ann.ID, tt.conv, "hello (TEST)", safeguard.Origin{})
		if err != nil || v.ID != sent[tt.key].ID {
			t.Fatalf("repeat %s: %+v, %v", tt.key, v, err)
		}
		if to := republishedTo(t, w.rec.take(), v.ID); !slices.Equal(to, tt.want) {
			t.Errorf("repeat %s told %v, want %v", tt.key, to, tt.want)
		}
	}
	// The other way: the sender blocked a member, who is left out.
	bobs := w.group(bob, ann, cal)
	v, err := w.svc.SendText(messaging.WithIdempotencyKey(ctx, "bobs"), bob.ID, bobs, "hello (TEST)", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Block(ctx, bob.ID, cal.Handle); err != nil {
		t.Fatal(err)
	}
	w.rec.take()
	if _, err := w.svc.SendText(messaging.WithIdempotencyKey(ctx, "bobs"), bob.ID, bobs, "hello (TEST)", safeguard.Origin{}); err != nil {
		t.Fatal(err)
	}
	if to, want := republishedTo(t, w.rec.take(), v.ID), []int64{ann.ID, bob.ID}; !slices.Equal(to, want) {
		t.Errorf("a repeat after its sender blocked a member told %v, want %v", to, want)
	}
}

// TestRepeatAfterTheWindowPublishesNothing: republishing is only useful
// while the bus keeps one copy of an event published twice; a repeat after
// that answers the message and publishes nothing, to anyone.
func TestRepeatAfterTheWindowPublishesNothing(t *testing.T) {
	w := newWorldWith(t, messaging.Config{RepublishWindow: window}, nil)
	ctx := messaging.WithIdempotencyKey(t.Context(), "key-1")
	ann, bob := w.account("ann", adultBorn), w.account("bob", adultBorn)
	w.connect(ann, bob)
	conv := w.direct(ann, bob, false)
	first, err := w.svc.SendText(ctx, ann.ID, conv, "hello (TEST)", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	w.rec.take()
	for _, tt := range []struct {
		after time.Duration
		want  []int64
	}{
		{window - time.Microsecond, []int64{ann.ID, bob.ID}},
		{window, nil},
		{time.Hour, nil},
	} {
		w.advance(tt.after - w.now().Sub(first.CreatedAt))
		v, err := w.svc.SendText(ctx, ann.ID, conv, "hello (TEST)", safeguard.Origin{})
		if err != nil || v.ID != first.ID {
			t.Fatalf("repeat %s after: %+v, %v", tt.after, v, err)
		}
		if to := republishedTo(t, w.rec.take(), first.ID); !slices.Equal(to, tt.want) {
			t.Errorf("a repeat %s after the send told %v, want %v", tt.after, to, tt.want)
		}
	}
}
