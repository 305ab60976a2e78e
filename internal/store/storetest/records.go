package storetest

import (
	"fmt"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var recordTests = []test{
	{"Audit", testAudit},
	{"Refusals", testRefusals},
	{"RefusedMinors", testRefusedMinors},
	{"Events", testEvents},
	{"Queues", testQueues},
}

func testAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	entries := []safeguard.AuditEntry{
		{At: at(0).In(local), ActorID: 0, Actor: "operator", Action: "age_assurance.set", TargetID: 7, Reason: "age_check", Detail: `{"level":"verified"}`},
		{At: at(2), ActorID: 3, Actor: "account", Action: "block", TargetID: 8},
		{At: at(1), Actor: "system", Action: "policy.refused", TargetID: 7, Reason: "stranger_contact_minor"},
		{At: at(3), Action: "x", TargetID: 9},
	}
	update(t, s, func(tx store.Tx) error {
		for i := range entries {
			if err := tx.Audit(ctx, &entries[i]); err != nil {
				return err
			}
			if entries[i].ID <= 0 {
				return fmt.Errorf("audit entry got ID %d", entries[i].ID)
			}
		}
		return nil
	})
	tests := []struct {
		name   string
		target int64
		limit  int
		want   []safeguard.AuditEntry
	}{
		{"one target, newest first", 7, 10, []safeguard.AuditEntry{entries[2], entries[0]}},
		{"all", 0, 10, []safeguard.AuditEntry{entries[3], entries[1], entries[2], entries[0]}},
		{"all, limit", 0, 2, []safeguard.AuditEntry{entries[3], entries[1]}},
		{"zero limit is the default", 0, 0, []safeguard.AuditEntry{entries[3], entries[1], entries[2], entries[0]}},
		{"no entries", 99, 10, nil},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.AuditEntries(ctx, tt.target, tt.limit)
			if err != nil {
				return err
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("%s: AuditEntries (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
}

func testRefusals(t *testing.T, s store.Store) {
	ctx := t.Context()
	rs := []safeguard.Refusal{
		{At: at(0).In(local), FromID: 1, ToID: 2, Action: "contact_request", Reason: "stranger_contact_minor", ToMinor: true, FromBand: safeguard.Adult},
		{At: at(5), FromID: 1, ToID: 3, Action: "message", Reason: "not_contacts", ToMinor: false, FromBand: safeguard.Adult},
		{At: at(3), FromID: 1, ToID: 4, Action: "group_add", Reason: "stranger_contact_minor", ToMinor: true, FromBand: safeguard.Adult},
		{At: at(4), FromID: 9, ToID: 2, Action: "conversation", Reason: "blocked", FromBand: safeguard.Teen},
	}
	update(t, s, func(tx store.Tx) error {
		for i := range rs {
			if err := tx.RecordRefusal(ctx, &rs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Refusals(ctx, 1, 10)
		if err != nil {
			return err
		}
		if d := diff([]safeguard.Refusal{rs[1], rs[2], rs[0]}, got); d != "" {
			t.Errorf("Refusals (-want +got):\n%s", d)
		}
		got, err = tx.Refusals(ctx, 1, 1)
		if err != nil {
			return err
		}
		if d := diff([]safeguard.Refusal{rs[1]}, got); d != "" {
			t.Errorf("Refusals, limit 1 (-want +got):\n%s", d)
		}
		return nil
	})
}

func testRefusedMinors(t *testing.T, s store.Store) {
	ctx := t.Context()
	const adult, other = 100, 200
	refuse := func(from, to int64, minute int, minor bool) safeguard.Refusal {
		return safeguard.Refusal{At: at(minute), FromID: from, ToID: to, Action: "contact_request", Reason: "stranger_contact_minor", ToMinor: minor, FromBand: safeguard.Adult}
	}
	rs := []safeguard.Refusal{
		refuse(adult, 1, -60, true), // before the window
		refuse(adult, 2, 0, true),   // at the start: counts
		refuse(adult, 2, 5, true),   // the same minor again
		refuse(adult, 3, 10, true),
		refuse(adult, 4, 11, false), // not a minor
		refuse(other, 5, 12, true),  // someone else
		refuse(adult, 6, 20, true),
	}
	update(t, s, func(tx store.Tx) error {
		for i := range rs {
			if err := tx.RecordRefusal(ctx, &rs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		from  int64
		since int
		want  int
	}{
		{adult, 0, 3},      // 2, 3, 6
		{adult, -120, 4},   // 1, 2, 3, 6
		{adult, 1, 3},      // 2 (again at 5), 3, 6
		{adult, 6, 2},      // 3, 6
		{adult, 21, 0},     // none since
		{other, -120, 1},   // 5
		{adult + 1, -1, 0}, // no refusals at all
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.RefusedMinors(ctx, tt.from, at(tt.since).In(local))
			if err != nil {
				return err
			}
			if got != tt.want {
				t.Errorf("RefusedMinors(%d, at(%d)) = %d, want %d", tt.from, tt.since, got, tt.want)
			}
		}
		return nil
	})
}

func testEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	var es []safeguard.Event
	for i := range 6 {
		e := safeguard.Event{Type: safeguard.EventMessageCreated, At: at(i).In(local), AccountID: int64(i), ConversationID: 10, MessageID: int64(100 + i)}
		if i%2 == 0 {
			e.Payload = []byte(fmt.Sprintf(`{"n":%d}`, i))
		}
		if i == 5 {
			e = safeguard.Event{Type: safeguard.EventAccountChanged} // every optional field empty
		}
		update(t, s, func(tx store.Tx) error { return tx.AppendEvent(ctx, &e) })
		if len(es) > 0 && e.ID <= es[len(es)-1].ID {
			t.Fatalf("event ID %d after %d: IDs must increase", e.ID, es[len(es)-1].ID)
		}
		es = append(es, e)
	}
	tests := []struct {
		name  string
		after int64
		limit int
		want  []safeguard.Event
	}{
		{"all", 0, 100, es},
		{"after a cursor", es[1].ID, 100, es[2:]},
		{"limit", es[0].ID, 2, es[1:3]},
		{"zero limit is the default", 0, 0, es},
		{"after the last", es[5].ID, 10, nil},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.Events(ctx, tt.after, tt.limit)
			if err != nil {
				return err
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("%s: Events (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
	// An event appended in a transaction that fails is not in the outbox.
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: "rolled.back", At: t0}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update = %v, want %v", err, errRollback)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Events(ctx, es[5].ID, 10)
		if err == nil && len(got) != 0 {
			t.Errorf("events after a rolled-back append: %v", got)
		}
		return err
	})
}
