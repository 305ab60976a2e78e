package storetest

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var handleTests = []test{
	{"HandleSkeletonConflict", testHandleSkeletonConflict},
	{"LookalikeNickname", testLookalikeNickname},
	{"NicknameHolders", testNicknameHolders},
}

// testHandleSkeletonConflict: no two handles share a skeleton, whatever
// their spelling, and the conflict leaves the transaction usable, as
// sign-up needs to try another discriminator.
func testHandleSkeletonConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	account(t, s, "leo.37", teenBirth)
	for _, handle := range []string{"Ieo.37", "1eo.37", "le0.37", "LEO.37", "ieo.37"} {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.CreateAccount(ctx, &safeguard.Account{Handle: handle, CreatedAt: t0}, "")
		})
		wantKind(t, "CreateAccount("+handle+")", err, safeguard.ErrConflict, "handle_taken")
	}
	var other safeguard.Account
	update(t, s, func(tx store.Tx) error {
		err := tx.CreateAccount(ctx, &safeguard.Account{Handle: "Ieo.37", CreatedAt: t0}, "")
		wantKind(t, "CreateAccount(Ieo.37)", err, safeguard.ErrConflict, "handle_taken")
		other = safeguard.Account{Handle: "Ieo.38", CreatedAt: t0}
		return tx.CreateAccount(ctx, &other, "")
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.AccountByHandle(ctx, "ieo.38")
		if err == nil && got.ID != other.ID {
			t.Errorf("AccountByHandle(ieo.38) = account %d, want %d", got.ID, other.ID)
		}
		// A lookalike of a handle is not the handle.
		_, err2 := tx.AccountByHandle(ctx, "Ieo.37")
		wantKind(t, "AccountByHandle(Ieo.37)", err2, safeguard.ErrNotFound, "")
		return err
	})
}

// testLookalikeNickname: a nickname spelled otherwise with the same
// skeleton is found, the same nickname in any case is not, and bornBy
// leaves out those born after it.
func testLookalikeNickname(t *testing.T, s store.Store) {
	ctx := t.Context()
	account(t, s, "leo.37", teenBirth)   // a young person
	account(t, s, "Leo.52", teenBirth)   // the same nickname, another case
	account(t, s, "rnia.10", adultBirth) // an adult
	account(t, s, "kit", adultBirth)     // made before discriminators: all nickname
	tests := []struct {
		nickname string
		bornBy   safeguard.Date
		want     bool
	}{
		{"leo", safeguard.Date{}, false},
		{"LEO", safeguard.Date{}, false},
		{"Ieo", safeguard.Date{}, true},
		{"1eo", safeguard.Date{}, true},
		{"le0", safeguard.Date{}, true},
		{"Ieo", adultBirth, false}, // only the teen looks like it
		{"Ieo", teenBirth, true},
		{"mia", adultBirth, true},
		{"rnia", adultBirth, false},
		{"k1t", adultBirth, true},
		{"kit", adultBirth, false},
		{"leon", safeguard.Date{}, false},
		{"nobody", safeguard.Date{}, false},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.LookalikeNickname(ctx, tt.nickname, tt.bornBy)
			if err != nil {
				return err
			}
			if got != tt.want {
				t.Errorf("LookalikeNickname(%q, born by %v) = %v, want %v", tt.nickname, tt.bornBy, got, tt.want)
			}
		}
		return nil
	})
}

