package storetest

import (
	"net/netip"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var preservationTests = []test{
	{"RecoveryCodes", testRecoveryCodes},
	{"Preservations", testPreservations},
	{"EraseKeepsWhatIsHeld", testEraseKeepsWhatIsHeld},
}

// testRecoveryCodes: each code works once; a new set replaces the old.
func testRecoveryCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "tia.21", teenBirth)
	old := [][]byte{[]byte("hash-one"), []byte("hash-two")}
	update(t, s, func(tx store.Tx) error { return tx.SetRecoveryCodes(ctx, a.ID, old, t0) })
	update(t, s, func(tx store.Tx) error {
		if ok, err := tx.RecoveryCodeUnused(ctx, a.ID, old[0]); err != nil || !ok {
			t.Errorf("a new code unused = %v %v", ok, err)
		}
		if ok, err := tx.RecoveryCodeUnused(ctx, 0, old[0]); err != nil || ok {
			t.Errorf("the code of no account = %v %v", ok, err)
		}
		return tx.UseRecoveryCode(ctx, a.ID, old[0], at(1))
	})
	update(t, s, func(tx store.Tx) error {
		wantKind(t, "a used code again", tx.UseRecoveryCode(ctx, a.ID, old[0], at(2)), safeguard.ErrNotFound, "")
		if ok, err := tx.RecoveryCodeUnused(ctx, a.ID, old[0]); err != nil || ok {
			t.Errorf("a used code unused = %v %v", ok, err)
		}
		return tx.SetRecoveryCodes(ctx, a.ID, [][]byte{[]byte("hash-new")}, at(3))
	})
	view(t, s, func(tx store.Tx) error {
		if ok, err := tx.RecoveryCodeUnused(ctx, a.ID, old[1]); err != nil || ok {
			t.Errorf("a replaced code unused = %v %v", ok, err)
		}
		if ok, err := tx.RecoveryCodeUnused(ctx, a.ID, []byte("hash-new")); err != nil || !ok {
			t.Errorf("the new code unused = %v %v", ok, err)
		}
		return nil
	})
}

// testPreservations: stored, listed, extended only for their own account.
func testPreservations(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "pim.22", adultBirth)
	b := account(t, s, "pam.23", adultBirth)
	p := &safeguard.Preservation{AccountID: a.ID, Reference: "REF/1", Agency: "Test Police", RecordedBy: "amir",
		CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.CreatePreservation(ctx, p) })
	if p.ID == 0 {
		t.Fatal("no ID")
	}
	later := t0.Add(180 * 24 * time.Hour)
	update(t, s, func(tx store.Tx) error {
		wantKind(t, "extending another's", tx.ExtendPreservation(ctx, b.ID, p.ID, later), safeguard.ErrNotFound, "")
		return tx.ExtendPreservation(ctx, a.ID, p.ID, later)
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Preservations(ctx, a.ID)
		want := *p
		want.ExpiresAt = later
		if err != nil || len(got) != 1 || diff(&want, got[0]) != "" {
			t.Errorf("preservations = %+v %v, want %+v", got, err, want)
		}
		if got, err := tx.Preservations(ctx, b.ID); err != nil || len(got) != 0 {
			t.Errorf("another's preservations = %+v %v", got, err)
		}
		return nil
	})
}

