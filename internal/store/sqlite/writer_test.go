package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// These tests hold the writer inside one Update while others queue, so that
// the next transaction holds exactly the queued calls.

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "safeguard.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// hold starts an Update whose fn blocks until release is called, and
// returns once the writer is inside it. wait returns that Update's error.
func hold(t *testing.T, db *DB, fn func(store.Tx) error) (release func(), wait func() error) {
	t.Helper()
	started, released := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(context.Background(), func(tx store.Tx) error {
			close(started)
			<-released
			if fn != nil {
				return fn(tx)
			}
			return nil
		})
	}()
	<-started
	return func() { close(released) }, func() error { return <-done }
}

// queued waits until n calls wait in the writer's queue.
func queued(db *DB, n int) {
	for len(db.w.calls) < n {
		runtime.Gosched()
	}
}

func (w *writer) isClosed() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.closed
}

func createAccount(handle string) func(store.Tx) error {
	return func(tx store.Tx) error {
		return tx.CreateAccount(context.Background(), &safeguard.Account{Handle: handle}, "")
	}
}

// exists reports which of the handles have an account.
func exists(t *testing.T, db *DB, handles ...string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := db.View(t.Context(), func(tx store.Tx) error {
		for _, h := range handles {
			_, err := tx.AccountByHandle(t.Context(), h)
			switch {
			case err == nil:
				out[h] = true
			case !errors.Is(err, safeguard.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var errFail = errors.New("fn failed")

func TestGroupCommitSavepoints(t *testing.T) {
	db := openTest(t)
	release, wait := hold(t, db, nil)

	cancelled, cancel := context.WithCancel(t.Context())
	type call struct {
		ctx     context.Context
		handle  string
		fn      func(store.Tx) error
		wantErr error
		stored  bool
	}
	ran := make([]bool, 7)
	calls := []call{
		{t.Context(), "ok0", createAccount("ok0"), nil, true},
		{t.Context(), "bad1", func(tx store.Tx) error { createAccount("bad1")(tx); return errFail }, errFail, false},
		{t.Context(), "ok2", createAccount("ok2"), nil, true},
		{t.Context(), "dup3", createAccount("OK0"), safeguard.ErrConflict, false}, // taken in this same transaction
		{cancelled, "cancelled4", createAccount("cancelled4"), context.Canceled, false},
		{t.Context(), "bad5", func(tx store.Tx) error { createAccount("bad5")(tx); createAccount("ok6")(tx); return errFail }, errFail, false},
		{t.Context(), "ok6", createAccount("ok6"), nil, true}, // bad5's ok6 was rolled back
	}
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			errs[i] = db.Update(c.ctx, func(tx store.Tx) error { ran[i] = true; return c.fn(tx) })
		})
		queued(db, i+1) // keep the queue in order
	}
	cancel()
	release()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	var handles []string
	for i, c := range calls {
		handles = append(handles, c.handle)
		if !errors.Is(errs[i], c.wantErr) || (c.wantErr == nil && errs[i] != nil) {
			t.Errorf("%s: Update = %v, want %v", c.handle, errs[i], c.wantErr)
		}
	}
	if ran[4] {
		t.Errorf("fn of an Update cancelled while queued ran")
	}
	got := exists(t, db, handles...)
	for _, c := range calls {
		if got[c.handle] != c.stored {
			t.Errorf("%s stored = %v, want %v", c.handle, got[c.handle], c.stored)
		}
	}
	st := db.Stats()
	if st.Batches != 2 || st.MaxBatch != len(calls) || st.Updates != int64(len(calls)) {
		t.Errorf("Stats = %+v, want 2 batches, the largest of %d, %d updates run (one was skipped)", st, len(calls), len(calls))
	}
}

func TestGroupCommitPanic(t *testing.T) {
	db := openTest(t)
	release, wait := hold(t, db, nil)
	var wg sync.WaitGroup
	var recovered any
	var errOK error
	wg.Go(func() {
		defer func() { recovered = recover() }()
		db.Update(t.Context(), func(tx store.Tx) error { createAccount("panics")(tx); panic("boom") })
	})
	queued(db, 1)
	wg.Go(func() { errOK = db.Update(t.Context(), createAccount("fine")) })
	queued(db, 2)
	release()
	wait()
	wg.Wait()
	if recovered != "boom" {
		t.Errorf("recovered %v in the caller, want boom", recovered)
	}
	if errOK != nil {
		t.Errorf("Update in the same batch as a panic = %v", errOK)
	}
	if got := exists(t, db, "panics", "fine"); got["panics"] || !got["fine"] {
		t.Errorf("stored %v, want only fine", got)
	}
}

func TestCommitFailureFailsTheBatch(t *testing.T) {
	db := openTest(t)
	// With foreign keys deferred, a dangling reference fails at COMMIT.
	db.w.afterBegin = func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON")
		return err
	}
	release, wait := hold(t, db, createAccount("alone"))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = db.Update(t.Context(), createAccount("innocent")) })
	queued(db, 1)
	wg.Go(func() {
		errs[1] = db.Update(t.Context(), func(tx store.Tx) error {
			return tx.CreateMessage(context.Background(), &safeguard.Message{ConversationID: 12345, Kind: safeguard.TextMessage})
		})
	})
	queued(db, 2)
	release()
	if err := wait(); err != nil {
		t.Fatalf("the held Update, alone in its batch: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("Update %d in a batch whose COMMIT failed returned nil", i)
		}
	}
	if got := exists(t, db, "alone", "innocent"); !got["alone"] || got["innocent"] {
		t.Errorf("stored %v, want alone only", got)
	}
	// The writer goes on after a failed COMMIT.
	if err := db.Update(t.Context(), createAccount("after")); err != nil {
		t.Fatal(err)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "safeguard.db")
	db, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	release, wait := hold(t, db, nil)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = db.Update(t.Context(), createAccount(fmt.Sprint("queued", i))) })
	}
	queued(db, n)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	for !db.w.isClosed() {
		runtime.Gosched()
	}
	release()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("queued Update %d: %v", i, err)
		}
	}
	db, err = Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var handles []string
	for i := range n {
		handles = append(handles, fmt.Sprint("queued", i))
	}
	if got := exists(t, db, handles...); len(got) != n {
		t.Errorf("after Close and reopen, %d of %d queued accounts stored", len(got), n)
	}
}

func TestCancelWhileRunningDoesNotInterrupt(t *testing.T) {
	db := openTest(t)
	release, wait := hold(t, db, nil)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() {
		errA = db.Update(ctx, func(tx store.Tx) error {
			cancel() // the caller gives up while its fn runs
			return tx.CreateAccount(ctx, &safeguard.Account{Handle: "a"}, "")
		})
	})
	queued(db, 1)
	wg.Go(func() { errB = db.Update(t.Context(), createAccount("b")) })
	queued(db, 2)
	release()
	wait()
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("Updates = %v, %v; want nil, nil", errA, errB)
	}
	if got := exists(t, db, "a", "b"); !got["a"] || !got["b"] {
		t.Errorf("stored %v, want a and b", got)
	}
}