// testNicknameHolders: every account whose nickname has the skeleton of
// the one asked counts, in any letter case and spelling, whatever its
// discriminator; others do not; bornBy leaves out those born after it.
func testNicknameHolders(t *testing.T, s store.Store) {
	ctx := t.Context()
	account(t, s, "leo.37", teenBirth)
	account(t, s, "Leo.52", adultBirth)
	account(t, s, "Ieo.118", adultBirth) // a lookalike, as earlier accounts may be
	account(t, s, "leo", adultBirth)     // made before discriminators: all nickname
	account(t, s, "leon.37", adultBirth)
	account(t, s, "rnia.10", teenBirth)
	tests := []struct {
		nickname string
		bornBy   safeguard.Date
		want     int
	}{
		{"leo", safeguard.Date{}, 4},
		{"LEO", safeguard.Date{}, 4},
		{"1eo", safeguard.Date{}, 4},
		{"leo", adultBirth, 3},
		{"leo", teenBirth, 4},
		{"leon", safeguard.Date{}, 1},
		{"mia", safeguard.Date{}, 1},
		{"mia", adultBirth, 0},
		{"nobody", safeguard.Date{}, 0},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.NicknameHolders(ctx, tt.nickname, tt.bornBy)
			if err != nil {
				return err
			}
			if got != tt.want {
				t.Errorf("NicknameHolders(%q, born by %v) = %d, want %d", tt.nickname, tt.bornBy, got, tt.want)
			}
		}
		return nil
	})
}

// LegacyHandles checks migration 0009 on accounts made before it, when
// handles were chosen whole. raw is the database with migrations up to 0008
// applied; upgrade opens it as a store, which applies the rest. The columns
// the migration computes in SQL must be what the store computes in Go for a
// new account, and earlier handles that already look alike must keep their
// accounts.
func LegacyHandles(t *testing.T, raw *sql.DB, upgrade func() store.Store) {
	t.Helper()
	ctx := t.Context()
	legacy := []string{"leo", "Ieo", "le0", "ab.10", "kit.37", "Mia", "x.y.2026", "Zed_", "o-1.", "Leo9"}
	for i, h := range legacy {
		_, err := raw.ExecContext(ctx, `INSERT INTO accounts (handle, handle_key, birth_date, created_at) VALUES ('`+
			h+`', '`+strings.ToLower(h)+`', '`+adultBirth.String()+`', `+strconv.Itoa(i)+`)`)
		if err != nil {
			t.Fatalf("insert %q: %v", h, err)
		}
	}
	s := upgrade()
	rows, err := raw.QueryContext(ctx, `SELECT id, handle, nickname_key, nickname_skeleton, skeleton FROM accounts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var (
			id                              int64
			handle, key, nickSkel, skeleton string
		)
		if err := rows.Scan(&id, &handle, &key, &nickSkel, &skeleton); err != nil {
			t.Fatal(err)
		}
		nick := safeguard.Nickname(handle)
		want := safeguard.HandleSkeleton(handle)
		if seen[want] {
			want += "#" + strconv.FormatInt(id, 10)
		}
		seen[safeguard.HandleSkeleton(handle)] = true
		if key != strings.ToLower(nick) || nickSkel != safeguard.HandleSkeleton(nick) || skeleton != want {
			t.Errorf("%q upgraded to (%q, %q, %q), want (%q, %q, %q)", handle, key, nickSkel, skeleton,
				strings.ToLower(nick), safeguard.HandleSkeleton(nick), want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The upgraded accounts take part like new ones.
	for _, tt := range []struct {
		handle string
		taken  bool
	}{
		{"LEO", true}, {"rnia", true}, {"k1t.37", true}, {"ab.lo", true}, {"leo9", true},
		{"leo.37", false}, {"kit.38", false}, {"mia.10", false},
	} {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.CreateAccount(ctx, &safeguard.Account{Handle: tt.handle, BirthDate: adultBirth, CreatedAt: t0}, "")
		})
		if tt.taken {
			wantKind(t, "CreateAccount("+tt.handle+")", err, safeguard.ErrConflict, "handle_taken")
		} else if err != nil {
			t.Errorf("CreateAccount(%s): %v", tt.handle, err)
		}
	}
	view(t, s, func(tx store.Tx) error {
		for nick, want := range map[string]bool{"1eo": true, "rnia": true, "kit": false, "k1t": true, "zed_": false} {
			got, err := tx.LookalikeNickname(ctx, nick, safeguard.Date{})
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("after the upgrade, LookalikeNickname(%q) = %v, want %v", nick, got, want)
			}
		}
		return nil
	})
}
