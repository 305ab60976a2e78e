package moderators_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

var fast = moderators.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}

func newService(t *testing.T, cfg moderators.Config) (*moderators.Service, store.Store, *clock) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "m.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	cfg.Argon2 = fast
	s, err := moderators.New(cfg, moderators.Deps{Store: st, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, c
}

var addr = netip.MustParseAddrPort("198.51.100.7:51000")

const pw = "a long enough password"

func code(err error) string {
	if err == nil {
		return ""
	}
	return safeguard.ErrorCode(err)
}

func TestAdd(t *testing.T) {
	s, st, _ := newService(t, moderators.Config{})
	ctx := t.Context()
	tests := []struct {
		name, who string
		role      safeguard.ModeratorRole
		password  string
		wantCode  string
		generated bool
	}{
		{"with a password", "alice", safeguard.RoleModerator, pw, "", false},
		{"generated password", "bob.smith", safeguard.RoleAdmin, "", "", true},
		{"senior", "Chidi_O", safeguard.RoleSenior, pw, "", false},
		{"name taken, other case", "ALICE", safeguard.RoleModerator, pw, "name_taken", false},
		{"empty name", "", safeguard.RoleModerator, pw, "invalid_name", false},
		{"space in name", "al ice", safeguard.RoleModerator, pw, "invalid_name", false},
		{"reserved name", "system", safeguard.RoleModerator, pw, "invalid_name", false},
		{"name too long", strings.Repeat("a", 65), safeguard.RoleModerator, pw, "invalid_name", false},
		{"unknown role", "dee", "boss", pw, "invalid_role", false},
		{"short password", "eve", safeguard.RoleModerator, "short", "invalid_password", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Add(ctx, moderators.Operator, tt.who, tt.role, tt.password)
			if code(err) != tt.wantCode {
				t.Fatalf("Add: %v, want code %q", err, tt.wantCode)
			}
			if err != nil {
				return
			}
			if (got.Generated != "") != tt.generated {
				t.Errorf("Generated = %q, want generated %v", got.Generated, tt.generated)
			}
			if got.Moderator.ID == 0 || got.Moderator.Role != tt.role || got.Moderator.CreatedBy != "operator" {
				t.Errorf("Add returned %+v", got.Moderator)
			}
			password := tt.password
			if tt.generated {
				password = got.Generated
			}
			if _, _, err := s.Login(ctx, tt.who, password, addr); err != nil {
				t.Errorf("log in with the password: %v", err)
			}
		})
	}
	// Additions and logins are audited, never with the password.
	var entries []safeguard.AuditEntry
	st.View(ctx, func(tx store.Tx) (err error) { entries, err = tx.AuditEntries(ctx, 0, 100); return })
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
		if strings.Contains(e.Detail, pw) {
			t.Errorf("audit entry %s holds the password", e.Action)
		}
	}
	if actions["moderator.add"] != 3 || actions["console.login"] != 3 {
		t.Errorf("audit actions = %v, want 3 additions and 3 logins", actions)
	}
}

func TestLogin(t *testing.T) {
	s, _, _ := newService(t, moderators.Config{})
	ctx := t.Context()
	if _, err := s.Add(ctx, moderators.Operator, "alice", safeguard.RoleSenior, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, moderators.Operator, "gone", safeguard.RoleModerator, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Disable(ctx, moderators.Operator, "gone"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, who, password, want string
	}{
		{"right password", "alice", pw, ""},
		{"name in another case", "Alice", pw, ""},
		{"wrong password", "alice", pw + "x", "invalid_credentials"},
		{"unknown name", "nobody", pw, "invalid_credentials"},
		{"empty password", "alice", "", "missing_credentials"},
		{"disabled: as a wrong password", "gone", pw, "invalid_credentials"},
		{"disabled, wrong password", "gone", "nope nope nope", "invalid_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, sess, err := s.Login(ctx, tt.who, tt.password, addr)
			if code(err) != tt.want {
				t.Fatalf("Login: %v, want code %q", err, tt.want)
			}
			if err != nil {
				return
			}
			if token == "" || sess.Moderator.Name != "alice" || sess.CSRFToken == "" || sess.CSRFToken == token {
				t.Fatalf("Login returned %q, %+v", token, sess)
			}
			got, err := s.Authenticate(ctx, token)
			if err != nil || got.Moderator.ID != sess.Moderator.ID || got.CSRFToken != sess.CSRFToken {
				t.Errorf("Authenticate: %+v, %v", got, err)
			}
		})
	}
}

