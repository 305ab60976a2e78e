package storetest

import (
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// testQueues checks that AppendEvent queues an event for the consumers of
// its type, and that claims, their end, releases and DoneEvent decide what
// ClaimEvents returns.
func testQueues(t *testing.T, s store.Store) {
	ctx := t.Context()
	types := []string{safeguard.EventDetection, safeguard.EventContactRequested, safeguard.EventDetection,
		safeguard.EventAgeChanged, safeguard.EventDetection, safeguard.EventE2EEEnded}
	var es []safeguard.Event
	for i, typ := range types {
		e := safeguard.Event{Type: typ, At: at(i), AccountID: int64(i + 1), Payload: []byte(`{"n":1}`)}
		update(t, s, func(tx store.Tx) error { return tx.AppendEvent(ctx, &e) })
		es = append(es, e)
	}
	detections := []safeguard.Event{es[0], es[2], es[4]}
	claim := func(consumer string, now time.Time, limit int) []safeguard.Event {
		t.Helper()
		var got []safeguard.Event
		update(t, s, func(tx store.Tx) (err error) {
			got, err = tx.ClaimEvents(ctx, consumer, now, now.Add(time.Minute), limit)
			return
		})
		return got
	}
	check := func(name string, got, want []safeguard.Event) {
		t.Helper()
		if d := diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", name, d)
		}
	}
	check("first claim", claim(store.QueueCases, t0, 10), detections)
	check("claimed again while claimed", claim(store.QueueCases, t0.Add(59*time.Second), 10), nil)
	check("the live relay's queue", claim(store.QueueLiveRelay, t0, 10), []safeguard.Event{es[3], es[5]})
	check("a queue no type fills", claim("nobody", t0, 10), nil)

	update(t, s, func(tx store.Tx) error { return tx.ReleaseEvents(ctx, store.QueueCases, []int64{es[2].ID}) })
	check("after a release", claim(store.QueueCases, t0, 10), []safeguard.Event{es[2]})
	check("after the claims end, with a limit", claim(store.QueueCases, t0.Add(2*time.Minute), 2), detections[:2])

	for _, want := range []bool{true, false} {
		update(t, s, func(tx store.Tx) error {
			got, err := tx.DoneEvent(ctx, store.QueueCases, es[0].ID)
			if err == nil && got != want {
				t.Errorf("DoneEvent = %v, want %v", got, want)
			}
			return err
		})
	}
	check("after DoneEvent", claim(store.QueueCases, t0.Add(time.Hour), 10), detections[1:])

	// An event appended in a transaction that fails is not queued.
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventDetection, At: t0}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update = %v, want %v", err, errRollback)
	}
	check("after a rolled-back append", claim(store.QueueCases, t0.Add(2*time.Hour), 10), detections[1:])
}
