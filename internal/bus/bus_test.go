package bus

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func subscribe(t *testing.T, b *Local, topic string, after uint64) *Subscription {
	t.Helper()
	s, err := b.Subscribe(context.Background(), topic, after)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Cancel)
	return s
}

// drain reads what is on the channel now.
func drain(ch <-chan Message) []Message {
	var out []Message
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, m)
		default:
			return out
		}
	}
}

func texts(ms []Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.Write(m.Data)
	}
	return b.String()
}

func TestLocal(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	s := subscribe(t, b, "a", 0)
	other := subscribe(t, b, "b", 0)
	b.Publish(ctx, "a", []byte("1"))
	b.Publish(ctx, "a", []byte("2"))
	m1, m2 := <-s.C, <-s.C
	if got := string(m1.Data) + string(m2.Data); got != "12" || !s.Complete {
		t.Fatalf("got %q (complete %v), want 12 in order", got, s.Complete)
	}
	if m1.Seq == 0 || m2.Seq <= m1.Seq {
		t.Fatalf("sequence numbers %d, %d: want increasing", m1.Seq, m2.Seq)
	}
	if got := drain(other.C); len(got) != 0 {
		t.Fatalf("topic b got %q", texts(got))
	}
	s.Cancel()
	if _, ok := <-s.C; ok {
		t.Fatal("channel open after cancel")
	}
	s.Cancel() // twice is fine
	b.Publish(ctx, "a", []byte("3"))
}

func TestSignalIsNotKept(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	s := subscribe(t, b, "a", 0)
	b.Publish(ctx, "a", []byte("1"))
	b.Signal(ctx, "a", []byte("!"))
	b.Publish(ctx, "a", []byte("2"))
	got := drain(s.C)
	if texts(got) != "1!2" || got[1].Seq != 0 {
		t.Fatalf("got %q %+v, want 1!2 with the signal unnumbered", texts(got), got)
	}
	again := subscribe(t, b, "a", got[0].Seq)
	if r := drain(again.C); texts(r) != "2" || !again.Complete {
		t.Fatalf("resumed after 1: %q (complete %v), want 2 alone", texts(r), again.Complete)
	}
}

func TestResume(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	first := subscribe(t, b, "a", 0)
	for i := range 5 {
		b.Publish(ctx, "a", []byte(fmt.Sprint(i)))
		b.Publish(ctx, "b", []byte("other"))
	}
	seen := drain(first.C)
	first.Cancel()
	// Missed while away.
	for i := 5; i < 8; i++ {
		b.Publish(ctx, "a", []byte(fmt.Sprint(i)))
	}
	s := subscribe(t, b, "a", seen[2].Seq)
	b.Publish(ctx, "a", []byte("8"))
	if got := texts(drain(s.C)); got != "345678" || !s.Complete {
		t.Fatalf("resumed after 2: %q (complete %v), want 345678", got, s.Complete)
	}
	last := subscribe(t, b, "a", b.seq)
	if got := drain(last.C); len(got) != 0 || !last.Complete {
		t.Fatalf("resumed at the newest: %q (complete %v), want nothing, complete", texts(got), last.Complete)
	}
	never := subscribe(t, b, "c", seen[0].Seq)
	if got := drain(never.C); len(got) != 0 || !never.Complete {
		t.Fatalf("a topic with nothing published: %q (complete %v), want nothing, complete", texts(got), never.Complete)
	}
}

func TestResumeTooOld(t *testing.T) {
	ctx := context.Background()
	b := NewLocalWith(Config{Keep: 3})
	var seqs []uint64
	s := subscribe(t, b, "a", 0)
	for i := range 6 {
		b.Publish(ctx, "a", []byte(fmt.Sprint(i)))
		seqs = append(seqs, (<-s.C).Seq)
	}
	tests := []struct {
		name     string
		after    uint64
		want     string
		complete bool
	}{
		{"the last dropped", seqs[2], "345", true},
		{"kept", seqs[3], "45", true},
		{"older than kept", seqs[1], "", false},
		{"from the future", seqs[5] + 1, "", true}, // as the newest: see TestFutureIDRevealsNothing
		{"before this bus began", b.start - 2, "", false},
	}
	for _, tt := range tests {
		s := subscribe(t, b, "a", tt.after)
		if got := texts(drain(s.C)); got != tt.want || s.Complete != tt.complete {
			t.Errorf("%s: got %q complete %v, want %q complete %v", tt.name, got, s.Complete, tt.want, tt.complete)
		}
	}
}

