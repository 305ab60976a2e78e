package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
	"github.com/safeguard-dev/safeguard/internal/store/storetest"
)

// TestLegacyHandles upgrades a database made before handles had
// discriminators.
func TestLegacyHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "safeguard.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	migrateBefore(t, raw, &sqlstore.Dialect{Name: "sqlite", Classify: func(error) sqlstore.Class { return sqlstore.Other }}, 9)
	storetest.LegacyHandles(t, raw, func() store.Store { return openPath(t, path) })
}

// migrateBefore applies this store's migrations numbered below version.
func migrateBefore(t *testing.T, raw *sql.DB, d *sqlstore.Dialect, version int) {
	t.Helper()
	ms, err := sqlstore.LoadMigrations(os.DirFS("migrations"), ".")
	if err != nil {
		t.Fatal(err)
	}
	var before []sqlstore.Migration
	for _, m := range ms {
		if m.Version < version {
			before = append(before, m)
		}
	}
	if _, err := sqlstore.Migrate(t.Context(), raw, d, before, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func openPath(t *testing.T, path string) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
