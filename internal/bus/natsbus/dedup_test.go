package natsbus

import (
	"testing"

	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
)

// TestPublishAgainStoresOnce: a message sent again after its answer was
// lost (as the queue does once NATS is back) is stored once.
func TestPublishAgainStoresOnce(t *testing.T) {
	ns := natstest.Start(t)
	b, err := Open(t.Context(), Config{URL: ns.URL(), Name: "dedup"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	o := outgoing{subject: DefaultSubject + ".account.1", data: []byte("once"), id: msgID()}
	for range 2 {
		if err := b.publish(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	other := outgoing{subject: DefaultSubject + ".account.1", data: []byte("once"), id: msgID()}
	if err := b.publish(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	info, err := b.stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("the stream holds %d messages after one sent twice and one other, want 2", info.State.Msgs)
	}
}

// TestPublishWithIDFromTwoServers: an event published with one ID (bus.WithID)
// by two servers — the one that stored a message, and the one that answered
// the sender's retry — is stored once; a signal never takes the ID.
func TestPublishWithIDFromTwoServers(t *testing.T) {
	ns := natstest.Start(t)
	var buses []*Bus
	for _, name := range []string{"a", "b"} {
		b, err := Open(t.Context(), Config{URL: ns.URL(), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		buses = append(buses, b)
	}
	ctx := bus.WithID(t.Context(), "message.7.created.to.1")
	for _, b := range buses {
		if err := b.Publish(ctx, "account.1", []byte("created")); err != nil {
			t.Fatal(err)
		}
	}
	if err := buses[1].Publish(bus.WithID(t.Context(), "message.8.created.to.1"), "account.1", []byte("created")); err != nil {
		t.Fatal(err)
	}
	info, err := buses[0].stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("the stream holds %d messages after one event published by two servers and one other, want 2", info.State.Msgs)
	}
}