// TestFutureIDRevealsNothing: sequence numbers are the bus's, across
// topics, so whether one has been given yet says how busy other topics are.
// A subscriber probing with numbers from the future gets the answer of the
// newest number of its own topic, whatever other topics publish, and goes on
// from there without skipping what comes next.
func TestFutureIDRevealsNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	b := NewLocalWith(Config{Now: func() time.Time { return now }})
	b.Publish(ctx, "mine", []byte("m"))
	mine := b.seq
	answer := func(after uint64) string {
		s := subscribe(t, b, "mine", after)
		defer s.Cancel()
		return fmt.Sprintf("%q complete %v", texts(drain(s.C)), s.Complete)
	}
	probes := []uint64{mine, mine + 1, mine + 1000, mine + 1<<40}
	var before []string
	for _, p := range probes {
		before = append(before, answer(p))
	}
	for i := range 2000 { // others are busy: the bus's numbers move on
		b.Publish(ctx, "theirs", []byte(fmt.Sprint(i)))
	}
	for i, p := range probes {
		if got := answer(p); got != before[i] {
			t.Errorf("probe %d after others published: %s, before %s", p-mine, got, before[i])
		}
		if before[i] != before[0] {
			t.Errorf("probe %d: %s, the newest number: %s", p-mine, before[i], before[0])
		}
	}
	s := subscribe(t, b, "mine", mine+1<<40)
	b.Publish(ctx, "mine", []byte("next"))
	if got := texts(drain(s.C)); got != "next" || s.After >= b.seq {
		t.Errorf("after a probe from the future: %q, After %d (newest %d); want the next message, not skipped", got, s.After, b.seq)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	old := NewLocalWith(Config{Now: func() time.Time { return now }})
	s := subscribe(t, old, "a", 0)
	for range 50 { // more than one a microsecond: the numbers run ahead of the clock
		old.Publish(ctx, "a", []byte("x"))
	}
	last := drain(s.C)[49].Seq
	now = now.Add(time.Second)
	b := NewLocalWith(Config{Now: func() time.Time { return now }})
	r := subscribe(t, b, "a", last)
	if r.Complete {
		t.Fatal("an ID from before the restart resumed without a resync")
	}
	b.Publish(ctx, "a", []byte("y"))
	if m := <-r.C; m.Seq <= last {
		t.Fatalf("after restart seq %d, before %d: want higher", m.Seq, last)
	}
}

func TestForgetLeastRecentTopic(t *testing.T) {
	ctx := context.Background()
	b := NewLocalWith(Config{KeepTotal: 4 * (entryOverhead + 1)})
	for _, topic := range []string{"a", "b", "a"} {
		b.Publish(ctx, topic, []byte("x"))
	}
	bSeq := b.seq - 1
	for _, topic := range []string{"c", "c", "c"} { // b is the least recent, then a
		b.Publish(ctx, topic, []byte("x"))
	}
	if _, ok := b.logs["b"]; ok {
		t.Fatal("the least recent topic is still kept")
	}
	if b.total > b.cfg.KeepTotal {
		t.Fatalf("kept %d bytes, limit %d", b.total, b.cfg.KeepTotal)
	}
	s := subscribe(t, b, "b", bSeq-1)
	if s.Complete {
		t.Fatal("resumed a forgotten topic from before its last message without a resync")
	}
	s = subscribe(t, b, "b", b.seq)
	if !s.Complete {
		t.Fatal("a forgotten topic resumed after everything it had: want complete")
	}
}

// TestResumeRace resumes again and again while messages are published: each
// resumed subscription sees every message after the one it resumed from,
// once, in order.
func TestResumeRace(t *testing.T) {
	ctx := context.Background()
	const n = 2000
	b := NewLocalWith(Config{Keep: n, KeepBytes: 1 << 20})
	s, _ := b.Subscribe(ctx, "a", 0) // before the first message
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			b.Publish(ctx, "a", []byte(fmt.Sprint(i)))
			runtime.Gosched() // let the subscriber resume between messages
		}
	}()
	var last uint64
	got := 0
	for first := true; got < n; first = false {
		if !first {
			s, _ = b.Subscribe(ctx, "a", last)
		}
		if !s.Complete {
			t.Fatalf("resume after %d not complete", last)
		}
		for range 7 {
			m, ok := <-s.C
			if !ok {
				break
			}
			if m.Seq <= last || string(m.Data) != fmt.Sprint(got) {
				t.Fatalf("message %q seq %d after seq %d, want %d", m.Data, m.Seq, last, got)
			}
			last = m.Seq
			got++
			if got == n {
				break
			}
		}
		s.Cancel()
	}
	wg.Wait()
}

func TestSlowSubscriberDropped(t *testing.T) {
	ctx := context.Background()
	b := NewLocal()
	s := subscribe(t, b, "a", 0)
	for range Buffer + 1 {
		b.Publish(ctx, "a", []byte("x"))
	}
	n := 0
	for range s.C {
		n++
	}
	if n != Buffer {
		t.Fatalf("received %d before close, want %d", n, Buffer)
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	var b Local // the zero value works
	s := subscribe(t, &b, "a", 0)
	b.Close()
	if _, ok := <-s.C; ok {
		t.Fatal("open after Close")
	}
	s2 := subscribe(t, &b, "a", 0)
	if _, ok := <-s2.C; ok {
		t.Fatal("subscription after Close is open")
	}
	b.Publish(ctx, "a", []byte("x"))
}
