package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// MaxCachedStmts bounds a StmtCache. Queries are a fixed set of constants
// (IN lists are padded to a few sizes), so the bound is never reached in
// practice; past it, queries are prepared afresh each time.
const MaxCachedStmts = 1024

// StmtCache prepares each query once and keeps the statement, so that a
// query is parsed once per connection rather than once per call. SQLite's
// parser is a large part of a small query's cost.
type StmtCache struct {
	prepare func(ctx context.Context, query string) (*sql.Stmt, error)
	mu      sync.RWMutex
	m       map[string]*sql.Stmt
}

// NewStmtCache returns a cache that prepares with prepare: a *sql.DB's or a
// *sql.Conn's PrepareContext.
func NewStmtCache(prepare func(ctx context.Context, query string) (*sql.Stmt, error)) *StmtCache {
	return &StmtCache{prepare: prepare, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, or nil when the cache is
// full (the caller then runs the query unprepared).
func (c *StmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	s := c.m[query]
	c.mu.RUnlock()
	if s != nil {
		return s, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.m[query]; s != nil {
		return s, nil
	}
	if len(c.m) >= MaxCachedStmts {
		return nil, nil
	}
	s, err := c.prepare(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	c.m[query] = s
	return s, nil
}

// Close closes every cached statement.
func (c *StmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, s := range c.m {
		errs = append(errs, s.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// Cached configures how a Tx uses a StmtCache.
type Cached struct {
	Stmts *StmtCache
	// Bind, if set, rebinds a cached statement to the transaction
	// (sql.Tx.StmtContext); unset, the statement runs as it is (prepared on
	// the very connection the transaction runs on).
	Bind func(ctx context.Context, s *sql.Stmt) *sql.Stmt
	// Detach runs statements without the caller's cancellation, as the
	// SQLite writer must.
	Detach bool
}

// NewCachedTx returns a Tx like NewTx whose statements come from a cache.
func NewCachedTx(q Querier, d *Dialect, c Cached) *Tx { return &Tx{q: q, d: d, cached: &c} }

// stmt returns the cached statement for query, rebound to the transaction
// if the cache asks for it, or nil when the query should run unprepared.
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.cached == nil {
		return nil
	}
	s, err := t.cached.Stmts.get(ctx, query)
	if err != nil || s == nil {
		// Let the plain path run it, and report its error if it has one.
		return nil
	}
	if t.cached.Bind != nil {
		// A rebound statement closes with its transaction.
		return t.cached.Bind(ctx, s)
	}
	return s
}

func (t *Tx) stmtCtx(ctx context.Context) context.Context {
	if t.cached.Detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
}
