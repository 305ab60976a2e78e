package storetest

import (
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var contactTests = []test{
	{"ContactRoundTrip", testContactRoundTrip},
	{"ContactConflict", testContactConflict},
	{"UpdateDeleteContact", testUpdateDeleteContact},
	{"ContactsNewestFirst", testContactsNewestFirst},
	{"AwaitingGuardian", testAwaitingGuardian},
	{"ContactPairs", testContactPairs},
	{"Blocks", testBlocks},
}

// contact stores a request from→to in state and returns it.
func contact(t *testing.T, s store.Store, from, to int64, state safeguard.ContactState, created int) *safeguard.Contact {
	t.Helper()
	c := &safeguard.Contact{FromID: from, ToID: to, State: state, CreatedAt: at(created), UpdatedAt: at(created)}
	update(t, s, func(tx store.Tx) error { return tx.CreateContact(t.Context(), c) })
	return c
}

func testContactRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	k := account(t, s, "k", childBirth)
	tests := []safeguard.Contact{
		{FromID: k.ID, ToID: a.ID, State: safeguard.ContactAwaitingGuardian, FromGuardianOK: true, CreatedAt: t0.In(local), UpdatedAt: at(1)},
		{FromID: a.ID, ToID: a.ID + 100, State: safeguard.ContactPending, ToGuardianOK: true, CreatedAt: t0, UpdatedAt: t0},
		{FromID: a.ID + 200, ToID: a.ID + 201},
	}
	for _, c := range tests {
		in := c
		update(t, s, func(tx store.Tx) error { return tx.CreateContact(ctx, &in) })
		if in.ID <= 0 {
			t.Fatalf("CreateContact set ID %d", in.ID)
		}
		want := c
		want.ID = in.ID
		view(t, s, func(tx store.Tx) error {
			got, err := tx.Contact(ctx, in.ID)
			if err != nil {
				return err
			}
			if d := diff(&want, got); d != "" {
				t.Errorf("Contact (-want +got):\n%s", d)
			}
			for _, ends := range [][2]int64{{c.FromID, c.ToID}, {c.ToID, c.FromID}} {
				got, err := tx.ContactBetween(ctx, ends[0], ends[1])
				if err != nil {
					return err
				}
				if d := diff(&want, got); d != "" {
					t.Errorf("ContactBetween(%d, %d) (-want +got):\n%s", ends[0], ends[1], d)
				}
			}
			return nil
		})
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Contact(ctx, 1<<40)
		wantKind(t, "Contact(missing)", err, safeguard.ErrNotFound, "")
		_, err = tx.ContactBetween(ctx, k.ID, a.ID+100)
		wantKind(t, "ContactBetween(strangers)", err, safeguard.ErrNotFound, "")
		return nil
	})
}

func testContactConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	first := contact(t, s, a.ID, b.ID, safeguard.ContactPending, 0)
	for _, ends := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}} {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.CreateContact(ctx, &safeguard.Contact{FromID: ends[0], ToID: ends[1], State: safeguard.ContactPending})
		})
		wantKind(t, "second request", err, safeguard.ErrConflict, "conflict")
	}
	// The transaction stays usable after the conflict.
	c := account(t, s, "c", adultBirth)
	var other safeguard.Contact
	update(t, s, func(tx store.Tx) error {
		err := tx.CreateContact(ctx, &safeguard.Contact{FromID: b.ID, ToID: a.ID})
		wantKind(t, "reverse request", err, safeguard.ErrConflict, "")
		other = safeguard.Contact{FromID: c.ID, ToID: a.ID, State: safeguard.ContactPending}
		return tx.CreateContact(ctx, &other)
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.ContactBetween(ctx, b.ID, a.ID)
		if err == nil && got.ID != first.ID {
			t.Errorf("ContactBetween = %d, want the first request %d", got.ID, first.ID)
		}
		if err != nil {
			return err
		}
		_, err = tx.Contact(ctx, other.ID)
		return err
	})
}

func testUpdateDeleteContact(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	k := account(t, s, "k", childBirth)
	c := contact(t, s, a.ID, k.ID, safeguard.ContactAwaitingGuardian, 0)
	changed := *c
	changed.State = safeguard.ContactAccepted
	changed.FromGuardianOK, changed.ToGuardianOK = true, true
	changed.UpdatedAt = at(30).In(local)
	changed.FromID, changed.ToID, changed.CreatedAt = 999, 998, at(-5) // not written
	update(t, s, func(tx store.Tx) error { return tx.UpdateContact(ctx, &changed) })
	want := *c
	want.State, want.FromGuardianOK, want.ToGuardianOK, want.UpdatedAt = safeguard.ContactAccepted, true, true, at(30)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Contact(ctx, c.ID)
		if err != nil {
			return err
		}
		if d := diff(&want, got); d != "" {
			t.Errorf("after UpdateContact (-want +got):\n%s", d)
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.UpdateContact(ctx, &safeguard.Contact{ID: c.ID + 100}) })
	wantKind(t, "UpdateContact(missing)", err, safeguard.ErrNotFound, "")

	update(t, s, func(tx store.Tx) error { return tx.DeleteContact(ctx, c.ID) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteContact(ctx, c.ID) })
	wantKind(t, "DeleteContact twice", err, safeguard.ErrNotFound, "")
	view(t, s, func(tx store.Tx) error {
		_, err := tx.ContactBetween(ctx, a.ID, k.ID)
		wantKind(t, "deleted contact", err, safeguard.ErrNotFound, "")
		return nil
	})
	// Once deleted, a request may be made again, either way.
	contact(t, s, k.ID, a.ID, safeguard.ContactPending, 40)
}

