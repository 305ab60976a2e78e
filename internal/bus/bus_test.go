package bus

import (
	"context"
	"testing"
)

func TestLocal(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	ch, cancel, _ := b.Subscribe(ctx, "a")
	other, cancelOther, _ := b.Subscribe(ctx, "b")
	defer cancelOther()
	b.Publish(ctx, "a", []byte("1"))
	b.Publish(ctx, "a", []byte("2"))
	if got := string(<-ch) + string(<-ch); got != "12" {
		t.Fatalf("got %q, want 12 in order", got)
	}
	select {
	case m := <-other:
		t.Fatalf("topic b got %q", m)
	default:
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after cancel")
	}
	cancel() // twice is fine
	b.Publish(ctx, "a", []byte("3"))
}

func TestSlowSubscriberDropped(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	ch, cancel, _ := b.Subscribe(ctx, "a")
	defer cancel()
	for range Buffer + 1 {
		b.Publish(ctx, "a", []byte("x"))
	}
	n := 0
	for range ch {
		n++
	}
	if n != Buffer {
		t.Fatalf("received %d before close, want %d", n, Buffer)
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	ch, _, _ := b.Subscribe(ctx, "a")
	b.Close()
	if _, ok := <-ch; ok {
		t.Fatal("open after Close")
	}
	ch2, _, _ := b.Subscribe(ctx, "a")
	if _, ok := <-ch2; ok {
		t.Fatal("subscription after Close is open")
	}
}
