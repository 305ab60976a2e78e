package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// TestMissingDatabaseNamesData: a command that changes cases, given the
// data directory with --data, names --data when the database is not there,
// never a --db the user did not give.
func TestMissingDatabaseNamesData(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"case", "decide", "1", "--decision", "no-violation", "--reason", "a family photo", "--data", dir},
		{"report", "export", "--case", "1", "--out", t.TempDir() + "/r", "--data", dir},
		{"case", "list", "--data", dir},
	} {
		_, errOut, code := runCmd(t, nil, args...)
		if code != 1 || !strings.Contains(errOut, "no database in the data directory "+dir) || strings.Contains(errOut, "--db") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	_, errOut, code := runCmd(t, nil, "case", "list", "--db", dir+"/elsewhere.db")
	if code != 1 || !strings.Contains(errOut, "check --db") {
		t.Errorf("--db given: exit %d: %s", code, errOut)
	}
}

// TestReadOnlyCommandsDoNotMigratePostgres: on an empty PostgreSQL schema a
// command that reads makes no table and says to start serve once; on an
// older schema it says so too; once serve's migrations ran, it reads.
func TestReadOnlyCommandsDoNotMigratePostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	tables := func() int {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, args := range [][]string{{"case", "list"}, {"account", "find"}, {"moderator", "list"}, {"evidence", "verify", "--evidence-pubkey", strings.Repeat("ab", 32)}} {
		_, errOut, code := runCmd(t, nil, append(args, "--db", dsn, "--data", t.TempDir())...)
		if code != 1 || !strings.Contains(errOut, "has no Safeguard schema") || !strings.Contains(errOut, "start 'safeguard serve --db") {
			t.Errorf("%v on an empty schema: exit %d: %s", args, code, errOut)
		}
	}
	if n := tables(); n != 0 {
		t.Fatalf("commands that only read made %d tables", n)
	}
	pgtest.OpenDSN(t, dsn).Close()
	if out, errOut, code := runCmd(t, nil, "case", "list", "--db", dsn); code != 0 {
		t.Fatalf("case list after migration: exit %d: %s %s", code, out, errOut)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, nil, "case", "list", "--db", dsn)
	if code != 1 || !strings.Contains(errOut, "older Safeguard schema") {
		t.Errorf("case list on an older schema: exit %d: %s", code, errOut)
	}
}

