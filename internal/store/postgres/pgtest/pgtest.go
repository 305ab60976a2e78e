// Package pgtest gives tests a PostgreSQL store of their own: a new schema on
// the server named by SAFEGUARD_TEST_POSTGRES, dropped when the test ends, so
// that the tests of many packages share one server without seeing each
// other. Without the variable, tests that ask for one are skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver

	"github.com/safeguard-dev/safeguard/internal/store/postgres"
)

// EnvDSN names the variable that points the tests at a PostgreSQL server,
// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvDSN = "SAFEGUARD_TEST_POSTGRES"

// Enabled reports whether PostgreSQL tests run on this machine.
func Enabled() bool { return os.Getenv(EnvDSN) != "" }

// Schema creates a schema for the test, dropped when the test ends, and
// returns a DSN whose search_path selects it. It skips the test when
// SAFEGUARD_TEST_POSTGRES is not set.
func Schema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		tb.Skipf("%s not set: skipping the PostgreSQL tests", EnvDSN)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + name); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		// Schemas of tests running at once are dropped at once; PostgreSQL
		// may pick one drop as a deadlock victim, which is tried again.
		var err error
		for try := range 5 {
			if _, err = admin.Exec(`DROP SCHEMA ` + name + ` CASCADE`); err == nil || !strings.Contains(err.Error(), "40P01") {
				break
			}
			time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
		}
		if err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
		admin.Close()
	})
	if !strings.Contains(base, "://") {
		return base + " search_path=" + name
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a store on a new schema, closed before the schema is dropped.
func Open(tb testing.TB) *postgres.DB {
	tb.Helper()
	return OpenDSN(tb, Schema(tb))
}

// OpenDSN opens a store on dsn, closed when the test ends.
func OpenDSN(tb testing.TB, dsn string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}
