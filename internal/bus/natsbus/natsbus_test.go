package natsbus_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
)

func open(t *testing.T, ns *natstest.Server, cfg natsbus.Config) *natsbus.Bus {
	t.Helper()
	cfg.URL = ns.URL()
	b, err := natsbus.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func subscribe(t *testing.T, b bus.Bus, topic string, after uint64) *bus.Subscription {
	t.Helper()
	s, err := b.Subscribe(t.Context(), topic, after)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Cancel)
	return s
}

// next waits for the next message of s.
func next(t *testing.T, s *bus.Subscription) bus.Message {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
	}
	return bus.Message{}
}

func publish(t *testing.T, b bus.Bus, topic string, data ...string) {
	t.Helper()
	for _, d := range data {
		if err := b.Publish(t.Context(), topic, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAcrossServers: what one server publishes reaches the subscribers of
// another, in order, numbered increasingly; other topics and signals
// likewise, and a signal is never replayed.
func TestAcrossServers(t *testing.T) {
	ns := natstest.Start(t)
	a, b := open(t, ns, natsbus.Config{Name: "a"}), open(t, ns, natsbus.Config{Name: "b"})
	s := subscribe(t, b, "account.1", 0)
	other := subscribe(t, b, "account.2", 0)
	publish(t, a, "account.1", "1", "2")
	if err := a.Signal(t.Context(), "account.1", []byte("end")); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "account.1", "3")
	publish(t, a, "account.2", "x")
	var got string
	var last uint64
	for range 4 {
		m := next(t, s)
		got += string(m.Data) + ","
		if string(m.Data) == "end" {
			if m.Seq != 0 {
				t.Fatalf("signal numbered %d", m.Seq)
			}
			continue
		}
		if m.Seq <= last {
			t.Fatalf("sequence %d after %d: want increasing", m.Seq, last)
		}
		last = m.Seq
	}
	if got != "1,2,end,3," {
		t.Fatalf("got %s want 1,2,end,3,", got)
	}
	if m := next(t, other); string(m.Data) != "x" {
		t.Fatalf("other topic got %q", m.Data)
	}
	// Resuming on the other server after the first message replays the
	// rest, without the signal.
	first := last - 3 // 1, 2, signal, 3: the signal takes a sequence too
	r := subscribe(t, a, "account.1", first)
	if !r.Complete || r.After != first {
		t.Fatalf("resume: complete %v after %d, want true %d", r.Complete, r.After, first)
	}
	if m := next(t, r); string(m.Data) != "2" {
		t.Fatalf("replay got %q want 2", m.Data)
	}
	if m := next(t, r); string(m.Data) != "3" || m.Seq != last {
		t.Fatalf("replay got %q (%d) want 3 (%d)", m.Data, m.Seq, last)
	}
	publish(t, b, "account.1", "4")
	if m := next(t, r); string(m.Data) != "4" {
		t.Fatalf("live after replay got %q want 4", m.Data)
	}
}

// TestResumeTooOld: a number whose message the stream no longer keeps is
// answered incomplete, with nothing replayed; so is one greater than the
// stream's last (from before the stream was made again).
func TestResumeTooOld(t *testing.T) {
	ns := natstest.Start(t)
	a := open(t, ns, natsbus.Config{Keep: 2})
	s := subscribe(t, a, "account.1", 0)
	publish(t, a, "account.1", "1", "2", "3")
	first := next(t, s).Seq
	next(t, s)
	third := next(t, s).Seq
	r := subscribe(t, a, "account.1", first)
	if r.Complete {
		t.Fatal("resume from a forgotten message: complete, want not")
	}
	f := subscribe(t, a, "account.1", third+1000)
	if f.Complete || f.After != third {
		t.Fatalf("future: complete %v after %d, want false %d", f.Complete, f.After, third)
	}
	publish(t, a, "account.1", "4")
	if m := next(t, r); string(m.Data) != "4" {
		t.Fatalf("after an incomplete resume got %q want the new 4", m.Data)
	}
	if m := next(t, f); string(m.Data) != "4" {
		t.Fatalf("after a future resume got %q want 4", m.Data)
	}
}

// TestNATSRestart: while NATS is down, Ping fails and what is published is
// queued; when it is back, the queue is sent, in order, and subscribers on
// every server get it.
func TestNATSRestart(t *testing.T) {
	ns := natstest.Start(t)
	a, b := open(t, ns, natsbus.Config{Timeout: time.Second}), open(t, ns, natsbus.Config{Timeout: time.Second})
	s := subscribe(t, b, "account.1", 0)
	publish(t, a, "account.1", "before")
	before := next(t, s)
	ns.Stop()
	if err := a.Ping(t.Context()); err == nil {
		t.Fatal("Ping with NATS down: nil, want an error")
	}
	publish(t, a, "account.1", "while-1", "while-2")
	ns.Restart()
	waitFor(t, func() bool { return a.Ping(t.Context()) == nil && b.Ping(t.Context()) == nil })
	publish(t, a, "account.1", "after")
	var got string
	last := before.Seq
	for range 3 {
		m := next(t, s)
		if m.Seq <= last {
			t.Fatalf("sequence %d after %d", m.Seq, last)
		}
		last = m.Seq
		got += string(m.Data) + ","
	}
	if got != "while-1,while-2,after," {
		t.Fatalf("after restart got %s", got)
	}
	r := subscribe(t, b, "account.1", before.Seq)
	if !r.Complete {
		t.Fatal("resume after restart: incomplete")
	}
	if m := next(t, r); string(m.Data) != "while-1" {
		t.Fatalf("replay after restart got %q", m.Data)
	}
}

// TestSubscribeBeforeReplayRace: messages published while a subscriber
// resumes on another server arrive once each, in order.
func TestSubscribeBeforeReplayRace(t *testing.T) {
	ns := natstest.Start(t)
	a, b := open(t, ns, natsbus.Config{}), open(t, ns, natsbus.Config{})
	watch := subscribe(t, a, "account.1", 0)
	publish(t, a, "account.1", "0")
	start := next(t, watch).Seq
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= 100; i++ {
			if err := a.Publish(context.Background(), "account.1", fmt.Appendf(nil, "%d", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	r := subscribe(t, b, "account.1", start)
	if !r.Complete {
		t.Fatal("incomplete")
	}
	for i := 1; i <= 100; i++ {
		if m := next(t, r); string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("message %d: got %q", i, m.Data)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, for at most 20 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("condition not met within 20s")
		}
	}
}

// TestOtherCluster: a stream made by one Safeguard cluster is refused to
// another on the same NATS, whose events it would otherwise read; the
// cluster's own servers, and a stream made before clusters were named,
// open it.
func TestOtherCluster(t *testing.T) {
	ns := natstest.Start(t)
	open(t, ns, natsbus.Config{Stream: "OLD", Subject: "old"})
	open(t, ns, natsbus.Config{Stream: "OLD", Subject: "old", Cluster: "aaaa"})
	open(t, ns, natsbus.Config{Cluster: "aaaa"})
	open(t, ns, natsbus.Config{Cluster: "aaaa"})
	b, err := natsbus.Open(t.Context(), natsbus.Config{URL: ns.URL(), Cluster: "bbbb"})
	if err == nil {
		b.Close()
		t.Fatal("a second cluster opened the first one's stream")
	}
	if !strings.Contains(err.Error(), "belongs to another Safeguard cluster (aaaa; this one is bbbb)") {
		t.Fatalf("error: %v", err)
	}
}

// TestOldNATSRefused: a NATS before 2.10 drops the stream's metadata, so
// it cannot keep the cluster's name: a cluster's bus refuses it, naming
// the version to use, rather than run where another cluster would not be
// refused.
func TestOldNATSRefused(t *testing.T) {
	url := natstest.StartOld(t)
	b, err := natsbus.Open(t.Context(), natsbus.Config{URL: url, Cluster: "aaaa"})
	if err == nil {
		b.Close()
		t.Fatal("a cluster's bus opened on a NATS that keeps no metadata")
	}
	if !strings.Contains(err.Error(), "use NATS 2.10 or later") {
		t.Fatalf("error: %v", err)
	}
	// One server alone names no cluster, and runs on it.
	b, err = natsbus.Open(t.Context(), natsbus.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}
