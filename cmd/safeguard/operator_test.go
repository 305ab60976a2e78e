package main

import (
	"database/sql"
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
