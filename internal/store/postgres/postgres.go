// Package postgres is the store for several servers sharing the load:
// store.Store on PostgreSQL through pgx (github.com/jackc/pgx/v5) and its
// database/sql driver, so that the shared sqlstore code runs unchanged.
//
// Each Update is its own READ COMMITTED transaction (PostgreSQL handles
// concurrent writers itself); a transaction that fails with a serialization
// failure or a deadlock is run again, a few times. Each View is a READ ONLY
// REPEATABLE READ transaction, so it sees one snapshot as on SQLite.
//
// The event outbox takes no lock: transactions that append events run side
// by side. A consumer that must handle every event once does not read the
// outbox after a cursor (IDs may commit out of order) but claims the events
// queued for it, SELECT … FOR UPDATE SKIP LOCKED, so that several servers
// share the work (see store.Queues).
//
// The evidence log is one hash chain: a transaction takes an advisory lock
// before it reads the log's head to append, so appenders take turns (and
// append their entries last, to hold it briefly).
//
// Migrations are the same numbered files as SQLite's, embedded from
// migrations/, applied at Open in one transaction under an advisory lock so
// that servers starting together do not race. The DSN's search_path runtime
// parameter (…?search_path=name) selects the schema.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock classes (the first key of the two-key form; the second is
// a hash of the schema name).
const (
	lockMigrate  = 0x5347_4d31 // "SGM1"
	lockEvidence = 0x5347_4c31 // "SGL1": the evidence log's head
	lockKeys     = 0x5347_4b31 // "SGK1": KeyLock's, the second key a hash of the key and the schema
)

// schemaKey is the second key of the advisory locks: the current schema.
const schemaKey = `hashtext(COALESCE(current_schema(), ''))`

// DefaultMaxConns is the connection pool size unless the DSN's
// pool_max_conns says otherwise.
const DefaultMaxConns = 16

// maxAttempts is how many times Update runs a transaction that fails with
// a serialization failure or a deadlock.
const maxAttempts = 5

var dialect = &sqlstore.Dialect{
	Name:       "postgres",
	Numbered:   true,
	Classify:   classify,
	LockRows:   " FOR UPDATE",
	SkipLocked: " FOR UPDATE SKIP LOCKED",
	ChainLock:  `SELECT pg_advisory_xact_lock(` + strconv.Itoa(lockEvidence) + `, ` + schemaKey + `)`,
	// Two keys of one hash share a lock, which only makes them wait for
	// each other.
	KeyLock: `SELECT pg_advisory_xact_lock(` + strconv.Itoa(lockKeys) + `, hashtext(CAST(? AS TEXT) || '/' || COALESCE(current_schema(), '')))`,
}

// classify reads PostgreSQL's SQLSTATE codes and pgx's connection errors.
func classify(err error) sqlstore.Class {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return sqlstore.Unique
		case "23503": // foreign_key_violation
			return sqlstore.ForeignKey
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return sqlstore.Retry
		case "53300", "55P03", "57P01", "57P02", "57P03": // too many connections, lock not available, shutdown, cannot connect now
			return sqlstore.Busy
		}
		if strings.HasPrefix(pe.Code, "08") { // connection exception
			return sqlstore.Busy
		}
		return sqlstore.Other
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || pgconn.Timeout(err) {
		return sqlstore.Busy
	}
	return sqlstore.Other
}

// DB is a store.Store on a PostgreSQL database.
type DB struct {
	db *sql.DB
}

var _ store.Store = (*DB)(nil)

// Open connects to the database of dsn (a postgres:// URL or key=value
// string) and brings its schema up to date. A URL may carry
// pool_max_conns=N, the most connections the store opens (default 16).
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, migrate)
}

// OpenExisting connects to the database of dsn as Open does, but changes
// nothing: its schema must be there and up to date, else the error wraps
// sqlstore.ErrSchemaMissing or sqlstore.ErrSchemaOld (the commands that
// only read leave migrating to the server).
func OpenExisting(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, checkSchema)
}

// open connects to the database of dsn, then runs schema (migrate, or
// checkSchema) on it.
func open(ctx context.Context, dsn string, schema func(context.Context, *sql.DB) error) (*DB, error) {
	dsn, maxConns, err := poolParams(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres store: %w", sqlstore.Unavailable("connect", err))
	}
	if err := schema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	return &DB{db: db}, nil
}

// checkSchema checks, changing nothing, that the schema is made and up to
// date.
func checkSchema(ctx context.Context, db *sql.DB) error {
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	var has bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&has); err != nil {
		return dialect.Err(err, "look for schema_migrations")
	}
	return sqlstore.CheckSchema(ctx, db, dialect, ms, has)
}

// poolParams takes pool_max_conns out of a URL DSN (PostgreSQL itself
// would refuse it as an unknown parameter).
func poolParams(dsn string) (string, int, error) {
	if !strings.Contains(dsn, "://") {
		return dsn, DefaultMaxConns, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", 0, fmt.Errorf("parse dsn: %w", err)
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if v == "" {
		return dsn, DefaultMaxConns, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("pool_max_conns=%q: want a number from 1", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}

// migrate applies the embedded migrations in one transaction, holding an
// advisory lock for the schema so that concurrent servers take turns: the
// second finds the work done.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return dialect.Err(err, "begin migration")
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+strconv.Itoa(lockMigrate)+`, `+schemaKey+`)`); err != nil {
		return dialect.Err(err, "lock migrations")
	}
	if _, err := sqlstore.Migrate(ctx, tx, dialect, ms, time.Now()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return dialect.Err(err, "commit migration")
	}
	return nil
}

// Update implements store.Store. fn may run more than once: a transaction
// that fails with a serialization failure or a deadlock is retried, up to
// five times in all, after a short random pause. A panic in fn rolls the
// transaction back and goes on up.
func (db *DB) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.update(ctx, fn)
		if err == nil || attempt == maxAttempts || classify(err) != sqlstore.Retry {
			return err
		}
		pause := time.Duration(attempt) * (time.Millisecond + rand.N(4*time.Millisecond))
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
}

func (db *DB) update(ctx context.Context, fn func(tx store.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return dialect.Err(err, "begin")
	}
	defer tx.Rollback() // after Commit, a no-op; on error or panic, the undo
	if err := fn(sqlstore.NewTx(tx, dialect)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return dialect.Err(err, "commit")
	}
	return nil
}

// View implements store.Store.
func (db *DB) View(ctx context.Context, fn func(tx store.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return dialect.Err(err, "begin view")
	}
	defer tx.Rollback()
	return fn(sqlstore.NewTx(tx, dialect))
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return sqlstore.Unavailable("ping postgres store", err)
	}
	return nil
}

// Close closes the connections.
func (db *DB) Close() error { return db.db.Close() }
