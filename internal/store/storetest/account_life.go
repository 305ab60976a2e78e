package storetest

import (
	"bytes"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var accountLifeTests = []test{
	{"SessionsOfAccount", testSessionsOfAccount},
	{"FindAccounts", testFindAccounts},
	{"BandChanged", testBandChanged},
	{"PasswordReset", testPasswordReset},
	{"EraseAccountData", testEraseAccountData},
	{"ErasedBand", testErasedBand},
}

// testErasedBand: a deleted account whose date of birth is erased counts
// among the adults of the nickname queries only if it was an adult when
// deleted; counting everyone, it always counts.
func testErasedBand(t *testing.T, s store.Store) {
	ctx := t.Context()
	kid := account(t, s, "lily.11", childBirth)
	grown := account(t, s, "rnoro.12", adultBirth)
	update(t, s, func(tx store.Tx) error {
		for _, a := range []*safeguard.Account{kid, grown} {
			band := a.Band(t0)
			if err := tx.EraseAccountData(ctx, a.ID, store.Keep{}, band); err != nil {
				return err
			}
			a.Status, a.BirthDate = safeguard.Deleted, safeguard.Date{}
			if err := tx.UpdateAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	adults := safeguard.BornBy(safeguard.AdultFrom, t0)
	view(t, s, func(tx store.Tx) error {
		for _, c := range []struct {
			nick, like string
			bornBy     safeguard.Date
			want       int
		}{{"lily", "IiIy", adults, 0}, {"lily", "IiIy", safeguard.Date{}, 1}, {"moro", "moro", adults, 1}, {"moro", "moro", safeguard.Date{}, 1}} {
			n, err := tx.NicknameHolders(ctx, c.nick, c.bornBy)
			if err != nil {
				return err
			}
			found, err := tx.LookalikeNickname(ctx, c.like, c.bornBy)
			if err != nil {
				return err
			}
			if n != c.want || found != (c.want > 0) {
				t.Errorf("%s born by %v: %d holders, lookalike %v; want %d", c.nick, c.bornBy, n, found, c.want)
			}
		}
		return nil
	})
}

func testSessionsOfAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	s1 := &safeguard.Session{AccountID: a.ID, TokenHash: []byte("t1"), CreatedAt: t0, ExpiresAt: at(60), App: "kids"}
	s2 := &safeguard.Session{AccountID: a.ID, TokenHash: []byte("t2"), CreatedAt: at(1), ExpiresAt: at(60)}
	s3 := &safeguard.Session{AccountID: b.ID, TokenHash: []byte("t3"), CreatedAt: t0, ExpiresAt: at(60)}
	update(t, s, func(tx store.Tx) error {
		for _, ss := range []*safeguard.Session{s1, s2, s3} {
			if err := tx.CreateSession(ctx, ss); err != nil {
				return err
			}
		}
		if err := tx.TouchSession(ctx, s1.TokenHash, at(5)); err != nil {
			return err
		}
		return tx.TouchSession(ctx, s1.TokenHash, at(3)) // never back
	})
	view(t, s, func(tx store.Tx) error {
		ss, err := tx.Sessions(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(ss) != 2 || ss[0].ID != s1.ID || ss[1].ID != s2.ID || ss[0].App != "kids" || !ss[0].LastUsedAt.Equal(at(5)) || !ss[1].LastUsedAt.IsZero() {
			t.Errorf("Sessions(a) = %+v", ss)
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteSessionByID(ctx, a.ID, s3.ID) })
	wantKind(t, "DeleteSessionByID(another account's)", err, safeguard.ErrNotFound, "")
	update(t, s, func(tx store.Tx) error { return tx.DeleteSessionByID(ctx, a.ID, s1.ID) })
	view(t, s, func(tx store.Tx) error {
		ss, err := tx.Sessions(ctx, a.ID)
		if err == nil && (len(ss) != 1 || ss[0].ID != s2.ID) {
			t.Errorf("Sessions(a) after ending one = %+v", ss)
		}
		if _, err := tx.Session(ctx, s3.TokenHash); err != nil {
			t.Errorf("b's session: %v", err)
		}
		return err
	})
}

func testFindAccounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	leo := account(t, s, "leo.12", adultBirth)
	leonie := account(t, s, "Leonie.55", teenBirth)
	ann := account(t, s, "ann_x.31", childBirth)
	pct := account(t, s, "a_b.77", adultBirth)
	gone := account(t, s, "gone.40", safeguard.Date{}) // a deleted account keeps no date of birth
	update(t, s, func(tx store.Tx) error {
		leonie.Assurance, leonie.Status = safeguard.Verified, safeguard.Suspended
		return tx.UpdateAccount(ctx, leonie)
	})
	ids := func(q store.AccountQuery) []int64 {
		var out []int64
		view(t, s, func(tx store.Tx) error {
			as, err := tx.FindAccounts(ctx, q)
			for _, a := range as {
				out = append(out, a.ID)
			}
			return err
		})
		return out
	}
	for _, c := range []struct {
		name string
		q    store.AccountQuery
		want []int64
	}{
		{"all", store.AccountQuery{}, []int64{leo.ID, leonie.ID, ann.ID, pct.ID, gone.ID}},
		{"pattern, any case", store.AccountQuery{Pattern: "LEO"}, []int64{leo.ID, leonie.ID}},
		{"an underscore is a letter", store.AccountQuery{Pattern: "_"}, []int64{ann.ID, pct.ID}},
		{"a percent sign is a letter", store.AccountQuery{Pattern: "%"}, nil},
		{"status", store.AccountQuery{Status: safeguard.Suspended}, []int64{leonie.ID}},
		{"assurance", store.AccountQuery{Assurance: safeguard.SelfDeclared}, []int64{leo.ID, ann.ID, pct.ID, gone.ID}},
		{"born by", store.AccountQuery{BornBy: adultBirth}, []int64{leo.ID, pct.ID}},
		{"born after", store.AccountQuery{BornAfter: teenBirth}, []int64{ann.ID}},
		{"page", store.AccountQuery{AfterID: leo.ID, Limit: 2}, []int64{leonie.ID, ann.ID}},
	} {
		if got := ids(c.q); !equalIDs(got, c.want) {
			t.Errorf("%s: FindAccounts = %v, want %v", c.name, got, c.want)
		}
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testPasswordReset(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	err := s.View(ctx, func(tx store.Tx) error { _, _, _, err := tx.PasswordReset(ctx, a.ID); return err })
	wantKind(t, "PasswordReset(none)", err, safeguard.ErrNotFound, "")
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreatePasswordReset(ctx, a.ID, 0, []byte("old"), t0, at(10)); err != nil {
			return err
		}
		return tx.CreatePasswordReset(ctx, a.ID, 7, []byte("new"), t0, at(20))
	})
	view(t, s, func(tx store.Tx) error {
		h, exp, by, err := tx.PasswordReset(ctx, a.ID)
		if err == nil && (!bytes.Equal(h, []byte("new")) || !exp.Equal(at(20)) || by != 7) {
			t.Errorf("PasswordReset = %q %v by %d", h, exp, by)
		}
		return err
	})
	update(t, s, func(tx store.Tx) error { return tx.DeletePasswordReset(ctx, a.ID) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeletePasswordReset(ctx, a.ID) })
	wantKind(t, "DeletePasswordReset twice", err, safeguard.ErrNotFound, "")
	update(t, s, func(tx store.Tx) error { return tx.SetPasswordHash(ctx, a.ID, "") })
	view(t, s, func(tx store.Tx) error {
		h, err := tx.PasswordHash(ctx, a.ID)
		if err == nil && h != "" {
			t.Errorf("PasswordHash after clearing = %q", h)
		}
		return err
	})
}

func testEraseAccountData(t *testing.T, s store.Store) {
	ctx := t.Context()
	gone := account(t, s, "gone", adultBirth)
	friend := account(t, s, "friend", adultBirth)
	child := account(t, s, "kid", childBirth)
	second := account(t, s, "second", adultBirth)
	now := t0
	var conv *safeguard.Conversation
	var delivered, held *safeguard.Message
	update(t, s, func(tx store.Tx) error {
		child.GuardianID, child.SecondGuardianID = gone.ID, second.ID
		if err := tx.UpdateAccount(ctx, child); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, &safeguard.Session{AccountID: gone.ID, TokenHash: []byte("g"), CreatedAt: now, ExpiresAt: at(60)}); err != nil {
			return err
		}
		if err := tx.RecordLogin(ctx, &safeguard.Login{AccountID: gone.ID, Origin: safeguard.Origin{At: now}, OK: true}); err != nil {
			return err
		}
		if err := tx.CreateContact(ctx, &safeguard.Contact{FromID: gone.ID, ToID: friend.ID, State: safeguard.ContactAccepted, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := tx.CreatePasswordReset(ctx, gone.ID, 0, []byte("r"), now, at(5)); err != nil {
			return err
		}
		conv = &safeguard.Conversation{Kind: safeguard.Group, Title: "t", CreatedBy: friend.ID, CreatedAt: now,
			Members: []safeguard.Member{{AccountID: gone.ID, State: safeguard.MemberJoined, UpdatedAt: now}, {AccountID: friend.ID, State: safeguard.MemberJoined, UpdatedAt: now}}}
		if err := tx.CreateConversation(ctx, conv); err != nil {
			return err
		}
		delivered = &safeguard.Message{ConversationID: conv.ID, SenderID: gone.ID, Kind: safeguard.TextMessage, Text: "hi", Status: safeguard.Delivered, CreatedAt: now}
		held = &safeguard.Message{ConversationID: conv.ID, SenderID: gone.ID, Kind: safeguard.TextMessage, Text: "held", Status: safeguard.Held, CreatedAt: now}
		for _, m := range []*safeguard.Message{delivered, held} {
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.EraseAccountData(ctx, gone.ID, store.Keep{}, safeguard.Adult) })
	view(t, s, func(tx store.Tx) error {
		c, err := tx.AccountCounts(ctx, gone.ID)
		if err != nil {
			return err
		}
		if c.Contacts != 0 || c.Sessions != 0 || c.Conversations != 0 || c.MessagesSent != 1 {
			t.Errorf("counts after erasing = %+v, want only the delivered message", c)
		}
		if _, err := tx.Message(ctx, delivered.ID); err != nil {
			t.Errorf("the delivered message: %v", err)
		}
		_, err = tx.Message(ctx, held.ID)
		wantKind(t, "the held message", err, safeguard.ErrNotFound, "")
		if ls, err := tx.Logins(ctx, gone.ID, time.Time{}); err != nil || len(ls) != 0 {
			t.Errorf("logins after erasing = %v %v", ls, err)
		}
		_, _, _, err = tx.PasswordReset(ctx, gone.ID)
		wantKind(t, "the reset code", err, safeguard.ErrNotFound, "")
		if k, err := tx.Account(ctx, child.ID); err != nil || k.GuardianID != second.ID || k.SecondGuardianID != 0 {
			t.Errorf("the child's guardian links = %+v %v, want the second guardian first", k, err)
		}
		if fc, err := tx.AccountCounts(ctx, friend.ID); err != nil || fc.Conversations != 1 || fc.Contacts != 0 {
			t.Errorf("the friend's counts = %+v %v", fc, err)
		}
		return nil
	})
}

// testBandChanged: the accounts whose acted band is not the band their date
// of birth gives at the dates asked about, none deleted, by ID and paged.
func testBandChanged(t *testing.T, s store.Store) {
	ctx := t.Context()
	teenBy, adultBy := safeguard.Date{Year: 2013, Month: time.June, Day: 1}, safeguard.Date{Year: 2008, Month: time.June, Day: 1}
	set := func(a *safeguard.Account, band safeguard.AgeBand, status safeguard.AccountStatus) {
		update(t, s, func(tx store.Tx) error {
			a.ActedBand, a.Status = band, status
			return tx.UpdateAccount(ctx, a)
		})
	}
	unseen := account(t, s, "unseen.10", safeguard.Date{Year: 1990, Month: time.May, Day: 5})
	adult := account(t, s, "adult.11", safeguard.Date{Year: 1990, Month: time.May, Day: 5})
	set(adult, safeguard.Adult, safeguard.Active)
	turned18 := account(t, s, "turned.12", adultBy) // 18 on that very day
	set(turned18, safeguard.Teen, safeguard.Active)
	still17 := account(t, s, "still.13", safeguard.Date{Year: 2008, Month: time.June, Day: 2})
	set(still17, safeguard.Teen, safeguard.Active)
	turned13 := account(t, s, "thirteen.14", teenBy)
	set(turned13, safeguard.Child, safeguard.PendingGuardian)
	child := account(t, s, "child.15", safeguard.Date{Year: 2015, Month: time.January, Day: 1})
	set(child, safeguard.Child, safeguard.Active)
	corrected := account(t, s, "fixed.16", safeguard.Date{Year: 2012, Month: time.January, Day: 1})
	set(corrected, safeguard.Adult, safeguard.Active)
	gone := account(t, s, "gone.17", adultBy)
	set(gone, safeguard.Teen, safeguard.Deleted)
	if got, err := loaded(t, s, teenBy, adultBy, 0, 100); err != nil || !equalIDs(got, []int64{unseen.ID, turned18.ID, turned13.ID, corrected.ID}) {
		t.Errorf("BandChanged = %v %v, want %v", got, err, []int64{unseen.ID, turned18.ID, turned13.ID, corrected.ID})
	}
	if got, err := loaded(t, s, teenBy, adultBy, unseen.ID, 2); err != nil || !equalIDs(got, []int64{turned18.ID, turned13.ID}) {
		t.Errorf("BandChanged page = %v %v", got, err)
	}
}

func loaded(t *testing.T, s store.Store, teenBy, adultBy safeguard.Date, after int64, limit int) ([]int64, error) {
	var out []int64
	err := s.View(t.Context(), func(tx store.Tx) error {
		as, err := tx.BandChanged(t.Context(), teenBy, adultBy, after, limit)
		for _, a := range as {
			out = append(out, a.ID)
		}
		return err
	})
	return out, err
}
