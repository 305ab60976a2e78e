// Package sqlite is the embedded store: store.Store on a SQLite file, with
// the pure-Go driver modernc.org/sqlite, so that a new user runs Safeguard
// with no database to set up.
//
// The file is in WAL mode with synchronous=FULL and foreign keys on. Reads
// (View) use a pool of read-only connections and see a consistent snapshot;
// writes (Update) go through one writer goroutine that commits them in
// groups: every Update queued while the previous group was committing runs
// in the next transaction, each in its own savepoint, and the group is
// synced to disk with one COMMIT. An Update returns nil only after that
// COMMIT, so a nil answer means the change is on disk.
//
// The schema is made by numbered migrations embedded from migrations/,
// applied at Open; a database written by a newer program is refused.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Defaults of Options.
const (
	DefaultReadConns   = 4
	DefaultMaxBatch    = 256
	DefaultBusyTimeout = 5 * time.Second
)

// Options tune a store. The zero value gives the defaults.
type Options struct {
	// ReadConns is the number of read-only connections View uses.
	ReadConns int
	// MaxBatch is the most Update calls committed in one transaction.
	MaxBatch int
	// BusyTimeout is how long a statement waits for a lock held by
	// another process before the store reports ErrUnavailable.
	BusyTimeout time.Duration
	// MustExist opens only a database that is there: a missing file is an
	// error that wraps fs.ErrNotExist, and nothing is created (no file,
	// no directory). Commands that only read open this way.
	MustExist bool
}

// dialect is SQLite's: ? placeholders, no lock needed for the outbox (there
// is one writer, so IDs are handed out in commit order).
var dialect = &sqlstore.Dialect{Name: "sqlite", Classify: classify}

// classify reads modernc.org/sqlite's result codes.
func classify(err error) sqlstore.Class {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		if errors.Is(err, driver.ErrBadConn) {
			return sqlstore.Busy
		}
		return sqlstore.Other
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.Unique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKey
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return sqlstore.Busy
	}
	return sqlstore.Other
}

// DB is a store.Store on one SQLite file.
type DB struct {
	path    string
	writer  *sql.DB // one connection, used only by the writer goroutine
	readers *sql.DB // query_only connections for View
	// conns holds the read connections, each with its prepared
	// statements; View takes one for the length of its transaction.
	conns     chan *readConn
	done      chan struct{} // closed by Close: Views then fail at once
	closeOnce sync.Once
	w         *writer
}

// readConn is a read connection kept for the life of the store, so that the
// statements prepared on it are parsed once.
type readConn struct {
	conn  *sql.Conn
	stmts *sqlstore.StmtCache
}

func newReadConn(ctx context.Context, db *sql.DB) (*readConn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &readConn{conn: conn, stmts: sqlstore.NewStmtCache(conn.PrepareContext)}, nil
}

func (r *readConn) close() error { return errors.Join(r.stmts.Close(), r.conn.Close()) }

var _ store.Store = (*DB)(nil)

// dsn returns the driver's data source name for the file at path with the
// given pragmas.
func dsn(path string, pragmas ...string) string {
	q := url.Values{"_pragma": pragmas}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}
	return u.String()
}

