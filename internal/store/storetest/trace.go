package storetest

import (
	"context"
	"slices"
	"sync"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// Trace is the list of store calls made on behalf of one context: each
// transaction ("Update", "View") and each method called in it, in order.
// Tests use it to show that two requests cost the store the same work.
type Trace struct {
	mu    sync.Mutex
	calls []string
}

type traceKey struct{}

// WithTrace returns a context whose store calls, through a Traced store,
// are noted in tr.
func WithTrace(ctx context.Context, tr *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, tr)
}

func traceOf(ctx context.Context) *Trace {
	tr, _ := ctx.Value(traceKey{}).(*Trace)
	return tr
}

func (tr *Trace) note(call string) {
	if tr == nil {
		return
	}
	tr.mu.Lock()
	tr.calls = append(tr.calls, call)
	tr.mu.Unlock()
}

// Calls returns the calls noted so far.
func (tr *Trace) Calls() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.calls)
}

// Reset forgets the calls noted so far.
func (tr *Trace) Reset() {
	tr.mu.Lock()
	tr.calls = nil
	tr.mu.Unlock()
}

// Traced wraps a store so that the calls made with a context from
// WithTrace are noted in its trace: the transaction, then every method of
// store.Tx called in it (whatever context the method is given). Calls made
// with other contexts pass through unnoted.
func Traced(s store.Store) store.Store { return &traced{Store: s} }

type traced struct{ store.Store }

func (s *traced) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	tr := traceOf(ctx)
	if tr == nil {
		return s.Store.Update(ctx, fn)
	}
	tr.note("Update")
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(&tracedTx{Tx: tx, tr: tr}) })
}

func (s *traced) View(ctx context.Context, fn func(tx store.Tx) error) error {
	tr := traceOf(ctx)
	if tr == nil {
		return s.Store.View(ctx, fn)
	}
	tr.note("View")
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(&tracedTx{Tx: tx, tr: tr}) })
}

func (s *traced) Ping(ctx context.Context) error {
	traceOf(ctx).note("Ping")
	return s.Store.Ping(ctx)
}

// tracedTx notes every method of store.Tx (trace_tx.go, generated from
// internal/store by TestTracedTxUpToDate -update). The embedded Tx keeps it
// compiling when the contract gains a method before the file is generated
// again; that test then fails until it is.
type tracedTx struct {
	store.Tx
	tr *Trace
}
