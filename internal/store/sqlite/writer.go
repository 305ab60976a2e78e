package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
)

// call is one Update waiting for the writer.
type call struct {
	ctx  context.Context
	fn   func(store.Tx) error
	done chan result // buffered: the writer never blocks on it
	ran  bool        // fn ran without error
	res  result
}

// result is the answer to one call. panicked is set when fn panicked, with
// the value to re-raise in the caller's goroutine.
type result struct {
	err      error
	panicked bool
	panicVal any
}

// writer owns the single write connection and commits queued calls in
// groups.
type writer struct {
	db       *sql.DB
	maxBatch int
	calls    chan *call
	finished chan struct{}

	mu     sync.RWMutex // guards closed against sends on calls
	closed bool

	// conn is the write connection, kept across batches so that its
	// prepared statements (stmts) are parsed once; dropped after a failed
	// batch and opened afresh.
	conn  *sql.Conn
	stmts *sqlstore.StmtCache

	updates, batches atomic.Int64
	largest          atomic.Int64

	// afterBegin, if set, runs after each BEGIN IMMEDIATE; tests use it
	// to make a COMMIT fail.
	afterBegin func(context.Context, *sql.Conn) error
}

func newWriter(db *sql.DB, maxBatch int) *writer {
	return &writer{
		db:       db,
		maxBatch: maxBatch,
		calls:    make(chan *call, maxBatch),
		finished: make(chan struct{}),
	}
}

// do queues fn and waits for its answer.
func (w *writer) do(ctx context.Context, fn func(store.Tx) error) error {
	c := &call{ctx: ctx, fn: fn, done: make(chan result, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return sqlstore.Unavailable("update", errClosed)
	}
	select {
	case w.calls <- c:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	r := <-c.done
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

// close stops taking calls, lets the writer commit those already queued,
// and waits for it to finish.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.calls)
	}
	w.mu.Unlock()
	<-w.finished
}

// run is the writer goroutine: it takes every queued call, up to maxBatch,
// and commits them together, until calls is closed and drained.
func (w *writer) run() {
	defer close(w.finished)
	defer w.dropConn()
	batch := make([]*call, 0, w.maxBatch)
	for c := range w.calls {
		batch = append(batch[:0], c)
	fill:
		for len(batch) < w.maxBatch {
			select {
			case c, ok := <-w.calls:
				if !ok {
					break fill
				}
				batch = append(batch, c)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// commit runs batch in one BEGIN IMMEDIATE transaction, each call in its
// own savepoint, commits once and answers every call.
func (w *writer) commit(batch []*call) {
	w.batches.Add(1)
	if n := int64(len(batch)); n > w.largest.Load() {
		w.largest.Store(n)
	}
	ctx := context.Background()
	for _, c := range batch {
		c.res, c.ran = result{}, false
	}
	defer func() {
		for _, c := range batch {
			c.done <- c.res
		}
	}()

	if w.conn == nil {
		conn, err := w.db.Conn(ctx)
		if err != nil {
			w.fail(batch, dialect.Err(err, "connect"))
			return
		}
		w.conn, w.stmts = conn, sqlstore.NewStmtCache(conn.PrepareContext)
	}
	conn := w.conn
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		w.fail(batch, dialect.Err(err, "begin"))
		w.dropConn()
		return
	}
	if w.afterBegin != nil {
		if err := w.afterBegin(ctx, conn); err != nil {
			w.abort(conn, nil, batch, err)
			return
		}
	}
	tx := sqlstore.NewCachedTx(detached{conn}, dialect, sqlstore.Cached{Stmts: w.stmts, Detach: true})
	for i, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.res.err = err
			continue
		}
		if _, err := conn.ExecContext(ctx, "SAVEPOINT u"); err != nil {
			w.abort(conn, batch[:i+1], batch[i+1:], dialect.Err(err, "savepoint"))
			return
		}
		w.updates.Add(1)
		c.res = runFn(c.fn, tx)
		if c.res.err != nil || c.res.panicked {
			if _, err := conn.ExecContext(ctx, "ROLLBACK TO u"); err != nil {
				w.abort(conn, batch[:i+1], batch[i+1:], dialect.Err(err, "rollback to savepoint"))
				return
			}
		}
		if _, err := conn.ExecContext(ctx, "RELEASE u"); err != nil {
			w.abort(conn, batch[:i+1], batch[i+1:], dialect.Err(err, "release savepoint"))
			return
		}
		c.ran = c.res.err == nil && !c.res.panicked
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		w.abort(conn, batch, nil, dialect.Err(err, "commit"))
	}
}

// runFn runs fn, turning a panic into a result.
func runFn(fn func(store.Tx) error, tx store.Tx) (r result) {
	defer func() {
		if v := recover(); v != nil {
			r = result{panicked: true, panicVal: v}
		}
	}()
	return result{err: fn(tx)}
}

// abort rolls the transaction back after a failure of the transaction
// itself (not of one fn). Calls whose fn ran and succeeded, and those not
// run yet, get err; a call whose fn failed keeps its own error, since its
// changes were undone either way.
func (w *writer) abort(conn *sql.Conn, done, notRun []*call, err error) {
	conn.ExecContext(context.Background(), "ROLLBACK")
	w.dropConn()
	for _, c := range done {
		if c.ran || (c.res.err == nil && !c.res.panicked) {
			c.res = result{err: err}
		}
	}
	w.fail(notRun, err)
}

// dropConn closes the write connection and its statements; the next batch
// opens a fresh one.
func (w *writer) dropConn() {
	if w.conn == nil {
		return
	}
	w.stmts.Close()
	w.conn.Close()
	w.conn, w.stmts = nil, nil
}

// fail answers every call with err.
func (w *writer) fail(batch []*call, err error) {
	for _, c := range batch {
		c.res = result{err: err}
	}
}

func (w *writer) stats() Stats {
	return Stats{Updates: w.updates.Load(), Batches: w.batches.Load(), MaxBatch: int(w.largest.Load())}
}

// detached runs statements with the caller's context values but without its
// cancellation: the driver answers a cancelled context by interrupting the
// statement, and SQLite may then roll back the whole transaction, which
// holds other callers' work.
type detached struct{ q sqlstore.Querier }

func (d detached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.q.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.q.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.q.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}
