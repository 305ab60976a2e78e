package storetest

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var accountTests = []test{
	{"AccountRoundTrip", testAccountRoundTrip},
	{"AccountHandleConflict", testAccountHandleConflict},
	{"AccountNotFound", testAccountNotFound},
	{"AccountsByID", testAccountsByID},
	{"UpdateAccount", testUpdateAccount},
	{"Wards", testWards},
	{"GuardianCode", testGuardianCode},
	{"Sessions", testSessions},
	{"OtherSessions", testOtherSessions},
	{"SetPasswordHash", testSetPasswordHash},
	{"Logins", testLogins},
}

func testAccountRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		in   safeguard.Account
		hash string
	}{
		{"every field", safeguard.Account{
			Handle: "Ada_Lovelace", BirthDate: adultBirth, Assurance: safeguard.Verified,
			Status: safeguard.Active, App: "chat", LocalAuthority: "E08000003", PoliceForce: "E23000005",
			GuardianID: 0, CreatedAt: t0.In(local),
		}, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"},
		{"child with guardian", safeguard.Account{
			Handle: "kit", BirthDate: safeguard.Date{Year: 2016, Month: time.February, Day: 29},
			Assurance: safeguard.SelfDeclared, Status: safeguard.PendingGuardian, App: "kids",
			GuardianID: 42, CreatedAt: t0.Add(time.Microsecond),
		}, "h"},
		{"zero values", safeguard.Account{Handle: "z"}, ""},
		{"unicode handle", safeguard.Account{Handle: "Zoë", CreatedAt: time.Unix(0, 0)}, "x"},
	}
	for _, tt := range tests {
		a := tt.in
		update(t, s, func(tx store.Tx) error { return tx.CreateAccount(ctx, &a, tt.hash) })
		if a.ID <= 0 {
			t.Fatalf("%s: CreateAccount set ID %d", tt.name, a.ID)
		}
		want := tt.in
		want.ID = a.ID
		view(t, s, func(tx store.Tx) error {
			got, err := tx.Account(ctx, a.ID)
			if err != nil {
				return err
			}
			if d := diff(&want, got); d != "" {
				t.Errorf("%s: Account (-want +got):\n%s", tt.name, d)
			}
			if !got.CreatedAt.IsZero() && got.CreatedAt.Location() != time.UTC {
				t.Errorf("%s: CreatedAt in %v, want UTC", tt.name, got.CreatedAt.Location())
			}
			byHandle, err := tx.AccountByHandle(ctx, tt.in.Handle)
			if err != nil {
				return err
			}
			if d := diff(&want, byHandle); d != "" {
				t.Errorf("%s: AccountByHandle (-want +got):\n%s", tt.name, d)
			}
			h, err := tx.PasswordHash(ctx, a.ID)
			if err != nil {
				return err
			}
			if h != tt.hash {
				t.Errorf("%s: PasswordHash = %q, want %q", tt.name, h, tt.hash)
			}
			return nil
		})
	}
	view(t, s, func(tx store.Tx) error {
		a, err := tx.AccountByHandle(ctx, "ADA_lovelace")
		if err != nil {
			return fmt.Errorf("handle in other case: %w", err)
		}
		if a.Handle != "Ada_Lovelace" {
			t.Errorf("AccountByHandle(ADA_lovelace).Handle = %q, want the handle as written", a.Handle)
		}
		return nil
	})
	// Times keep microseconds and drop what is finer.
	a := safeguard.Account{Handle: "nanos", CreatedAt: t0.Add(999 * time.Nanosecond)}
	update(t, s, func(tx store.Tx) error { return tx.CreateAccount(ctx, &a, "") })
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Account(ctx, a.ID)
		if err == nil && !got.CreatedAt.Equal(t0) {
			t.Errorf("CreatedAt %v read back as %v, want %v", a.CreatedAt, got.CreatedAt, t0)
		}
		return err
	})
}

func testAccountHandleConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	account(t, s, "Alice", adultBirth)
	for _, handle := range []string{"Alice", "alice", "ALICE"} {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.CreateAccount(ctx, &safeguard.Account{Handle: handle, CreatedAt: t0}, "")
		})
		wantKind(t, "CreateAccount("+handle+")", err, safeguard.ErrConflict, "handle_taken")
	}
	// A conflict leaves the transaction usable: the caller may go on.
	var bob safeguard.Account
	update(t, s, func(tx store.Tx) error {
		err := tx.CreateAccount(ctx, &safeguard.Account{Handle: "aLiCe"}, "")
		wantKind(t, "CreateAccount(aLiCe)", err, safeguard.ErrConflict, "handle_taken")
		bob = safeguard.Account{Handle: "bob", CreatedAt: t0}
		return tx.CreateAccount(ctx, &bob, "")
	})
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Account(ctx, bob.ID)
		return err
	})
}

func testAccountNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "present", adultBirth)
	missing := a.ID + 1000
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Account(ctx, missing)
		wantKind(t, "Account", err, safeguard.ErrNotFound, "not_found")
		_, err = tx.AccountByHandle(ctx, "absent")
		wantKind(t, "AccountByHandle", err, safeguard.ErrNotFound, "not_found")
		_, err = tx.PasswordHash(ctx, missing)
		wantKind(t, "PasswordHash", err, safeguard.ErrNotFound, "not_found")
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.UpdateAccount(ctx, &safeguard.Account{ID: missing, Status: safeguard.Suspended})
	})
	wantKind(t, "UpdateAccount", err, safeguard.ErrNotFound, "")
}

func testAccountsByID(t *testing.T, s store.Store) {
	ctx := t.Context()
	var as []*safeguard.Account
	for i := range 5 {
		as = append(as, account(t, s, fmt.Sprintf("user%d", i), adultBirth))
	}
	maxID := as[len(as)-1].ID
	// Many IDs, most missing, with repeats: more than one query's worth.
	var many []int64
	for i := range int64(1500) {
		many = append(many, maxID+1+i)
	}
	many = append(many, as[3].ID, as[1].ID, as[3].ID)
	tests := []struct {
		name string
		ids  []int64
		want []*safeguard.Account
	}{
		{"none", nil, nil},
		{"one", []int64{as[2].ID}, []*safeguard.Account{as[2]}},
		{"some missing and repeated", []int64{as[0].ID, maxID + 7, as[4].ID, as[0].ID}, []*safeguard.Account{as[0], as[4]}},
		{"only missing", []int64{maxID + 1, maxID + 2}, nil},
		{"many", many, []*safeguard.Account{as[1], as[3]}},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.AccountsByID(ctx, tt.ids)
			if err != nil {
				return fmt.Errorf("%s: %w", tt.name, err)
			}
			want := map[int64]*safeguard.Account{}
			for _, a := range tt.want {
				want[a.ID] = a
			}
			if d := diff(want, got); d != "" {
				t.Errorf("%s: AccountsByID (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
}

func testUpdateAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := account(t, s, "guardian", adultBirth)
	g2 := account(t, s, "guardian2", adultBirth)
	a := account(t, s, "Teen", teenBirth)
	changed := *a
	changed.Assurance = safeguard.Verified
	changed.Status = safeguard.Suspended
	changed.BirthDate = childBirth
	changed.GuardianID, changed.SecondGuardianID = g.ID, g2.ID
	changed.LocalAuthority = "W06000015"
	changed.PoliceForce = "W15000004"
	// Fields UpdateAccount does not write.
	changed.Handle = "renamed"
	changed.App = "other"
	changed.CreatedAt = at(99)
	update(t, s, func(tx store.Tx) error { return tx.UpdateAccount(ctx, &changed) })

	want := *a
	want.Assurance, want.Status, want.BirthDate = safeguard.Verified, safeguard.Suspended, childBirth
	want.GuardianID, want.SecondGuardianID, want.LocalAuthority, want.PoliceForce = g.ID, g2.ID, "W06000015", "W15000004"
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Account(ctx, a.ID)
		if err != nil {
			return err
		}
		if d := diff(&want, got); d != "" {
			t.Errorf("after UpdateAccount (-want +got):\n%s", d)
		}
		return nil
	})
}

func testWards(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := account(t, s, "parent", adultBirth)
	other := account(t, s, "other", adultBirth)
	var kids []*safeguard.Account
	for i := range 3 {
		k := &safeguard.Account{Handle: fmt.Sprintf("kid%d", i), BirthDate: childBirth, Status: safeguard.Active, GuardianID: g.ID, CreatedAt: t0}
		if i == 1 {
			k.SecondGuardianID = other.ID
		}
		update(t, s, func(tx store.Tx) error { return tx.CreateAccount(ctx, k, "") })
		kids = append(kids, k)
	}
	account(t, s, "unlinked", childBirth)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Wards(ctx, g.ID)
		if err != nil {
			return err
		}
		if d := diff(kids, got); d != "" {
			t.Errorf("Wards (-want +got):\n%s", d)
		}
		none, err := tx.Wards(ctx, other.ID) // second guardian of kid1 only
		if err != nil {
			return err
		}
		if len(none) != 1 || none[0].ID != kids[1].ID {
			t.Errorf("Wards of the second guardian of kid1 = %v, want kid1", none)
		}
		return nil
	})
}

func testGuardianCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	kid := account(t, s, "kid", childBirth)
	other := account(t, s, "kid2", childBirth)
	first, second := []byte("code-hash-1"), []byte("code-hash-2")
	update(t, s, func(tx store.Tx) error { return tx.CreateGuardianCode(ctx, kid.ID, first, at(60).In(local)) })
	view(t, s, func(tx store.Tx) error {
		child, exp, err := tx.GuardianCode(ctx, first)
		if err != nil {
			return err
		}
		if child != kid.ID || !exp.Equal(at(60)) || exp.Location() != time.UTC {
			t.Errorf("GuardianCode = %d, %v; want %d, %v in UTC", child, exp, kid.ID, at(60))
		}
		return nil
	})
	// A new code replaces the child's earlier one.
	update(t, s, func(tx store.Tx) error { return tx.CreateGuardianCode(ctx, kid.ID, second, at(120)) })
	update(t, s, func(tx store.Tx) error { return tx.CreateGuardianCode(ctx, other.ID, []byte("code-hash-3"), at(120)) })
	view(t, s, func(tx store.Tx) error {
		_, _, err := tx.GuardianCode(ctx, first)
		wantKind(t, "replaced code", err, safeguard.ErrNotFound, "")
		child, exp, err := tx.GuardianCode(ctx, second)
		if err != nil {
			return err
		}
		if child != kid.ID || !exp.Equal(at(120)) {
			t.Errorf("GuardianCode(second) = %d, %v; want %d, %v", child, exp, kid.ID, at(120))
		}
		return nil
	})
	// Deleting is idempotent and touches only that child.
	for range 2 {
		update(t, s, func(tx store.Tx) error { return tx.DeleteGuardianCode(ctx, kid.ID) })
	}
	view(t, s, func(tx store.Tx) error {
		_, _, err := tx.GuardianCode(ctx, second)
		wantKind(t, "deleted code", err, safeguard.ErrNotFound, "")
		_, _, err = tx.GuardianCode(ctx, []byte("code-hash-3"))
		return err
	})
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	mk := func(acct int64, token string, origin safeguard.Origin) *safeguard.Session {
		return &safeguard.Session{AccountID: acct, TokenHash: []byte(token), CreatedAt: t0.In(local), ExpiresAt: at(60 * 24), Origin: origin}
	}
	s1 := mk(a.ID, "tok-1", safeguard.Origin{Addr: netip.MustParseAddrPort("[2001:db8::1]:51234"), At: t0})
	s2 := mk(a.ID, "tok-2", safeguard.Origin{Addr: netip.MustParseAddrPort("203.0.113.9:443"), At: t0})
	s3 := mk(b.ID, "tok-3", safeguard.Origin{})
	update(t, s, func(tx store.Tx) error {
		for _, ss := range []*safeguard.Session{s1, s2, s3} {
			if err := tx.CreateSession(ctx, ss); err != nil {
				return err
			}
		}
		return nil
	})
	if s1.ID <= 0 || s2.ID <= 0 || s1.ID == s2.ID {
		t.Fatalf("session IDs %d, %d: want distinct positive IDs", s1.ID, s2.ID)
	}
	view(t, s, func(tx store.Tx) error {
		for _, want := range []*safeguard.Session{s1, s2, s3} {
			got, err := tx.Session(ctx, want.TokenHash)
			if err != nil {
				return err
			}
			if d := diff(want, got); d != "" {
				t.Errorf("Session(%s) (-want +got):\n%s", want.TokenHash, d)
			}
		}
		_, err := tx.Session(ctx, []byte("nope"))
		wantKind(t, "Session(unknown)", err, safeguard.ErrNotFound, "")
		for _, c := range []struct {
			ss   *safeguard.Session
			want *safeguard.Account
		}{{s1, a}, {s3, b}} {
			got, expires, err := tx.AccountBySession(ctx, c.ss.TokenHash)
			if err != nil {
				return err
			}
			if d := diff(c.want, got); d != "" || !expires.Equal(c.ss.ExpiresAt) {
				t.Errorf("AccountBySession(%s) = expires %v, (-want +got):\n%s", c.ss.TokenHash, expires, d)
			}
		}
		_, _, err = tx.AccountBySession(ctx, []byte("nope"))
		wantKind(t, "AccountBySession(unknown)", err, safeguard.ErrNotFound, "")
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateSession(ctx, mk(b.ID, "tok-1", safeguard.Origin{})) })
	wantKind(t, "CreateSession(same token)", err, safeguard.ErrConflict, "conflict")

	update(t, s, func(tx store.Tx) error { return tx.DeleteSession(ctx, s1.TokenHash) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteSession(ctx, s1.TokenHash) })
	wantKind(t, "DeleteSession twice", err, safeguard.ErrNotFound, "")
	update(t, s, func(tx store.Tx) error {
		if err := tx.DeleteSessions(ctx, a.ID); err != nil {
			return err
		}
		return tx.DeleteSessions(ctx, a.ID) // nothing left: not an error
	})
	view(t, s, func(tx store.Tx) error {
		for _, gone := range [][]byte{s1.TokenHash, s2.TokenHash} {
			_, err := tx.Session(ctx, gone)
			wantKind(t, "deleted session", err, safeguard.ErrNotFound, "")
		}
		_, err := tx.Session(ctx, s3.TokenHash) // another account's
		return err
	})
}

