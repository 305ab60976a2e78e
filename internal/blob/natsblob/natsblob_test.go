package natsblob_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/blob/blobtest"
	"github.com/safeguard-dev/safeguard/internal/blob/natsblob"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
)

func connect(t *testing.T, srv *natstest.Server) jetstream.JetStream {
	t.Helper()
	return connectURL(t, srv.URL())
}

// connectURL connects to the NATS at url as the servers do
// (internal/bus/natsbus): reconnecting every 250 ms, without end.
func connectURL(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestStore runs the conformance suite on a JetStream object store of an
// in-process NATS server, one bucket per subtest.
func TestStore(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv)
	n := 0
	blobtest.Run(t, func(t *testing.T) blob.Store {
		n++
		s, err := natsblob.Open(t.Context(), js, natsblob.Config{Bucket: fmt.Sprintf("TEST_%d", n)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestShared: what one connection stores, another reads and deletes, as
// two servers of a cluster do; and the bytes outlive a restart of NATS.
func TestShared(t *testing.T) {
	srv := natstest.Start(t)
	ctx := t.Context()
	a, err := natsblob.Open(ctx, connect(t, srv), natsblob.Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := natsblob.Open(ctx, connect(t, srv), natsblob.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "media/ab/abcd", []byte("stored through a")); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "media/ab/abcd")
	if err != nil || string(got) != "stored through a" {
		t.Fatalf("b.Get = %q, %v", got, err)
	}
	srv.Restart()
	c, err := natsblob.Open(ctx, connect(t, srv), natsblob.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "media/ab/abcd"); err != nil || string(got) != "stored through a" {
		t.Fatalf("after a restart, Get = %q, %v", got, err)
	}
	if err := c.Delete(ctx, "media/ab/abcd"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "media/ab/abcd"); err != nil {
		t.Fatalf("a second delete, from another server: %v", err)
	}
	if _, err := b.Get(ctx, "media/ab/abcd"); !errors.Is(err, safeguard.ErrNotFound) {
		t.Fatalf("Get after delete = %v, want ErrNotFound", err)
	}
}

// TestDown: with NATS stopped, an operation fails as unavailable, not as
// not found.
func TestDown(t *testing.T) {
	srv := natstest.Start(t)
	ctx := t.Context()
	js := connect(t, srv)
	s, err := natsblob.Open(ctx, js, natsblob.Config{Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for js.Conn().IsConnected() {
		time.Sleep(10 * time.Millisecond)
	}
	// Answered at once, not after the hour of the timeout.
	if _, err := s.Get(ctx, "k"); !errors.Is(err, safeguard.ErrUnavailable) || !strings.Contains(err.Error(), "not connected to NATS") {
		t.Fatalf("Get with NATS down = %v, want ErrUnavailable at once", err)
	}
	if err := s.Put(ctx, "k2", []byte("x")); !errors.Is(err, safeguard.ErrUnavailable) {
		t.Fatalf("Put with NATS down = %v, want ErrUnavailable", err)
	}
	keys := []string{"b1", "b2", "b3", "b4", "b5", "b6"}
	data := [][]byte{{1}, {2}, {3}, {4}, {5}, {6}}
	if err := s.PutAll(ctx, keys, data); !errors.Is(err, safeguard.ErrUnavailable) {
		t.Fatalf("PutAll with NATS down = %v, want ErrUnavailable", err)
	}
	srv.Restart()
	for i := 0; ; i++ { // the client reconnects on its own
		if _, err := s.Get(ctx, "k"); err == nil {
			break
		} else if i == 100 {
			t.Fatalf("Get after NATS came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, err := s.List(ctx, "b"); err != nil || len(got) != 0 {
		t.Fatalf("a batch refused while NATS was down left %q, %v", got, err)
	}
	if err := s.PutAll(ctx, keys, data); err != nil {
		t.Fatalf("PutAll once NATS is back: %v", err)
	}
}

// TestOpenAsItIs: an operator's command (Replicas 0) opens the bucket its
// servers made without changing it; a server (Replicas set) makes it as
// configured.
func TestOpenAsItIs(t *testing.T) {
	srv := natstest.Start(t)
	ctx := t.Context()
	js := connect(t, srv)
	if _, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "FILES", Description: "as the servers made it",
		Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	description := func() string {
		obs, err := js.ObjectStore(ctx, "FILES")
		if err != nil {
			t.Fatal(err)
		}
		st, err := obs.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Description()
	}
	if _, err := natsblob.Open(ctx, js, natsblob.Config{Bucket: "FILES"}); err != nil {
		t.Fatal(err)
	}
	if got := description(); got != "as the servers made it" {
		t.Fatalf("opening with Replicas 0 changed the bucket: %q", got)
	}
	if _, err := natsblob.Open(ctx, js, natsblob.Config{Bucket: "FILES", Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	if got := description(); got == "as the servers made it" {
		t.Fatal("a server's Open left the bucket's configuration as it was")
	}
	if _, err := natsblob.Open(ctx, js, natsblob.Config{Bucket: "NEW"}); err != nil {
		t.Fatalf("Open with Replicas 0 of a missing bucket: %v", err)
	}
	if _, err := natsblob.Open(ctx, js, natsblob.Config{Bucket: "MORE", Replicas: 3}); err == nil {
		t.Fatal("three replicas on one NATS server were accepted")
	}
}

// TestOtherCluster: a bucket made by one Safeguard cluster is refused to
// another on the same NATS, to a server and to an operator's command alike.
func TestOtherCluster(t *testing.T) {
	srv := natstest.Start(t)
	ctx := t.Context()
	js := connect(t, srv)
	if _, err := natsblob.Open(ctx, js, natsblob.Config{Replicas: 1, Cluster: "aaaa"}); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []natsblob.Config{{Replicas: 1, Cluster: "aaaa"}, {Cluster: "aaaa"}, {}} {
		if _, err := natsblob.Open(ctx, js, cfg); err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
	}
	for _, cfg := range []natsblob.Config{{Replicas: 1, Cluster: "bbbb"}, {Cluster: "bbbb"}} {
		if _, err := natsblob.Open(ctx, js, cfg); err == nil || !strings.Contains(err.Error(), "belongs to another Safeguard cluster") {
			t.Fatalf("%+v: %v, want it refused", cfg, err)
		}
	}
}

// TestOldNATSRefused: a NATS before 2.10 drops the bucket's metadata, so it
// cannot keep the cluster's name: a cluster's store refuses it, whether it
// makes the bucket or opens it as it is.
func TestOldNATSRefused(t *testing.T) {
	js := connectURL(t, natstest.StartOld(t))
	for _, cfg := range []natsblob.Config{{Replicas: 1, Cluster: "aaaa"}, {Cluster: "aaaa"}} {
		if _, err := natsblob.Open(t.Context(), js, cfg); err == nil || !strings.Contains(err.Error(), "use NATS 2.10 or later") {
			t.Fatalf("%+v: %v, want it refused", cfg, err)
		}
	}
	if _, err := natsblob.Open(t.Context(), js, natsblob.Config{Replicas: 1}); err != nil {
		t.Fatalf("no cluster named: %v", err)
	}
}
