package natsbus_test

import (
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/internal/bus/natsbus"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
)

// TestControl: a control message one server announces reaches every server
// listening to that name, itself included, and no listener of another name.
func TestControl(t *testing.T) {
	ns := natstest.Start(t)
	a, b := open(t, ns, natsbus.Config{Name: "a"}), open(t, ns, natsbus.Config{Name: "b"})
	got := make(chan string, 4)
	for name, bb := range map[string]interface {
		Listen(string, func([]byte)) (func(), error)
	}{"a": a, "b": b} {
		stop, err := bb.Listen("reload", func(data []byte) { got <- name + ":" + string(data) })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	stop, err := b.Listen("other", func(data []byte) { got <- "other:" + string(data) })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := a.Announce(t.Context(), "reload", []byte("7")); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 2 {
		seen[hear(t, got)] = true
	}
	if !seen["a:7"] || !seen["b:7"] {
		t.Fatalf("announced to a and b, heard %v", seen)
	}
	if err := a.Announce(t.Context(), "other", []byte("8")); err != nil {
		t.Fatal(err)
	}
	if m := hear(t, got); m != "other:8" {
		t.Fatalf("after announcing other: heard %q", m)
	}
	if err := a.Announce(t.Context(), "bad.name", nil); err == nil {
		t.Error("a control name with a dot was accepted")
	}
}

// hear returns the next control message heard, failing the test when none
// comes within 10 seconds.
func hear(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case m := <-got:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no control message heard within 10 s")
		return ""
	}
}
