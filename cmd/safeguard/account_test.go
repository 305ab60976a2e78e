package main

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// accountFixture makes a database with an adult (leo) and a teen (tia),
// leo logged in once, and returns its path and their handles.
func accountFixture(t *testing.T) (db, leo, tia string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "a.db")
	st, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: st, Media: noMedia{}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	sign := func(nick string, years int) string {
		out, err := svc.SignUp(t.Context(), messaging.SignUp{Nickname: nick, Password: "correct horse battery",
			BirthDate: time.Now().AddDate(-years, 0, -1).Format(time.DateOnly)}, safeguard.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		return out.Account.Handle
	}
	leo, tia = sign("leo", 40), sign("tia", 15)
	origin := safeguard.Origin{Addr: netip.MustParseAddrPort("192.0.2.7:4711")}
	if _, _, _, err := svc.Login(t.Context(), leo, "correct horse battery", origin); err != nil {
		t.Fatal(err)
	}
	return db, leo, tia
}

func TestAccountCommand(t *testing.T) {
	db, leo, tia := accountFixture(t)
	env := map[string]string{"SAFEGUARD_DB": db}
	q := regexp.QuoteMeta
	tests := []struct {
		name    string
		args    []string
		code    int
		out     string // a regexp the output must match
		errText string
	}{
		{"find by pattern", []string{"find", "le"}, 0, `(?s)^ID +HANDLE +BAND +ASSURANCE +STATUS +CREATED\n1 +` + q(leo) + ` +adult +self-declared +active .*\n$`, ""},
		{"find by band, flag after", []string{"find", "--band", "teen"}, 0, `(?s)^ID.*\n2 +` + q(tia) + ` +teen .*\n$`, ""},
		{"find a page", []string{"find", "--limit", "1"}, 0, `(?s)` + q(leo) + `.*\nmore: --after 1\n$`, ""},
		{"find nothing", []string{"find", "zed"}, 0, `^no accounts match\n$`, ""},
		{"find a bad band", []string{"find", "--band", "elder"}, 1, `^$`, "Band must be child, teen or adult."},
		{"show", []string{"show", leo}, 0, `(?s)^` + q(leo) + ` \(ID 1\)\n.*age band: +adult.*1 live sessions.*never changed by an operator\n$`, ""},
		{"show by ID", []string{"show", "2"}, 0, `^` + q(tia) + ` \(ID 2\)\n`, ""},
		{"show an unknown handle", []string{"show", "nobody.99"}, 1, `^$`, "There is no account with that name."},
		{"verify without by", []string{"verify", leo, "--method", "passport checked"}, 1, `^$`, "Say who is making this change"},
		{"verify without method", []string{"verify", leo, "--by", "amir"}, 1, `^$`, "Say how the age was checked"},
		{"verify, flags before the handle", []string{"verify", "--method", "passport checked", "--note", "seen on video", "--by", "amir", leo}, 0,
			`^` + q(leo) + ` is verified \(passport checked\), recorded in the audit log as by amir\n$`, ""},
		{"show the method", []string{"show", leo}, 0, `(?s)self-declared → verified  method: passport checked  note: seen on video  by: amir\n$`, ""},
		{"sessions", []string{"sessions", leo}, 0, `(?s)^ID +APP +ADDRESS +CREATED +LAST USED +EXPIRES\n1 +chat +192\.0\.2\.7 .*\n$`, ""},
		{"logout", []string{"logout", leo, "--by", "amir"}, 0, `^every session of ` + q(leo) + ` has ended`, ""},
		{"sessions after logout", []string{"sessions", leo}, 0, `^` + q(leo) + ` has no live sessions\n$`, ""},
		{"suspend", []string{"suspend", tia, "--reason", "spam reports", "--by", "amir"}, 0, `^` + q(tia) + ` is suspended`, ""},
		{"suspend twice", []string{"suspend", tia, "--reason", "again", "--by", "amir"}, 1, `^$`, "suspended already"},
		{"unsuspend", []string{"unsuspend", tia, "--reason", "appeal upheld", "--by", "amir"}, 0, `^` + q(tia) + ` is no longer suspended\n$`, ""},
		{"unverify without reason", []string{"unverify", leo, "--by", "amir"}, 1, `^$`, "Give a reason."},
		{"unverify", []string{"unverify", leo, "--reason", "document withdrawn", "--by", "amir"}, 0, `^` + q(leo) + ` is no longer verified`, ""},
		{"reset-password", []string{"reset-password", tia, "--by", "amir"}, 0,
			`^reset code for ` + q(tia) + ` \(shown once, stored only as a hash\): [a-z2-9]{5}(-[a-z2-9]{5}){3}\nit works once, until \S+; every session`, ""},
		{"delete without reason", []string{"delete", tia, "--by", "amir"}, 1, `^$`, "Give a reason."},
		{"delete", []string{"delete", tia, "--reason", "asked by the account holder's guardian", "--by", "amir"}, 0,
			`(?s)^` + q(tia) + ` \(ID 2\) is deleted; its handle stays reserved\nkept:\n.*Your handle, as a name nobody can take.*deleted:\n.*Your password and every session`, ""},
		{"delete twice", []string{"delete", tia, "--reason", "again", "--by", "amir"}, 1, `^$`, "That account has been deleted."},
		// A deleted account keeps its date of birth for the year a report
		// of a message it sent may still need it (docs/policy.md).
		{"find deleted", []string{"find", "--status", "deleted"}, 0, `(?s)\n2 +` + q(tia) + ` +teen +self-declared +deleted `, ""},
		{"a deleted account keeps its band a while", []string{"find", "--band", "teen"}, 0, `(?s)^ID[^\n]*\n2 +` + q(tia) + ` [^\n]*deleted[^\n]*\n$`, ""},
		{"no handle", []string{"show"}, 2, `^$`, "give one HANDLE"},
		{"two handles", []string{"show", leo, tia}, 2, `^$`, "give one HANDLE"},
		{"unknown subcommand", []string{"promote", leo}, 2, `^$`, `unknown command "promote"`},
		{"unknown flag", []string{"show", leo, "--colour"}, 2, `^$`, "flag provided but not defined"},
	}
	for _, tt := range tests {
		out, errOut, code := runCmd(t, env, append([]string{"account"}, tt.args...)...)
		if code != tt.code || !regexp.MustCompile(tt.out).MatchString(out) || !strings.Contains(errOut, tt.errText) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %s, %q", tt.name, code, out, errOut, tt.code, tt.out, tt.errText)
		}
	}
}

