package postgres_test

import (
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
	"github.com/safeguard-dev/safeguard/internal/store/storetest"
)

// TestLegacyHandles upgrades a database made before handles had
// discriminators.
func TestLegacyHandles(t *testing.T) {
	dsn := schema(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ms, err := sqlstore.LoadMigrations(os.DirFS("migrations"), ".")
	if err != nil {
		t.Fatal(err)
	}
	var before []sqlstore.Migration
	for _, m := range ms {
		if m.Version < 9 {
			before = append(before, m)
		}
	}
	d := &sqlstore.Dialect{Name: "postgres", Numbered: true, Classify: func(error) sqlstore.Class { return sqlstore.Other }}
	if _, err := sqlstore.Migrate(t.Context(), raw, d, before, time.Now()); err != nil {
		t.Fatal(err)
	}
	storetest.LegacyHandles(t, raw, func() store.Store { return pgtest.OpenDSN(t, dsn) })
}