// testEraseKeepsWhatIsHeld: erasing with Held keeps contacts, undelivered
// messages and every login, and marks the account as retaining; erasing
// with the last login keeps that one; erasing with nothing clears the mark.
func testEraseKeepsWhatIsHeld(t *testing.T, s store.Store) {
	ctx := t.Context()
	gone, conv, addr := heldFixture(t, s)
	counts := func() (contacts, logins, sent int) {
		view(t, s, func(tx store.Tx) error {
			c, err := tx.AccountCounts(ctx, gone.ID)
			if err != nil {
				return err
			}
			ls, err := tx.Logins(ctx, gone.ID, time.Time{})
			contacts, logins, sent = c.Contacts, len(ls), c.MessagesSent
			return err
		})
		return
	}
	update(t, s, func(tx store.Tx) error {
		return tx.EraseAccountData(ctx, gone.ID, store.Keep{Logins: true, Held: true, At: at(10)}, safeguard.Adult)
	})
	if c, l, m := counts(); c != 1 || l != 3 || m != 1 {
		t.Errorf("after erasing what is not held: contacts %d logins %d messages %d, want 1 3 1", c, l, m)
	}
	gone.Status = safeguard.Deleted
	update(t, s, func(tx store.Tx) error { return tx.UpdateAccount(ctx, gone) })
	view(t, s, func(tx store.Tx) error {
		ds, err := tx.RetainedDeleted(ctx, 0, 10)
		if err != nil || len(ds) != 1 || ds[0].ID != gone.ID || !ds[0].DeletedAt.Equal(at(10)) || !ds[0].Held {
			t.Errorf("retained = %+v %v", ds, err)
		}
		ids, err := tx.HeldConversationIDs(ctx, gone.ID)
		if err != nil || len(ids) != 1 || ids[0] != conv.ID {
			t.Errorf("held conversations = %v %v", ids, err)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		return tx.EraseAccountData(ctx, gone.ID, store.Keep{LastLogin: true, At: at(20)}, safeguard.Adult)
	})
	if c, l, m := counts(); c != 0 || l != 1 || m != 0 {
		t.Errorf("after erasing but the last login: contacts %d logins %d messages %d, want 0 1 0", c, l, m)
	}
	checkLastLogin(t, s, gone.ID, addr)
	update(t, s, func(tx store.Tx) error { return tx.EraseAccountData(ctx, gone.ID, store.Keep{}, safeguard.Adult) })
	if _, l, _ := counts(); l != 0 {
		t.Errorf("logins after erasing all = %d", l)
	}
	view(t, s, func(tx store.Tx) error {
		if ds, err := tx.RetainedDeleted(ctx, 0, 10); err != nil || len(ds) != 0 {
			t.Errorf("retained after erasing all = %+v %v", ds, err)
		}
		return nil
	})
}

// checkLastLogin checks that the one login kept is the last successful one.
func checkLastLogin(t *testing.T, s store.Store, id int64, addr netip.AddrPort) {
	t.Helper()
	ctx := t.Context()
	view(t, s, func(tx store.Tx) error {
		ls, err := tx.Logins(ctx, id, time.Time{})
		if err != nil || len(ls) != 1 || !ls[0].OK || !ls[0].Origin.At.Equal(at(1)) || ls[0].Origin.Addr != addr {
			t.Errorf("the last login kept = %+v %v", ls, err)
		}
		ds, err := tx.RetainedDeleted(ctx, 0, 10)
		if err != nil || len(ds) != 1 || !ds[0].DeletedAt.Equal(at(10)) || ds[0].Held {
			t.Errorf("retained (deleted_at kept, the last login only) = %+v %v", ds, err)
		}
		return nil
	})
}

// heldFixture is an account with a contact, three logins (two successful,
// then a failed one) and a held message in a group.
func heldFixture(t *testing.T, s store.Store) (*safeguard.Account, *safeguard.Conversation, netip.AddrPort) {
	ctx := t.Context()
	gone := account(t, s, "gus.24", adultBirth)
	friend := account(t, s, "fay.25", adultBirth)
	conv := group(t, s, false, gone.ID, friend.ID)
	addr := netip.MustParseAddrPort("198.51.100.7:50123")
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateContact(ctx, &safeguard.Contact{FromID: gone.ID, ToID: friend.ID, State: safeguard.ContactAccepted, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			return err
		}
		for i, ok := range []bool{true, true, false} {
			l := &safeguard.Login{AccountID: gone.ID, OK: ok, Origin: safeguard.Origin{Addr: addr, At: at(i)}}
			if err := tx.RecordLogin(ctx, l); err != nil {
				return err
			}
		}
		return tx.CreateMessage(ctx, &safeguard.Message{ConversationID: conv.ID, SenderID: gone.ID, Kind: safeguard.TextMessage,
			Text: "held (synthetic)", Status: safeguard.Held, CreatedAt: t0})
	})
	return gone, conv, addr
}