// TestDemoDataStaysTest runs the demo and, on its data, what an operator
// does next: the demo's closing commands run as the binary was invoked;
// its data is marked test data, so a report decision, an export and serve
// make TEST reports and say so; evidence verify with another key says the
// key is wrong; account show names places and the suspension.
func TestDemoDataStaysTest(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo story takes a few seconds")
	}
	dir := t.TempDir()
	old := invokedAs
	invokedAs = programName("/opt/safe guard/bin/safeguard")
	t.Cleanup(func() { invokedAs = old })
	out, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", dir, "--argon2-memory", "64", "--argon2-time", "1")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "'/opt/safe guard/bin/safeguard' case list --data "+dir) {
		t.Errorf("the demo's commands are not as the binary was invoked:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, layoutTestData)); err != nil {
		t.Fatalf("the demo did not mark its data as test data: %v", err)
	}
	pub, _, _ := runCmd(t, nil, "evidence", "pubkey", "--data", dir)
	if pub = strings.TrimSpace(pub); !strings.Contains(out, "evidence verify --data "+dir+" --evidence-pubkey "+pub) {
		t.Errorf("the demo does not give the key its server made (%s):\n%s", pub, out)
	}

	t.Run("reports are TEST", func(t *testing.T) {
		out, errOut, code := runCmd(t, nil, "case", "decide", "2", "--decision", "report", "--reason", "synthetic test report", "--senior", "--data", dir)
		if code != 0 || !strings.Contains(out, "test data: "+dir) || !strings.Contains(out, "SG-TEST-") {
			t.Fatalf("case decide on the demo's data: exit %d\n%s\n%s", code, out, errOut)
		}
		ents, _ := os.ReadDir(filepath.Join(dir, layoutReports))
		for _, e := range ents {
			if e.Name() != "prepared" && !strings.HasPrefix(e.Name(), "SG-TEST-") {
				t.Errorf("a report not marked TEST: %s", e.Name())
			}
			if e.Name() == "prepared" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, layoutReports, e.Name(), "nca-report.json"))
			if err != nil || !regexp.MustCompile(`"test": *true`).Match(b) {
				t.Errorf("%s/nca-report.json is not marked test: %v", e.Name(), err)
			}
		}
		out, errOut, code = runCmd(t, nil, "report", "export", "--case", "2", "--out", filepath.Join(t.TempDir(), "r"), "--data", dir)
		if code != 0 || !strings.Contains(out, "(TEST)") || !strings.Contains(out, "test data: ") {
			t.Errorf("report export on the demo's data: exit %d\n%s\n%s", code, out, errOut)
		}
		_, errOut, _ = runCmd(t, nil, "serve", "--data", dir, "--metrics-addr", "", "--addr", "127.0.0.1:99999")
		if !strings.Contains(errOut, "test data: "+dir) {
			t.Errorf("serve on the demo's data does not say its reports are TEST:\n%s", errOut)
		}
	})

	t.Run("evidence verify with another key", func(t *testing.T) {
		keyOut, errOut, code := runCmd(t, nil, "evidence", "keygen", "--evidence-key", filepath.Join(t.TempDir(), "other.key"))
		if code != 0 {
			t.Fatalf("keygen: exit %d: %s", code, errOut)
		}
		other := keyOut[strings.LastIndex(keyOut, " ")+1:]
		out, errOut, code := runCmd(t, nil, "evidence", "verify", "--data", dir, "--evidence-pubkey", strings.TrimSpace(other))
		first, _, _ := strings.Cut(out, "\n")
		if code != 1 || first != wrongEvidenceKey || !strings.Contains(errOut, "the pinned key did not sign this log") || strings.Contains(errOut, "tampering") {
			t.Errorf("verify with another key: exit %d\n%s\n%s", code, out, errOut)
		}
		// With the right key the log verifies: nothing was tampered with.
		if out, errOut, code := runCmd(t, nil, "evidence", "verify", "--data", dir, "--evidence-pubkey", pub); code != 0 {
			t.Errorf("verify with the right key: exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("account show", func(t *testing.T) {
		out, _, _ := runCmd(t, nil, "account", "find", "leo", "--json", "--data", dir)
		var page struct {
			Accounts []struct{ Handle string } `json:"accounts"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Accounts) == 0 {
			t.Fatalf("account find leo: %v\n%s", err, out)
		}
		leo := page.Accounts[0].Handle
		if _, errOut, code := runCmd(t, nil, "account", "suspend", leo, "--reason", "synthetic spam reports", "--by", "amir", "--data", dir); code != 0 {
			t.Fatalf("suspend: exit %d: %s", code, errOut)
		}
		out, errOut, code := runCmd(t, nil, "account", "show", leo, "--data", dir)
		if code != 0 || !strings.Contains(out, "lives in:   Bedford (E06000055), policed by Bedfordshire Police (E23000026)") ||
			!regexp.MustCompile(`suspended:  since \S+, by amir: synthetic spam reports`).MatchString(out) {
			t.Errorf("account show: exit %d\n%s\n%s", code, out, errOut)
		}
		help, _, _ := runCmd(t, nil, "account", "verify", "-h")
		if !strings.Contains(help, "account verify HANDLE --method TEXT --by NAME") || !regexp.MustCompile(`(?s)--method string\n[^\n]*\(required\)`).MatchString(help) {
			t.Errorf("account verify -h does not mark --method required:\n%s", help)
		}
	})
}

// TestProgramName: the demo's commands are printed as the binary was
// invoked, to run as written.
func TestProgramName(t *testing.T) {
	for arg0, want := range map[string]string{
		"":                         "safeguard",
		"safeguard":                "safeguard",
		"./safeguard":              "./safeguard",
		"/usr/local/bin/safeguard": "/usr/local/bin/safeguard",
		"/opt/my tools/safeguard":  "'/opt/my tools/safeguard'",
		filepath.Join(os.TempDir(), "go-build123", "b001", "exe", "safeguard"): "go run ./cmd/safeguard",
	} {
		if got := programName(arg0); got != want {
			t.Errorf("programName(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// TestReportExportFlags: report export offers only what an export uses.
func TestReportExportFlags(t *testing.T) {
	flags := leafFlags(t, "report export")
	for _, f := range []string{"ncmec-url", "ncmec-user", "test-reports", "report-dir", "oncall-webhook", "addr"} {
		if _, ok := flags[f]; ok {
			t.Errorf("report export -h lists --%s, which an export does not use", f)
		}
	}
	for _, f := range []string{"case", "out", "draft", "data", "report-email", "evidence-pubkey"} {
		if _, ok := flags[f]; !ok {
			t.Errorf("report export -h lacks --%s", f)
		}
	}
}