func testLogins(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	addr := netip.MustParseAddrPort("198.51.100.7:40000")
	logins := []safeguard.Login{
		{AccountID: a.ID, Origin: safeguard.Origin{Addr: addr, At: at(-10)}, OK: true},
		{AccountID: a.ID, Origin: safeguard.Origin{Addr: addr, At: at(0)}, OK: false},
		{AccountID: a.ID, Origin: safeguard.Origin{At: at(5)}, OK: false},
		{AccountID: a.ID, Origin: safeguard.Origin{Addr: netip.MustParseAddrPort("[::1]:1"), At: at(3).In(local)}, OK: true},
		{AccountID: b.ID, Origin: safeguard.Origin{Addr: addr, At: at(4)}, OK: true},
	}
	update(t, s, func(tx store.Tx) error {
		for i := range logins {
			if err := tx.RecordLogin(ctx, &logins[i]); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Logins(ctx, a.ID, at(0))
		if err != nil {
			return err
		}
		want := []safeguard.Login{logins[2], logins[3], logins[1]} // since at(0) inclusive, newest first
		if d := diff(want, got); d != "" {
			t.Errorf("Logins (-want +got):\n%s", d)
		}
		none, err := tx.Logins(ctx, a.ID, at(6))
		if err != nil {
			return err
		}
		if len(none) != 0 {
			t.Errorf("Logins since after the last = %v, want none", none)
		}
		return nil
	})
}

func testOtherSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	var sessions []*safeguard.Session
	update(t, s, func(tx store.Tx) error {
		for i, acct := range []int64{a.ID, a.ID, a.ID, b.ID} {
			ss := &safeguard.Session{AccountID: acct, TokenHash: []byte(fmt.Sprint("tok-", i)), CreatedAt: t0, ExpiresAt: at(60)}
			if err := tx.CreateSession(ctx, ss); err != nil {
				return err
			}
			sessions = append(sessions, ss)
		}
		return nil
	})
	var gone []int64
	update(t, s, func(tx store.Tx) (err error) {
		gone, err = tx.DeleteOtherSessions(ctx, a.ID, sessions[1].TokenHash)
		return err
	})
	if d := diff([]int64{sessions[0].ID, sessions[2].ID}, sorted(gone)); d != "" {
		t.Errorf("DeleteOtherSessions deleted (-want +got):\n%s", d)
	}
	view(t, s, func(tx store.Tx) error {
		for i, ss := range sessions {
			_, err := tx.Session(ctx, ss.TokenHash)
			if kept := i == 1 || i == 3; kept && err != nil {
				t.Errorf("session %d: %v, want kept", i, err)
			} else if !kept {
				wantKind(t, fmt.Sprint("session ", i), err, safeguard.ErrNotFound, "")
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) (err error) {
		gone, err = tx.DeleteOtherSessions(ctx, a.ID, sessions[1].TokenHash)
		return err
	})
	if len(gone) != 0 {
		t.Errorf("DeleteOtherSessions again deleted %v, want none", gone)
	}
}

func sorted(ids []int64) []int64 {
	out := append([]int64(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func testSetPasswordHash(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	var before string
	view(t, s, func(tx store.Tx) (err error) { before, err = tx.PasswordHash(ctx, b.ID); return })
	update(t, s, func(tx store.Tx) error { return tx.SetPasswordHash(ctx, a.ID, "new-hash") })
	view(t, s, func(tx store.Tx) error {
		if got, err := tx.PasswordHash(ctx, a.ID); err != nil || got != "new-hash" {
			t.Errorf("PasswordHash after SetPasswordHash = %q, %v; want new-hash", got, err)
		}
		if got, err := tx.PasswordHash(ctx, b.ID); err != nil || got != before {
			t.Errorf("another account's hash = %q, %v; want %q", got, err, before)
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.SetPasswordHash(ctx, b.ID+100, "x") })
	wantKind(t, "SetPasswordHash(missing)", err, safeguard.ErrNotFound, "")
}
