package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// relayBench is a one-to-one E2EE conversation on SQLite whose devices are
// raw client/e2ee devices, and b.N group envelopes encrypted ahead of time,
// so that what is timed is the server's relay alone.
type relayBench struct {
	s         *e2eeStack
	conv      int64
	sender    *client.Client
	recipient []*client.Client // a login per recipient device
	devices   []string
	envelopes [][]byte
	tags      [][]byte
}

// newRelayBench has alice (one sending device, one more) and bob (two
// devices): each envelope is queued for three devices.
func newRelayBench(b *testing.B, n int) *relayBench {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := newE2EEStack(b, db, nil, nil)
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	alice, bob := s.verified("alice"), s.verified("bob")
	alice.HTTP, bob.HTTP = httpc, httpc
	s.connect(alice, s.h("bob"), bob)
	conv, err := alice.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("bob")}, E2EE: true})
	if err != nil {
		b.Fatal(err)
	}
	me := func(c *client.Client) int64 {
		a, err := c.Me(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return a.ID
	}
	aliceID, bobID := me(alice), me(bob)
	firstKey := map[e2ee.DeviceID]e2ee.OneTimeKey{}
	register := func(c *client.Client, id e2ee.DeviceID) *e2ee.Device {
		d, err := e2ee.NewDevice(id, e2ee.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.GenerateOneTimeKeys(5); err != nil {
			b.Fatal(err)
		}
		var otks []client.OneTimeKey
		for _, k := range d.UnpublishedKeys() {
			otks = append(otks, client.OneTimeKey(k))
			firstKey[id] = k
		}
		if _, err := c.RegisterDevice(ctx, client.DeviceRegistration{Keys: client.DeviceKeys(d.Keys()), OneTimeKeys: otks}); err != nil {
			b.Fatal(err)
		}
		d.MarkKeysPublished()
		return d
	}
	a1 := register(alice, e2ee.DeviceID{Account: aliceID, Device: "A1"})
	others := []*e2ee.Device{register(alice, e2ee.DeviceID{Account: aliceID, Device: "A2"}),
		register(bob, e2ee.DeviceID{Account: bobID, Device: "B1"}), register(bob, e2ee.DeviceID{Account: bobID, Device: "B2"})}
	var members []e2ee.DeviceID
	rb := &relayBench{s: s, conv: conv.ID, sender: alice}
	for _, o := range others {
		if _, err := a1.StartSession(o.Keys(), firstKey[o.ID()]); err != nil {
			b.Fatal(err)
		}
		members = append(members, o.ID())
		rb.devices = append(rb.devices, o.ID().Device)
	}
	rb.recipient = []*client.Client{alice, bob, bob}
	for range n {
		out, err := a1.EncryptGroup(conv.ID, members, e2ee.Plaintext{Text: "a message of the benchmark, about fifty bytes long"})
		if err != nil {
			b.Fatal(err)
		}
		rb.envelopes = append(rb.envelopes, out.Envelope)
		rb.tags = append(rb.tags, out.Commitment[:])
	}
	return rb
}

// post sends the envelopes with senders concurrent requests.
func (rb *relayBench) post(b *testing.B, senders int) time.Duration {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range senders {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(rb.envelopes)) {
					return
				}
				if _, err := rb.sender.SendEnvelope(ctx, rb.conv, rb.envelopes[i], rb.tags[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkRelaySend measures group envelopes per second accepted by the
// server's relay through the HTTP API on SQLite: each is checked (header,
// sending device), stored with its message and queued for the conversation's
// three other devices in one transaction. 16 concurrent senders; the
// envelopes were encrypted beforehand.
//
//	go test ./internal/web -run '^$' -bench RelaySend -benchtime 5000x
func BenchmarkRelaySend(b *testing.B) {
	rb := newRelayBench(b, b.N)
	b.ResetTimer()
	elapsed := rb.post(b, 16)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "envelopes/s")
	b.ReportMetric(float64(3*b.N)/elapsed.Seconds(), "deliveries/s")
}

// BenchmarkRelayFetch measures envelopes per second handed to devices: each
// of the three recipient devices fetches its inbox in pages of 100 (every
// envelope stamped with a franking receipt for its recipient) and
// acknowledges it, which deletes the items and, once all three have them,
// the envelopes.
//
//	go test ./internal/web -run '^$' -bench RelayFetch -benchtime 5000x
func BenchmarkRelayFetch(b *testing.B) {
	rb := newRelayBench(b, b.N)
	rb.post(b, 16)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var delivered atomic.Int64
	for i, dev := range rb.devices {
		wg.Go(func() {
			c := rb.recipient[i]
			after := int64(0)
			for {
				in, err := c.Inbox(ctx, dev, after, 100)
				if err != nil {
					b.Error(err)
					return
				}
				for _, it := range in.Items {
					if len(it.Receipt) == 0 {
						b.Error("an envelope without its receipt")
						return
					}
				}
				delivered.Add(int64(len(in.Items)))
				if len(in.Items) == 0 && in.Next == after {
					return
				}
				after = in.Next
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if delivered.Load() != int64(3*b.N) {
		b.Fatalf("delivered %d, want %d", delivered.Load(), 3*b.N)
	}
	b.ReportMetric(float64(delivered.Load())/elapsed.Seconds(), "deliveries/s")
}
