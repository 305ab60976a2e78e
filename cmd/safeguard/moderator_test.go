package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/store"
)

func TestModeratorCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	env := map[string]string{"SAFEGUARD_DB": db}
	runIn := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
		return out.String(), errb.String(), code
	}
	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		out     string // a regexp the output must match
		errText string
	}{
		{"add with a password from stdin", "a long enough password\n", []string{"moderator", "add", "alice", "--role", "senior-moderator", "--password-stdin"},
			0, `^moderator alice added as senior moderator\n$`, ""},
		{"add with a generated password", "", []string{"moderator", "add", "root", "--role", "admin"},
			0, `^moderator root added as admin\npassword \(shown once, not stored in clear\): [a-zA-Z2-9]{4}(-[a-zA-Z2-9]{4}){4}\n$`, ""},
		{"name taken", "", []string{"moderator", "add", "ALICE", "--role", "moderator"}, 1, `^$`, "There is a moderator with that name already."},
		{"no role", "", []string{"moderator", "add", "bob"}, 2, `^$`, "--role: Choose a role"},
		{"unknown role", "", []string{"moderator", "add", "bob", "--role", "boss"}, 2, `^$`, "--role: Choose a role"},
		{"no name", "", []string{"moderator", "add", "--role", "admin"}, 2, `^$`, "give one moderator's NAME"},
		{"short password", "short\n", []string{"moderator", "add", "bob", "--role", "moderator", "--password-stdin"}, 1, `^$`, "Choose a password of 12"},
		{"empty stdin", "", []string{"moderator", "add", "bob", "--role", "moderator", "--password-stdin"}, 2, `^$`, "no password on standard input"},
		{"unknown subcommand", "", []string{"moderator", "promote"}, 2, `^$`, "unknown command \"promote\""},
		{"role", "", []string{"moderator", "role", "alice", "--role", "moderator"}, 0, `^moderator alice is now moderator\n$`, ""},
		{"disable", "", []string{"moderator", "disable", "alice"}, 0, `^moderator alice disabled; their console sessions have ended\n$`, ""},
		{"disable an unknown name", "", []string{"moderator", "disable", "zed"}, 1, `^$`, `There is no moderator called "zed".`},
		{"list", "", []string{"moderator", "list"}, 0, `(?s)^NAME +ROLE +STATUS +ADDED +BY\nalice +moderator +disabled \S+ +\S+ +operator\nroot +admin +active +\S+ +operator\n$`, ""},
		{"enable", "", []string{"moderator", "enable", "alice"}, 0, `^moderator alice enabled\n$`, ""},
		{"new password", "", []string{"moderator", "password", "alice"}, 0, `(?s)^moderator alice has a new password.*password \(shown once`, ""},
	}
	for _, tt := range tests {
		out, errOut, code := runIn(tt.stdin, tt.args...)
		if code != tt.code || !regexp.MustCompile(tt.out).MatchString(out) || !strings.Contains(errOut, tt.errText) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %s, %q", tt.name, code, out, errOut, tt.code, tt.out, tt.errText)
		}
		if strings.Contains(out+errOut, "a long enough password") {
			t.Errorf("%s: the password is printed", tt.name)
		}
	}
}

// TestModeratorPasswordCost: moderator add and password hash at the cost
// they are given (--argon2-*, or the servers' SAFEGUARD_ARGON2_*), so that
// a server whose cost is lower takes as long for a moderator's name as for
// a name that does not exist.
func TestModeratorPasswordCost(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	cost := func(name string) string {
		t.Helper()
		st, err := openStore(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var h string
		err = st.View(t.Context(), func(tx store.Tx) error {
			m, err := tx.ModeratorByName(t.Context(), name)
			if err != nil {
				return err
			}
			h, err = tx.ModeratorPasswordHash(t.Context(), m.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(h, "$")[3]
	}
	env := map[string]string{"SAFEGUARD_DB": db}
	if _, errOut, code := runCmd(t, env, "moderator", "add", "alice", "--role", "moderator", "--argon2-memory", "64", "--argon2-time", "1"); code != 0 {
		t.Fatalf("add: exit %d, %s", code, errOut)
	}
	if got := cost("alice"); got != "m=64,t=1,p=1" {
		t.Errorf("add with --argon2-*: hashed at %s", got)
	}
	env["SAFEGUARD_ARGON2_MEMORY"], env["SAFEGUARD_ARGON2_TIME"] = "128", "3"
	if _, errOut, code := runCmd(t, env, "moderator", "password", "alice"); code != 0 {
		t.Fatalf("password: exit %d, %s", code, errOut)
	}
	if got := cost("alice"); got != "m=128,t=3,p=1" {
		t.Errorf("password with SAFEGUARD_ARGON2_*: hashed at %s", got)
	}
	delete(env, "SAFEGUARD_ARGON2_MEMORY")
	delete(env, "SAFEGUARD_ARGON2_TIME")
	if _, errOut, code := runCmd(t, env, "moderator", "add", "bob", "--role", "moderator"); code != 0 {
		t.Fatalf("add: exit %d, %s", code, errOut)
	}
	if got := cost("bob"); got != "m=19456,t=2,p=1" {
		t.Errorf("add with the default cost: hashed at %s", got)
	}
}