// TestLoginRehashes: a password hashed at another cost than the service's
// (a command's, or the servers' before a change) is hashed again at the
// service's by a right login, never by a wrong one or a disabled
// moderator's; it still logs in after.
func TestLoginRehashes(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other := moderators.Argon2{Time: 2, MemoryKiB: 128, Threads: 1}
	before, err := moderators.New(moderators.Config{Argon2: other}, moderators.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "gone"} {
		if _, err := before.Add(ctx, moderators.Operator, name, safeguard.RoleModerator, pw); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := before.Disable(ctx, moderators.Operator, "gone"); err != nil {
		t.Fatal(err)
	}
	s, err := moderators.New(moderators.Config{Argon2: fast}, moderators.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	stored := func(name string) string {
		t.Helper()
		var h string
		err := st.View(ctx, func(tx store.Tx) error {
			m, err := tx.ModeratorByName(ctx, name)
			if err != nil {
				return err
			}
			h, err = tx.ModeratorPasswordHash(ctx, m.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	const old, now = "m=128,t=2,p=1", "m=64,t=1,p=1"
	if _, _, err := s.Login(ctx, "alice", pw+"x", addr); code(err) != "invalid_credentials" || !strings.Contains(stored("alice"), old) {
		t.Fatalf("a wrong password: %v, stored %s", err, stored("alice"))
	}
	if _, _, err := s.Login(ctx, "gone", pw, addr); code(err) != "invalid_credentials" || !strings.Contains(stored("gone"), old) {
		t.Fatalf("a disabled moderator: %v, stored %s", err, stored("gone"))
	}
	if _, _, err := s.Login(ctx, "alice", pw, addr); err != nil || !strings.Contains(stored("alice"), now) {
		t.Fatalf("the right password: %v, stored %s", err, stored("alice"))
	}
	if _, _, err := s.Login(ctx, "alice", pw, addr); err != nil {
		t.Fatalf("the right password, hashed again: %v", err)
	}
}

func TestLoginRateLimits(t *testing.T) {
	s, _, c := newService(t, moderators.Config{
		LoginPerNameAddress: ratelimit.Limit{Burst: 3, Per: time.Minute},
		LoginPerName:        ratelimit.Limit{Burst: 4, Per: time.Minute},
		LoginPerAddress:     ratelimit.Limit{Burst: 5, Per: time.Minute},
	})
	ctx := t.Context()
	s.Add(ctx, moderators.Operator, "alice", safeguard.RoleModerator, pw)
	for i := range 3 {
		if _, _, err := s.Login(ctx, "alice", "wrong password!", addr); code(err) != "invalid_credentials" {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	// The name is locked from that address, even with the right password…
	if _, _, err := s.Login(ctx, "alice", pw, addr); !errors.Is(err, safeguard.ErrRateLimited) {
		t.Fatalf("4th attempt on the name from one address: %v, want rate limited", err)
	}
	// …but not from another: a guesser does not lock the moderator out.
	other := netip.MustParseAddrPort("203.0.113.1:1000")
	if _, _, err := s.Login(ctx, "alice", pw, other); err != nil {
		t.Fatalf("from another address: %v", err)
	}
	// The name's own limit counts addresses it has not logged in from:
	// other is now known, a third address is not.
	third := netip.MustParseAddrPort("198.51.100.9:1000")
	if _, _, err := s.Login(ctx, "alice", pw, third); !errors.Is(err, safeguard.ErrRateLimited) {
		t.Fatalf("5th attempt on the name from a new address: %v, want rate limited", err)
	}
	if _, _, err := s.Login(ctx, "alice", pw, other); err != nil {
		t.Fatalf("again from the known address: %v", err)
	}
	c.advance(time.Minute)
	if _, _, err := s.Login(ctx, "alice", pw, addr); err != nil {
		t.Fatalf("after a minute: %v", err)
	}
	// Per address: addr has spent 4 attempts on alice (the refused fourth
	// spent nothing) and earned one back in the minute: two more are
	// allowed, whatever the name, then none.
	s.Add(ctx, moderators.Operator, "bob", safeguard.RoleModerator, pw)
	for _, name := range []string{"bob", "carol"} {
		if _, _, err := s.Login(ctx, name, "wrong password!", addr); code(err) != "invalid_credentials" {
			t.Fatalf("attempt on %s from the address: %v", name, err)
		}
	}
	if _, _, err := s.Login(ctx, "nobody-at-all", pw, addr); !errors.Is(err, safeguard.ErrRateLimited) {
		t.Fatalf("attempt over the address's limit: %v, want rate limited", err)
	}
}

func TestSessionLimits(t *testing.T) {
	cfg := moderators.Config{IdleTimeout: 30 * time.Minute, MaxSession: 2 * time.Hour}
	tests := []struct {
		name  string
		steps []time.Duration // time between uses
		want  string          // code of the last Authenticate
	}{
		{"fresh", []time.Duration{0}, ""},
		{"used within the idle limit", []time.Duration{29 * time.Minute, 29 * time.Minute, 29 * time.Minute}, ""},
		{"idle too long", []time.Duration{31 * time.Minute}, "session_ended"},
		{"idle exactly the limit", []time.Duration{30 * time.Minute}, "session_ended"},
		{"past the absolute limit though used", []time.Duration{25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute}, "session_ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, c := newService(t, cfg)
			ctx := t.Context()
			s.Add(ctx, moderators.Operator, "alice", safeguard.RoleModerator, pw)
			token, _, err := s.Login(ctx, "alice", pw, addr)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range tt.steps {
				c.advance(d)
				_, err = s.Authenticate(ctx, token)
				if i < len(tt.steps)-1 && err != nil {
					t.Fatalf("use %d: %v", i+1, err)
				}
			}
			if code(err) != tt.want {
				t.Fatalf("last use: %v, want code %q", err, tt.want)
			}
			if tt.want != "" {
				// An ended session stays ended.
				c.t = c.t.Add(-time.Hour)
				if _, err := s.Authenticate(ctx, token); code(err) != "session_ended" {
					t.Errorf("ended session used again: %v", err)
				}
			}
		})
	}
}

func TestSessionEnds(t *testing.T) {
	s, _, _ := newService(t, moderators.Config{})
	ctx := t.Context()
	s.Add(ctx, moderators.Operator, "alice", safeguard.RoleModerator, pw)
	s.Add(ctx, moderators.Operator, "root", safeguard.RoleAdmin, pw)
	login := func() string {
		t.Helper()
		token, _, err := s.Login(ctx, "alice", pw, addr)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	ended := func(what, token string) {
		t.Helper()
		if _, err := s.Authenticate(ctx, token); code(err) != "session_ended" {
			t.Errorf("%s: Authenticate = %v, want session_ended", what, err)
		}
	}

	tok := login()
	if err := s.Logout(ctx, tok); err != nil {
		t.Fatal(err)
	}
	ended("after logout", tok)
	if err := s.Logout(ctx, tok); err != nil {
		t.Errorf("second logout: %v", err)
	}
	ended("a token never issued", "made-up")
	ended("no token", "")

	// A role change applies at the next request.
	tok = login()
	if _, err := s.SetRole(ctx, "root", "alice", safeguard.RoleSenior); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Authenticate(ctx, tok); err != nil || got.Moderator.Role != safeguard.RoleSenior {
		t.Errorf("after SetRole: %+v, %v", got, err)
	}
	// A new password ends the sessions.
	if _, err := s.SetPassword(ctx, moderators.Operator, "alice", "another long password"); err != nil {
		t.Fatal(err)
	}
	ended("after a new password", tok)
	if _, _, err := s.Login(ctx, "alice", pw, addr); code(err) != "invalid_credentials" {
		t.Errorf("old password after change: %v", err)
	}
	// Disabling ends the sessions; enabling does not bring them back.
	tok, _, err := s.Login(ctx, "alice", "another long password", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Disable(ctx, "root", "alice"); err != nil {
		t.Fatal(err)
	}
	ended("after disable", tok)
	m, err := s.Enable(ctx, "root", "alice")
	if err != nil || m.Disabled || !m.DisabledAt.IsZero() {
		t.Fatalf("Enable: %+v, %v", m, err)
	}
	ended("after enable", tok)

	// An admin cannot lock themselves out.
	if _, err := s.Disable(ctx, "root", "ROOT"); code(err) != "cannot_disable_self" {
		t.Errorf("disable self: %v", err)
	}
	if _, err := s.SetRole(ctx, "root", "root", safeguard.RoleModerator); code(err) != "cannot_change_own_role" {
		t.Errorf("lower own role: %v", err)
	}
	if _, err := s.Disable(ctx, "root", "nobody"); code(err) != "no_such_moderator" {
		t.Errorf("disable an unknown name: %v", err)
	}
}

func TestPrune(t *testing.T) {
	s, _, c := newService(t, moderators.Config{IdleTimeout: 10 * time.Minute})
	ctx := t.Context()
	s.Add(ctx, moderators.Operator, "alice", safeguard.RoleModerator, pw)
	old, _, _ := s.Login(ctx, "alice", pw, addr)
	c.advance(8 * time.Minute)
	fresh, _, _ := s.Login(ctx, "alice", pw, addr)
	c.advance(5 * time.Minute)
	n, err := s.Prune(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	if _, err := s.Authenticate(ctx, fresh); err != nil {
		t.Errorf("the fresh session went: %v", err)
	}
	if _, err := s.Authenticate(ctx, old); err == nil {
		t.Error("the idle session survived")
	}
}

func TestGeneratePassword(t *testing.T) {
	re := regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{4}(-[a-km-zA-HJ-NP-Z2-9]{4}){4}$`)
	seen := map[string]bool{}
	for range 200 {
		p := moderators.GeneratePassword()
		if !re.MatchString(p) {
			t.Fatalf("GeneratePassword() = %q", p)
		}
		if seen[p] {
			t.Fatalf("GeneratePassword repeated %q", p)
		}
		seen[p] = true
	}
}

func TestCan(t *testing.T) {
	type row struct{ moderator, senior, admin bool }
	want := map[moderators.Permission]row{
		moderators.ViewCases:        {true, true, true},
		moderators.ReviewCases:      {true, true, true},
		moderators.RevealEvidence:   {true, true, true},
		moderators.ExportReports:    {true, true, true},
		moderators.MinorSenderCases: {false, true, true},
		moderators.DecideAppeals:    {false, true, true},
		moderators.CloseReported:    {false, true, true},
		moderators.LegalHold:        {false, false, true},
		moderators.ManageModerators: {false, false, true},
	}
	if len(want) != len(moderators.Matrix) {
		t.Errorf("Matrix has %d permissions, the test %d", len(moderators.Matrix), len(want))
	}
	for p, w := range want {
		got := row{moderators.Can(safeguard.RoleModerator, p), moderators.Can(safeguard.RoleSenior, p), moderators.Can(safeguard.RoleAdmin, p)}
		if got != w {
			t.Errorf("Can(·, %s) = %+v, want %+v", p, got, w)
		}
		if moderators.Can("", p) || moderators.Can("root", p) {
			t.Errorf("an unknown role may %s", p)
		}
	}
	if moderators.Can(safeguard.RoleAdmin, "launch_missiles") {
		t.Error("an unknown permission is allowed")
	}
}

// TestMatrixDocumented keeps the role matrix in docs/console.md true to
// Matrix.
func TestMatrixDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/console.md")
	if err != nil {
		t.Fatal(err)
	}
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "no"
	}
	for _, g := range moderators.Matrix {
		row := fmt.Sprintf("| %s | %s | %s | %s |", g.Words, yes(moderators.Can(safeguard.RoleModerator, g.Permission)),
			yes(moderators.Can(safeguard.RoleSenior, g.Permission)), yes(moderators.Can(safeguard.RoleAdmin, g.Permission)))
		if !strings.Contains(string(b), row) {
			t.Errorf("docs/console.md lacks the row %s", row)
		}
	}
}
