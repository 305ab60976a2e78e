package postgres_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
	"github.com/safeguard-dev/safeguard/internal/store/storetest"
)

func schema(tb testing.TB) string     { return pgtest.Schema(tb) }
func open(tb testing.TB) *postgres.DB { return pgtest.Open(tb) }

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestConcurrentOpen starts several stores on one new schema at once: the
// advisory lock makes one migrate and the others find the work done.
func TestConcurrentOpen(t *testing.T) {
	dsn := schema(t)
	const n = 4
	errs := make([]error, n)
	dbs := make([]*postgres.DB, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(t.Context(), dsn+poolSep(dsn)+"pool_max_conns=2") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		dbs[i].Close()
	}
	raw := rawDB(t, dsn)
	var count int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v (%d)", err, len(files))
	}
	if count != len(files) {
		t.Errorf("schema_migrations has %d rows, want %d", count, len(files))
	}
}

// poolSep returns the separator before one more URL parameter.
func poolSep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}

func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestSchemaTooNew(t *testing.T) {
	dsn := schema(t)
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := rawDB(t, dsn).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(t.Context(), dsn)
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database = %v, want ErrSchemaTooNew", err)
	}
}

func TestBadPoolParam(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://127.0.0.1:1/x?pool_max_conns=zero")
	if err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
		t.Errorf("Open with a bad pool_max_conns = %v, want an error naming it", err)
	}
}

// BenchmarkCreateMessage measures Updates that each store one message and
// its event, from 1 to 64 goroutines (16 connections), and without the event
// from 64: the event's advisory lock makes those transactions commit one at
// a time.
func BenchmarkCreateMessage(b *testing.B) {
	for _, bench := range []struct {
		name    string
		writers int
		event   bool
	}{
		{"writers=1", 1, true},
		{"writers=4", 4, true},
		{"writers=16", 16, true},
		{"writers=64", 64, true},
		{"writers=64/no-event", 64, false},
	} {
		b.Run(bench.name, func(b *testing.B) {
			storetest.BenchmarkCreateMessage(b, open(b), bench.writers, bench.event)
		})
	}
}