// Open opens (creating it if need be, unless opts.MustExist) the database
// at path and brings its schema up to date. Every call to Open should be paired with Close.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.ReadConns <= 0 {
		opts.ReadConns = DefaultReadConns
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	if err := ownerOnly(abs, !opts.MustExist); err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	busy := "busy_timeout(" + strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10) + ")"

	writerDB, err := sql.Open("sqlite", dsn(abs, busy, "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	writerDB.SetMaxOpenConns(1)
	writerDB.SetMaxIdleConns(1)
	writerDB.SetConnMaxLifetime(0)
	writerDB.SetConnMaxIdleTime(0)
	if err := migrate(ctx, writerDB); err != nil {
		writerDB.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}

	readers, err := sql.Open("sqlite", dsn(abs, busy, "query_only(1)"))
	if err != nil {
		writerDB.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	readers.SetMaxOpenConns(opts.ReadConns)
	readers.SetMaxIdleConns(opts.ReadConns)
	if err := readers.PingContext(ctx); err != nil {
		readers.Close()
		writerDB.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}

	db := &DB{path: abs, writer: writerDB, readers: readers, conns: make(chan *readConn, opts.ReadConns), done: make(chan struct{}),
		w: newWriter(writerDB, opts.MaxBatch)}
	for range opts.ReadConns {
		rc, err := newReadConn(ctx, readers)
		if err != nil {
			db.closeReaders()
			readers.Close()
			writerDB.Close()
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
		db.conns <- rc
	}
	go db.w.run()
	return db, nil
}

// ownerOnly makes the database readable by its owner only, whatever the
// umask: the directory it is in is created 0700 when missing, and the file
// is created 0600 before the driver opens it, because SQLite gives the -wal
// and -shm files the mode of the database file. Files an older version left
// readable by others are tightened. Without create, a missing file is an
// error and nothing is made.
func ownerOnly(path string, create bool) error {
	if !create {
		if _, err := os.Stat(path); err != nil {
			return err
		}
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != 0o600 {
			if err := os.Chmod(p, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// migrate applies the embedded migrations in one BEGIN IMMEDIATE
// transaction, which also keeps another process from migrating at the same
// time.
func migrate(ctx context.Context, db *sql.DB) (err error) {
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return dialect.Err(err, "connect")
	}
	defer conn.Close()
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return dialect.Err(err, "read journal mode")
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return dialect.Err(err, "begin migration")
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if _, err := sqlstore.Migrate(ctx, conn, dialect, ms, time.Now()); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return dialect.Err(err, "commit migration")
	}
	return nil
}

// Update implements store.Store. fn runs on the writer goroutine, batched
// with other Updates in one transaction, inside its own savepoint. If ctx is
// done before fn runs, fn is skipped and Update returns ctx.Err(); once fn
// has run, Update waits for the commit whatever ctx does, so its answer is
// always the truth: nil means committed and synced. The statements fn runs
// are not interrupted when ctx ends (an interrupt would roll back the whole
// group), so fn should check ctx itself if it loops. A panic in fn is
// re-raised in the caller's goroutine, after fn's changes are rolled back.
//
// Every fn of a batch runs on the one writer goroutine, so a slow fn delays
// the others, and fn must not call Update itself: the writer would wait for
// its own answer.
func (db *DB) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return db.w.do(ctx, fn)
}

// View implements store.Store. fn sees one consistent snapshot of the
// database.
func (db *DB) View(ctx context.Context, fn func(tx store.Tx) error) error {
	var rc *readConn
	select {
	case rc = <-db.conns:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.done:
		return sqlstore.Unavailable("view", errClosed)
	}
	if rc.conn == nil {
		fresh, err := newReadConn(ctx, db.readers)
		if err != nil {
			db.conns <- rc
			return sqlstore.Unavailable("view", err)
		}
		rc = fresh
	}
	// The connection is query_only; BEGIN holds one snapshot of the
	// database for the whole of fn.
	if _, err := rc.conn.ExecContext(ctx, "BEGIN"); err != nil {
		db.replace(rc)
		return dialect.Err(err, "begin view")
	}
	defer func() {
		if _, err := rc.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			db.replace(rc)
			return
		}
		db.conns <- rc
	}()
	return fn(sqlstore.NewCachedTx(rc.conn, dialect, sqlstore.Cached{Stmts: rc.stmts}))
}

// replace closes a read connection that failed and puts a fresh one in its
// place (or, if none can be had now, retries when the next View needs it).
func (db *DB) replace(rc *readConn) {
	rc.close()
	fresh, err := newReadConn(context.Background(), db.readers)
	if err != nil {
		fresh = &readConn{} // opened by the next View
	}
	db.conns <- fresh
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	var rc *readConn
	select {
	case rc = <-db.conns:
	case <-ctx.Done():
		return sqlstore.Unavailable("ping sqlite store", ctx.Err())
	case <-db.done:
		return sqlstore.Unavailable("ping sqlite store", errClosed)
	}
	if rc.conn == nil {
		db.conns <- rc
		return sqlstore.Unavailable("ping sqlite store", errors.New("no read connection"))
	}
	var one int
	if err := rc.conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		db.replace(rc)
		return sqlstore.Unavailable("ping sqlite store", err)
	}
	db.conns <- rc
	return nil
}

// Close waits for the queued Updates to be committed, then closes the
// database. Update calls made after Close fail with ErrUnavailable.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.done) })
	db.w.close()
	return errors.Join(db.closeReaders(), db.readers.Close(), db.writer.Close())
}

// closeReaders closes the idle read connections.
func (db *DB) closeReaders() error {
	var errs []error
	for {
		select {
		case rc := <-db.conns:
			if rc.conn != nil {
				errs = append(errs, rc.close())
			}
		default:
			return errors.Join(errs...)
		}
	}
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Stats counts the work of the writer since Open.
type Stats struct {
	Updates  int64 // Update calls whose fn ran
	Batches  int64 // transactions committed or attempted
	MaxBatch int   // the most Updates one transaction held
}

// Stats returns the writer's counters: Updates/Batches is the mean group
// size, a measure of how much group commit saves.
func (db *DB) Stats() Stats { return db.w.stats() }

// errClosed is the cause of the error Update returns after Close.
var errClosed = errors.New("sqlite store is closed")