func TestAccountCommandJSON(t *testing.T) {
	db, leo, _ := accountFixture(t)
	env := map[string]string{"SAFEGUARD_DB": db}
	out, errOut, code := runCmd(t, env, "account", "find", "--json", "--band", "adult")
	var page client.AccountPage
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Accounts) != 1 || page.Accounts[0].Handle != leo {
		t.Fatalf("find --json: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, env, "account", "verify", leo, "--method", "passport checked", "--by", "amir", "--json")
	var acc client.Account
	if code != 0 || json.Unmarshal([]byte(out), &acc) != nil || acc.AgeAssurance != "verified" {
		t.Fatalf("verify --json: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, env, "account", "show", "--json", leo)
	var d client.AccountDetail
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Handle != leo || d.Counts.Sessions != 1 ||
		len(d.AssuranceHistory) != 1 || d.AssuranceHistory[0].Method != "passport checked" || d.AssuranceHistory[0].By != "amir" {
		t.Fatalf("show --json: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, env, "account", "sessions", leo, "--json")
	var ss client.AccountSessions
	if code != 0 || json.Unmarshal([]byte(out), &ss) != nil || len(ss.Sessions) != 1 || ss.Sessions[0].Address != "192.0.2.7" {
		t.Fatalf("sessions --json: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, env, "account", "reset-password", leo, "--by", "amir", "--json")
	var rc client.ResetCode
	if code != 0 || json.Unmarshal([]byte(out), &rc) != nil || rc.Code == "" || rc.ExpiresAt.Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("reset-password --json: exit %d, %q %q", code, out, errOut)
	}
	// A period shorter than the law's is not for real data: nothing is
	// deleted, and the holder is told nothing false.
	_, errOut, code = runCmd(t, env, "account", "delete", leo, "--reason", "asked", "--by", "amir", "--content-retention", "1s")
	if code != 2 || !strings.Contains(errOut, "--content-retention 1s: shorter than the one year") {
		t.Fatalf("delete with a period of a second: exit %d, %q", code, errOut)
	}
	out, errOut, code = runCmd(t, env, "account", "delete", leo, "--reason", "asked", "--by", "amir", "--json",
		"--content-retention", "1h", "--reference-retention", "2h", "--test-reports")
	var del client.AccountDeleted
	if code != 0 || json.Unmarshal([]byte(out), &del) != nil || del.Account.Status != "deleted" || len(del.Kept) == 0 || len(del.Deleted) == 0 {
		t.Fatalf("delete --json, a test server's periods: exit %d, %q %q", code, out, errOut)
	}
}

// TestAccountGuardianCommand: the operator links a verified adult as a
// child's guardian, and unlinks them; the child then waits for one again.
func TestAccountGuardianCommand(t *testing.T) {
	db, leo, tia := accountFixture(t)
	st, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: st, Media: noMedia{}})
	if err != nil {
		t.Fatal(err)
	}
	kid, err := svc.SignUp(t.Context(), messaging.SignUp{Nickname: "mia", Password: "correct horse battery",
		BirthDate: time.Now().AddDate(-11, 0, -1).Format(time.DateOnly)}, safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	st.Close()
	mia := kid.Account.Handle
	env := map[string]string{"SAFEGUARD_DB": db}
	q := regexp.QuoteMeta
	for _, tt := range []struct {
		name    string
		args    []string
		code    int
		out     string
		errText string
	}{
		{"nothing to change", []string{"guardian", mia, "--reason", "x", "--by", "amir"}, 1, `^$`, "Say which guardian to remove"},
		{"an unverified adult", []string{"guardian", mia, "--add", leo, "--reason", "x", "--by", "amir"}, 1, `^$`, "verified their age"},
		{"verify", []string{"verify", leo, "--method", "passport checked", "--by", "amir"}, 0, `is verified`, ""},
		{"a teen", []string{"guardian", tia, "--add", leo, "--reason", "x", "--by", "amir"}, 1, `^$`, "Only a child under 13"},
		{"link", []string{"guardian", mia, "--add", leo, "--reason", "court order seen", "--by", "amir"}, 0, `^` + q(mia) + `'s guardians: ` + q(leo) + `\n$`, ""},
		{"show", []string{"show", mia}, 0, `(?s)status: +active.*guardians: +` + q(leo) + `\n`, ""},
		{"unlink", []string{"guardian", mia, "--remove", leo, "--reason", "asked", "--by", "amir"}, 0,
			`^` + q(mia) + ` has no guardian now and waits for one \(pending_guardian\)`, ""},
		{"unlink again", []string{"guardian", mia, "--remove", leo, "--reason", "asked", "--by", "amir"}, 1, `^$`, "not a guardian of this child"},
	} {
		out, errOut, code := runCmd(t, env, append([]string{"account"}, tt.args...)...)
		if code != tt.code || !regexp.MustCompile(tt.out).MatchString(out) || !strings.Contains(errOut, tt.errText) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %s, %q", tt.name, code, out, errOut, tt.code, tt.out, tt.errText)
		}
	}
}
