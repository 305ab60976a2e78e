package messaging_test

import (
	"slices"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// TestRepeatedSendRepublishes: with RepublishRepeats (a cluster), a send
// repeated with its idempotency key publishes the first send's
// message.created events again, under the keys the first publish used, to
// whoever sees the message — a held message to its sender only. Without
// it (one server), a repeat publishes nothing.
func TestRepeatedSendRepublishes(t *testing.T) {
	for _, republish := range []bool{true, false} {
		w := newWorldWith(t, messaging.Config{RepublishRepeats: republish}, nil)
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
	w := newWorldWith(t, messaging.Config{RepublishRepeats: true}, &scanner{verdict: messaging.Verdict{Hold: true, Reason: "scan_failed"}})
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
