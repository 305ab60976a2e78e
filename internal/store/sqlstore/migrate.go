package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change, a file NNNN_name.sql. SQLite and
// PostgreSQL number their migrations alike: version N is the same change on
// both.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrSchemaTooNew is returned by Migrate for a database whose schema has
// migrations this program does not know: it was written by a newer version.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

// ParseMigrationName parses a migration file name: four or more digits, an
// underscore, a name of lower-case letters, digits and underscores, and
// ".sql" ("0001_core.sql" is version 1, name "core").
func ParseMigrationName(file string) (version int, name string, err error) {
	base, ok := strings.CutSuffix(file, ".sql")
	if !ok {
		return 0, "", fmt.Errorf("migration %q: want NNNN_name.sql", file)
	}
	num, name, ok := strings.Cut(base, "_")
	if !ok || len(num) < 4 || name == "" {
		return 0, "", fmt.Errorf("migration %q: want NNNN_name.sql", file)
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, "", fmt.Errorf("migration %q: version %q is not a number", file, num)
		}
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return 0, "", fmt.Errorf("migration %q: name may hold only a-z, 0-9 and _", file)
		}
	}
	version, err = strconv.Atoi(num)
	if err != nil || version < 1 {
		return 0, "", fmt.Errorf("migration %q: version must be a number from 1", file)
	}
	return version, name, nil
}

// LoadMigrations reads the *.sql files in dir of fsys. Versions must
// increase without repeats. They may skip numbers: numbers are handed out to
// pieces of work that land in any order, and Migrate applies whichever a
// database lacks.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, name, err := ParseMigrationName(e.Name())
		if err != nil {
			return nil, err
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration: %w", err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	// ReadDir sorts by name, and names start with zero-padded versions of
	// at least four digits; check the numbering anyway.
	for i, m := range ms {
		if i > 0 && m.Version <= ms[i-1].Version {
			return nil, fmt.Errorf("migrations: found version %d after version %d", m.Version, ms[i-1].Version)
		}
	}
	return ms, nil
}

// Migrate applies, in order of version, the migrations q's database has not
// had yet (a number skipped earlier is applied when it arrives), and records
// each in schema_migrations with the time now. It must run in
// a transaction that no other migrator can run beside (SQLite: BEGIN
// IMMEDIATE; PostgreSQL: an advisory lock), so that the whole upgrade
// happens or none of it. It returns how many migrations it applied, and
// ErrSchemaTooNew if the database has migrations that ms lacks.
func Migrate(ctx context.Context, q Querier, d *Dialect, ms []Migration, now time.Time) (int, error) {
	_, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`)
	if err != nil {
		return 0, d.Err(err, "create schema_migrations")
	}
	applied, err := appliedMigrations(ctx, q, d, ms)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := q.ExecContext(ctx, m.SQL); err != nil {
			return n, d.Err(err, fmt.Sprintf("migration %04d_%s", m.Version, m.Name))
		}
		_, err := q.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.Version, m.Name, micro(now))
		if err != nil {
			return n, d.Err(err, "record migration")
		}
		n++
	}
	return n, nil
}

// appliedMigrations reads schema_migrations and returns the versions of ms
// applied; ErrSchemaTooNew if the database has one ms lacks.
func appliedMigrations(ctx context.Context, q Querier, d *Dialect, ms []Migration) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	done, err := collect(rows, err, d, "read schema_migrations", func(s scanner) (Migration, error) {
		var m Migration
		return m, s.Scan(&m.Version, &m.Name)
	})
	if err != nil {
		return nil, err
	}
	known := make(map[int]string, len(ms))
	for _, m := range ms {
		known[m.Version] = m.Name
	}
	applied := make(map[int]bool, len(done))
	for _, m := range done {
		name, ok := known[m.Version]
		if !ok {
			return nil, fmt.Errorf("%w: it has migration %d (%s), which this program does not know", ErrSchemaTooNew, m.Version, m.Name)
		}
		if m.Name != name {
			return nil, fmt.Errorf("schema_migrations has %d %q where this program has %d %q", m.Version, m.Name, m.Version, name)
		}
		applied[m.Version] = true
	}
	return applied, nil
}

// ErrSchemaMissing is returned by CheckSchema for a database without the
// program's schema, and ErrSchemaOld for one with migrations still to apply.
var (
	ErrSchemaMissing = errors.New("database has no schema")
	ErrSchemaOld     = errors.New("database schema is older than this program")
)

// CheckSchema checks, changing nothing, that every migration of ms has
// been applied to the database q reads, whose schema_migrations table
// exists (hasTable; the caller asks its catalogue): ErrSchemaMissing when it
// does not, ErrSchemaOld when migrations are still to apply, ErrSchemaTooNew
// when it has one ms lacks.
func CheckSchema(ctx context.Context, q Querier, d *Dialect, ms []Migration, hasTable bool) error {
	if !hasTable {
		return ErrSchemaMissing
	}
	applied, err := appliedMigrations(ctx, q, d, ms)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !applied[m.Version] {
			return fmt.Errorf("%w: migration %d (%s) is still to apply", ErrSchemaOld, m.Version, m.Name)
		}
	}
	return nil
}
