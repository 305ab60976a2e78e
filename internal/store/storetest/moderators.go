package storetest

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var moderatorTests = []test{
	{"ModeratorRoundTrip", testModeratorRoundTrip},
	{"ModeratorNameTaken", testModeratorNameTaken},
	{"ModeratorUpdate", testModeratorUpdate},
	{"ModeratorMissing", testModeratorMissing},
	{"ModeratorSessions", testModeratorSessions},
	{"ModeratorSessionsPrune", testModeratorSessionsPrune},
}

// moderator stores a moderator and returns it.
func moderator(t *testing.T, s store.Store, name string, role safeguard.ModeratorRole) *safeguard.Moderator {
	t.Helper()
	m := &safeguard.Moderator{Name: name, Role: role, CreatedAt: t0, CreatedBy: "operator"}
	update(t, s, func(tx store.Tx) error { return tx.CreateModerator(t.Context(), m, "hash:"+name) })
	return m
}

func testModeratorRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	ms := []*safeguard.Moderator{
		{Name: "Zoe", Role: safeguard.RoleAdmin, CreatedAt: at(0).In(local), CreatedBy: "operator"},
		{Name: "amir", Role: safeguard.RoleModerator, CreatedAt: at(1), CreatedBy: "Zoe"},
		{Name: "bea", Role: safeguard.RoleSenior, Disabled: true, CreatedAt: at(2), DisabledAt: at(3)},
	}
	update(t, s, func(tx store.Tx) error {
		for _, m := range ms {
			if err := tx.CreateModerator(ctx, m, "$argon2id$"+m.Name); err != nil {
				return err
			}
			if m.ID <= 0 {
				t.Errorf("moderator %s got ID %d", m.Name, m.ID)
			}
		}
		return nil
	})
	ms[0].CreatedAt = ms[0].CreatedAt.UTC()
	view(t, s, func(tx store.Tx) error {
		for _, want := range ms {
			got, err := tx.Moderator(ctx, want.ID)
			if err != nil {
				return err
			}
			if d := diff(want, got); d != "" {
				t.Errorf("Moderator(%d) (-want +got):\n%s", want.ID, d)
			}
			byName, err := tx.ModeratorByName(ctx, want.Name)
			if err != nil {
				return err
			}
			if d := diff(want, byName); d != "" {
				t.Errorf("ModeratorByName(%q) (-want +got):\n%s", want.Name, d)
			}
			h, err := tx.ModeratorPasswordHash(ctx, want.ID)
			if err != nil {
				return err
			}
			if h != "$argon2id$"+want.Name {
				t.Errorf("ModeratorPasswordHash(%d) = %q", want.ID, h)
			}
		}
		got, err := tx.ModeratorByName(ctx, "ZOE")
		if err != nil || got.ID != ms[0].ID {
			t.Errorf("ModeratorByName is case-sensitive: %v, %v", got, err)
		}
		all, err := tx.Moderators(ctx)
		if err != nil {
			return err
		}
		// By name, case-insensitively.
		if d := diff([]*safeguard.Moderator{ms[1], ms[2], ms[0]}, all); d != "" {
			t.Errorf("Moderators (-want +got):\n%s", d)
		}
		return nil
	})
}

func testModeratorNameTaken(t *testing.T, s store.Store) {
	moderator(t, s, "Alice", safeguard.RoleModerator)
	err := s.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateModerator(t.Context(), &safeguard.Moderator{Name: "alice", Role: safeguard.RoleAdmin, CreatedAt: t0}, "h")
	})
	wantKind(t, "CreateModerator of a taken name", err, safeguard.ErrConflict, "name_taken")
	// The transaction stays usable after the refusal.
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateModerator(t.Context(), &safeguard.Moderator{Name: "alice", Role: safeguard.RoleAdmin, CreatedAt: t0}, "h"); err == nil {
			t.Error("CreateModerator of a taken name succeeded")
		}
		return tx.CreateModerator(t.Context(), &safeguard.Moderator{Name: "alice2", Role: safeguard.RoleAdmin, CreatedAt: t0}, "h")
	})
}

func testModeratorUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := moderator(t, s, "carl", safeguard.RoleModerator)
	m.Role, m.Disabled, m.DisabledAt = safeguard.RoleSenior, true, at(5)
	m.Name, m.CreatedBy = "not written", "not written"
	update(t, s, func(tx store.Tx) error {
		if err := tx.UpdateModerator(ctx, m); err != nil {
			return err
		}
		return tx.SetModeratorPassword(ctx, m.ID, "new hash")
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Moderator(ctx, m.ID)
		if err != nil {
			return err
		}
		want := &safeguard.Moderator{ID: m.ID, Name: "carl", Role: safeguard.RoleSenior, Disabled: true, CreatedAt: t0,
			CreatedBy: "operator", DisabledAt: at(5)}
		if d := diff(want, got); d != "" {
			t.Errorf("after UpdateModerator (-want +got):\n%s", d)
		}
		if h, err := tx.ModeratorPasswordHash(ctx, m.ID); err != nil || h != "new hash" {
			t.Errorf("after SetModeratorPassword: %q, %v", h, err)
		}
		return nil
	})
}

func testModeratorMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.Update(ctx, func(tx store.Tx) error {
		_, err1 := tx.Moderator(ctx, 99)
		_, err2 := tx.ModeratorByName(ctx, "nobody")
		_, err3 := tx.ModeratorPasswordHash(ctx, 99)
		err4 := tx.UpdateModerator(ctx, &safeguard.Moderator{ID: 99, Role: safeguard.RoleAdmin})
		err5 := tx.SetModeratorPassword(ctx, 99, "x")
		_, err6 := tx.ModeratorSession(ctx, []byte("nope"))
		err7 := tx.TouchModeratorSession(ctx, []byte("nope"), at(1))
		err8 := tx.DeleteModeratorSession(ctx, []byte("nope"))
		for i, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8} {
			wantKind(t, "missing row "+string(rune('1'+i)), err, safeguard.ErrNotFound, "")
		}
		all, err := tx.Moderators(ctx)
		if err != nil || len(all) != 0 {
			t.Errorf("Moderators of an empty store: %v, %v", all, err)
		}
		// Ending the sessions of a moderator with none is not an error.
		return tx.DeleteModeratorSessions(ctx, 99)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testModeratorSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := moderator(t, s, "ann", safeguard.RoleModerator)
	b := moderator(t, s, "ben", safeguard.RoleAdmin)
	addr := netip.MustParseAddrPort("203.0.113.9:40123")
	sa := &safeguard.ModeratorSession{TokenHash: []byte("hash-a1"), ModeratorID: a.ID, CSRFToken: "csrf-a1",
		CreatedAt: at(0), LastSeen: at(0), ExpiresAt: at(720), Origin: safeguard.Origin{Addr: addr, At: at(0)}}
	sa2 := &safeguard.ModeratorSession{TokenHash: []byte("hash-a2"), ModeratorID: a.ID, CSRFToken: "csrf-a2",
		CreatedAt: at(1), LastSeen: at(1), ExpiresAt: at(721)}
	sb := &safeguard.ModeratorSession{TokenHash: []byte("hash-b"), ModeratorID: b.ID, CSRFToken: "csrf-b",
		CreatedAt: at(2), LastSeen: at(2), ExpiresAt: at(722)}
	update(t, s, func(tx store.Tx) error {
		for _, ss := range []*safeguard.ModeratorSession{sa, sa2, sb} {
			if err := tx.CreateModeratorSession(ctx, ss); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateModeratorSession(ctx, &safeguard.ModeratorSession{TokenHash: []byte("hash-a1"), ModeratorID: b.ID, CreatedAt: at(3)})
	})
	wantKind(t, "a token hash stored twice", err, safeguard.ErrConflict, "")

	view(t, s, func(tx store.Tx) error {
		got, err := tx.ModeratorSession(ctx, []byte("hash-a1"))
		if err != nil {
			return err
		}
		if d := diff(sa, got); d != "" {
			t.Errorf("ModeratorSession (-want +got):\n%s", d)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		if err := tx.TouchModeratorSession(ctx, []byte("hash-a1"), at(10)); err != nil {
			return err
		}
		// Never back.
		return tx.TouchModeratorSession(ctx, []byte("hash-a1"), at(5))
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.ModeratorSession(ctx, []byte("hash-a1"))
		if err != nil {
			return err
		}
		if !got.LastSeen.Equal(at(10)) {
			t.Errorf("LastSeen = %v after touching at(10) then at(5), want %v", got.LastSeen, at(10))
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteModeratorSession(ctx, []byte("hash-a2")) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteModeratorSessions(ctx, a.ID) })
	view(t, s, func(tx store.Tx) error {
		for _, h := range []string{"hash-a1", "hash-a2"} {
			if _, err := tx.ModeratorSession(ctx, []byte(h)); !errors.Is(err, safeguard.ErrNotFound) {
				t.Errorf("session %s after deletion: %v", h, err)
			}
		}
		if _, err := tx.ModeratorSession(ctx, []byte("hash-b")); err != nil {
			t.Errorf("another moderator's session went too: %v", err)
		}
		return nil
	})
}

func testModeratorSessionsPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := moderator(t, s, "dee", safeguard.RoleModerator)
	mk := func(h string, seen, expires time.Time) *safeguard.ModeratorSession {
		return &safeguard.ModeratorSession{TokenHash: []byte(h), ModeratorID: m.ID, CSRFToken: "c", CreatedAt: at(0), LastSeen: seen, ExpiresAt: expires}
	}
	update(t, s, func(tx store.Tx) error {
		for _, ss := range []*safeguard.ModeratorSession{
			mk("live", at(50), at(100)),
			mk("idle", at(10), at(100)),
			mk("expired", at(50), at(40)),
		} {
			if err := tx.CreateModeratorSession(ctx, ss); err != nil {
				return err
			}
		}
		return nil
	})
	var n int
	update(t, s, func(tx store.Tx) (err error) {
		n, err = tx.PruneModeratorSessions(ctx, at(45), at(20))
		return
	})
	if n != 2 {
		t.Errorf("PruneModeratorSessions removed %d, want 2", n)
	}
	view(t, s, func(tx store.Tx) error {
		for h, want := range map[string]bool{"live": true, "idle": false, "expired": false} {
			_, err := tx.ModeratorSession(ctx, []byte(h))
			if (err == nil) != want {
				t.Errorf("session %s kept = %v, want %v (%v)", h, err == nil, want, err)
			}
		}
		return nil
	})
}