func testContactsNewestFirst(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	c := account(t, s, "c", adultBirth)
	d := account(t, s, "d", adultBirth)
	ab := contact(t, s, a.ID, b.ID, safeguard.ContactAccepted, 0)
	ca := contact(t, s, c.ID, a.ID, safeguard.ContactPending, 10)
	ad := contact(t, s, a.ID, d.ID, safeguard.ContactDeclined, 5)
	contact(t, s, b.ID, c.ID, safeguard.ContactAccepted, 20) // not a's
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Contacts(ctx, a.ID)
		if err != nil {
			return err
		}
		if d := diff([]*safeguard.Contact{ca, ad, ab}, got); d != "" {
			t.Errorf("Contacts (-want +got):\n%s", d)
		}
		none, err := tx.Contacts(ctx, d.ID+1)
		if err != nil {
			return err
		}
		if len(none) != 0 {
			t.Errorf("Contacts of an account with none = %v", none)
		}
		return nil
	})
}

func testAwaitingGuardian(t *testing.T, s store.Store) {
	ctx := t.Context()
	k1 := account(t, s, "k1", childBirth)
	k2 := account(t, s, "k2", childBirth)
	k3 := account(t, s, "k3", childBirth)
	tn := account(t, s, "teen", teenBirth)
	w1 := contact(t, s, k1.ID, tn.ID, safeguard.ContactAwaitingGuardian, 0)
	w2 := contact(t, s, tn.ID, k2.ID, safeguard.ContactAwaitingGuardian, 1)
	w12 := contact(t, s, k2.ID, k1.ID, safeguard.ContactAwaitingGuardian, 2)
	contact(t, s, k1.ID, k3.ID, safeguard.ContactPending, 3)          // not awaiting
	contact(t, s, k3.ID, tn.ID, safeguard.ContactAwaitingGuardian, 4) // not one of the children asked about
	tests := []struct {
		name string
		ids  []int64
		want []*safeguard.Contact
	}{
		{"none", nil, nil},
		{"one child", []int64{k1.ID}, []*safeguard.Contact{w1, w12}},
		{"two children, request between them once", []int64{k2.ID, k1.ID}, []*safeguard.Contact{w1, w2, w12}},
		{"no awaiting", []int64{tn.ID + 50}, nil},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.AwaitingGuardian(ctx, tt.ids)
			if err != nil {
				return err
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("%s: AwaitingGuardian (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
}

func testContactPairs(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	c := account(t, s, "c", adultBirth)
	d := account(t, s, "d", adultBirth)
	contact(t, s, b.ID, a.ID, safeguard.ContactAccepted, 0)
	contact(t, s, a.ID, c.ID, safeguard.ContactAccepted, 1)
	contact(t, s, b.ID, c.ID, safeguard.ContactPending, 2) // not accepted
	contact(t, s, c.ID, d.ID, safeguard.ContactAccepted, 3)
	tests := []struct {
		name string
		ids  []int64
		want [][2]int64
	}{
		{"none", nil, nil},
		{"all", []int64{a.ID, b.ID, c.ID, d.ID}, [][2]int64{{a.ID, b.ID}, {a.ID, c.ID}, {c.ID, d.ID}}},
		{"both ends must be in ids", []int64{c.ID, b.ID}, nil},
		{"repeats", []int64{d.ID, c.ID, d.ID}, [][2]int64{{c.ID, d.ID}}},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.ContactPairs(ctx, tt.ids)
			if err != nil {
				return err
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("%s: ContactPairs (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
}

func testBlocks(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	c := account(t, s, "c", adultBirth)
	ab := safeguard.Block{BlockerID: a.ID, BlockedID: b.ID, CreatedAt: t0.In(local)}
	ac := safeguard.Block{BlockerID: a.ID, BlockedID: c.ID, CreatedAt: at(1)}
	cb := safeguard.Block{BlockerID: c.ID, BlockedID: b.ID, CreatedAt: at(2)}
	update(t, s, func(tx store.Tx) error {
		for _, bl := range []safeguard.Block{ab, ac, cb} {
			if err := tx.CreateBlock(ctx, bl); err != nil {
				return err
			}
		}
		// Blocking again is not an error and keeps the first block.
		again := ab
		again.CreatedAt = at(50)
		return tx.CreateBlock(ctx, again)
	})
	ab.CreatedAt = t0
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Blocks(ctx, []int64{b.ID, a.ID, c.ID})
		if err != nil {
			return err
		}
		if d := diff([]safeguard.Block{ab, ac, cb}, got); d != "" {
			t.Errorf("Blocks(a, b, c) (-want +got):\n%s", d)
		}
		got, err = tx.Blocks(ctx, []int64{c.ID, b.ID})
		if err != nil {
			return err
		}
		if d := diff([]safeguard.Block{cb}, got); d != "" {
			t.Errorf("Blocks(c, b) (-want +got):\n%s", d)
		}
		got, err = tx.BlocksBy(ctx, a.ID)
		if err != nil {
			return err
		}
		if d := diff([]safeguard.Block{ab, ac}, got); d != "" {
			t.Errorf("BlocksBy(a) (-want +got):\n%s", d)
		}
		return nil
	})
	for range 2 { // unblocking twice is not an error
		update(t, s, func(tx store.Tx) error { return tx.DeleteBlock(ctx, a.ID, b.ID) })
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.BlocksBy(ctx, a.ID)
		if err != nil {
			return err
		}
		if d := diff([]safeguard.Block{ac}, got); d != "" {
			t.Errorf("BlocksBy(a) after DeleteBlock (-want +got):\n%s", d)
		}
		return nil
	})
}
