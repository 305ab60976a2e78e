package messaging

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var at = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func refusal(to int64) safeguard.Refusal {
	return safeguard.Refusal{At: at, FromID: 1, ToID: to, Action: actionLookup, Reason: "stranger_contact_minor",
		ToMinor: true, FromBand: safeguard.Adult}
}

// TestRefusalLog: refusals queued on the request path are stored by the
// writer with their audit entries, and counted by the risk signal;
// a full queue drops and counts, never blocks; Close stores what is queued.
func TestRefusalLog(t *testing.T) {
	ctx := t.Context()
	st := openSQLite(t)
	// The writer not yet running, so the queue fills deterministically.
	l := &refusalLog{store: st, log: slog.New(slog.DiscardHandler), every: time.Hour, queue: make(chan refusalItem, 3), done: make(chan struct{})}
	for to := range int64(4) {
		l.add(refusal(10 + to))
	}
	if n := l.dropped.Load(); n != 1 {
		t.Fatalf("dropped %d with a queue of 3 and 4 refusals, want 1", n)
	}
	go l.run()
	if err := l.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := l.written.Load(); n != 3 {
		t.Fatalf("written %d after flush, want 3", n)
	}
	l.add(refusal(13))
	l.close()
	l.add(refusal(14)) // after close: dropped, counted
	if w, d := l.written.Load(), l.dropped.Load(); w != 4 || d != 2 {
		t.Errorf("written %d, dropped %d after close; want 4, 2", w, d)
	}
	if err := l.flush(ctx); err != nil {
		t.Errorf("flush after close: %v", err)
	}

	err := st.View(ctx, func(tx store.Tx) error {
		n, err := tx.RefusedMinors(ctx, 1, at.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n != 4 {
			t.Errorf("distinct minors refused = %d, want 4", n)
		}
		audit, err := tx.AuditEntries(ctx, 0, 100)
		if err != nil {
			return err
		}
		if len(audit) != 4 {
			t.Errorf("%d audit entries, want 4", len(audit))
		}
		for _, e := range audit {
			if e.Action != "policy.refused" || e.Reason != "stranger_contact_minor" || e.ActorID != 1 || e.Detail == "" {
				t.Errorf("audit entry %+v", e)
			}
		}
		events, err := tx.Events(ctx, 0, 100)
		if err != nil {
			return err
		}
		if len(events) != 4 || events[0].Type != safeguard.EventPolicyRefusal {
			t.Errorf("outbox events = %+v, want 4 refusals", events)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
