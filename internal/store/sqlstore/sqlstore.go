// Package sqlstore is the one implementation of store.Tx over database/sql,
// shared by the SQLite and PostgreSQL stores. Every query is written once,
// with ? placeholders, and runs unchanged on both databases; what differs
// between them (placeholder style, how driver errors read, how rows are
// locked) is described by a small Dialect that each store
// supplies.
//
// Values are stored the same way on both databases: times as BIGINT Unix
// microseconds (read back in UTC, so sub-microsecond precision is dropped),
// dates as TEXT YYYY-MM-DD (empty for the zero Date), byte strings as
// BLOB/BYTEA (an empty one reads back as nil), booleans as Go bool, network
// addresses as TEXT plus an INTEGER port. The Origin.At of a session, message
// or media row is its created_at.
//
// Methods that address one row by key (Account, Contact, Session, …,
// UpdateAccount, DeleteContact, SetMessageStatus) return an error matching
// safeguard.ErrNotFound when the row does not exist. Deletions of sets
// (DeleteSessions, DeleteGuardianCode, DeleteBlock) are idempotent. Unique
// violations are safeguard.ErrConflict; they are detected with ON CONFLICT DO
// NOTHING, so the transaction stays usable on PostgreSQL as on SQLite.
package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// Querier runs statements: a *sql.Tx, a *sql.Conn or a *sql.DB.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Dialect describes what differs between the databases. A Dialect must not
// be copied after first use.
type Dialect struct {
	// Name names the database in error messages: "sqlite", "postgres".
	Name string
	// Numbered is true when the driver wants $1, $2, … placeholders
	// instead of ?.
	Numbered bool
	// LockRows, if not empty, ends a SELECT that locks the rows it reads
	// until the transaction ends: " FOR UPDATE" on PostgreSQL. SQLite has
	// one writer at a time and needs none.
	LockRows string
	// SkipLocked, if not empty, ends a SELECT that locks the rows it reads
	// and passes over rows another transaction has locked: " FOR UPDATE
	// SKIP LOCKED" on PostgreSQL, where several servers claim queued
	// events at once.
	SkipLocked string
	// ChainLock, if not empty, is run before the evidence log's head is
	// read: a lock held until the transaction ends, so that the
	// transactions that append to the one chain take turns. SQLite has one
	// writer at a time and needs none.
	ChainLock string
	// KeyLock, if not empty, takes a lock on the one argument it is given
	// (a string), held until the transaction ends. SQLite has one writer
	// at a time and needs none.
	KeyLock string
	// Classify tells what kind of failure a driver error is. It must see
	// through wrapping (errors.As).
	Classify func(err error) Class

	rebound sync.Map // query with ? → query with $n
}

// Rebind returns query with its ? placeholders rewritten for the dialect.
// Results are cached: queries are a fixed set of constants (IN lists are
// padded to a few sizes, see inList).
func (d *Dialect) Rebind(query string) string {
	if !d.Numbered {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	q := numbered(query)
	d.rebound.Store(query, q)
	return q
}

// numbered rewrites ? as $1, $2, … outside quoted strings and identifiers.
func numbered(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Tx implements store.Tx over a Querier, normally one database transaction.
type Tx struct {
	q      Querier
	d      *Dialect
	cached *Cached // nil: statements prepared by the driver on each call
}

var _ store.Tx = (*Tx)(nil)

// NewTx returns a store.Tx that runs its statements through q, which should
// be inside a transaction: Tx issues no BEGIN or COMMIT of its own.
func NewTx(q Querier, d *Dialect) *Tx { return &Tx{q: q, d: d} }

func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = t.d.Rebind(query)
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(t.stmtCtx(ctx), args...)
	}
	return t.q.ExecContext(ctx, query, args...)
}

func (t *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = t.d.Rebind(query)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(t.stmtCtx(ctx), args...)
	}
	return t.q.QueryContext(ctx, query, args...)
}

func (t *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = t.d.Rebind(query)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(t.stmtCtx(ctx), args...)
	}
	return t.q.QueryRowContext(ctx, query, args...)
}

// insertID runs an INSERT … ON CONFLICT DO NOTHING RETURNING id and returns
// the new ID, or sql.ErrNoRows when a unique constraint turned it away.
func (t *Tx) insertID(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := t.queryRow(ctx, query, args...).Scan(&id)
	return id, err
}

// affected returns ErrNotFound when res changed no row.
func (t *Tx) affected(res sql.Result, err error, what string) error {
	if err != nil {
		return t.d.Err(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.d.Err(err, what)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row of rows with scan.
func collect[T any](rows *sql.Rows, err error, d *Dialect, what string, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, d.Err(err, what)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, d.Err(err, what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, d.Err(err, what)
	}
	return out, nil
}
