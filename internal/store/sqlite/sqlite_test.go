package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
	"github.com/safeguard-dev/safeguard/internal/store/storetest"
)

// open returns a store on a new file in the test's temporary directory.
func open(tb testing.TB, opts sqlite.Options) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "safeguard.db"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, sqlite.Options{}) })
}

// TestStoreSmallBatches runs the suite with at most two Updates per commit,
// so that batches fill and the writer goes round many times.
func TestStoreSmallBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, sqlite.Options{MaxBatch: 2, ReadConns: 1}) })
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "safeguard.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &safeguard.Account{Handle: "kept"}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, a, "") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return nil }); !errors.Is(err, safeguard.ErrUnavailable) {
		t.Errorf("Update after Close = %v, want ErrUnavailable", err)
	}
	db = open2(t, path)
	err = db.View(ctx, func(tx store.Tx) error {
		got, err := tx.AccountByHandle(ctx, "kept")
		if err == nil && got.ID != a.ID {
			t.Errorf("after reopening, account ID %d, want %d", got.ID, a.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, want := countMigrations(t, path), migrationFiles(t); n != want {
		t.Errorf("schema_migrations has %d rows after two opens, want %d", n, want)
	}
}

// open2 opens an existing file and closes it when the test ends.
func open2(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rawDB opens the file with the driver directly, as another program would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// migrationFiles counts the migration files the store embeds.
func migrationFiles(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v (%d)", err, len(files))
	}
	return len(files)
}

func countMigrations(t *testing.T, path string) int {
	t.Helper()
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSchemaTooNew(t *testing.T) {
	path := open(t, sqlite.Options{}).Path()
	_, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database = %v, want ErrSchemaTooNew", err)
	}
}

func TestPragmas(t *testing.T) {
	path := open(t, sqlite.Options{}).Path()
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal (it persists in the file)", mode)
	}
}

// Durability: a child process writes through Update from several
// goroutines and prints each message ID once Update has returned; the
// parent kills it with SIGKILL mid-run, reopens the file and checks that
// every printed (acknowledged) message is there.

const helperEnv = "SAFEGUARD_SQLITE_CRASH_HELPER"

func TestDurability(t *testing.T) {
	if path := os.Getenv(helperEnv); path != "" {
		crashHelper(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurability$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 400 // acknowledged writes before the kill
	var acked []int64
	r := bufio.NewReader(out)
	killed := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break // EOF after the kill; a partial last line is not an acknowledgement
		}
		id, perr := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
		if perr != nil {
			t.Fatalf("helper printed %q", line)
		}
		acked = append(acked, id)
		if len(acked) == killAfter && !killed {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	io.Copy(io.Discard, out)
	cmd.Wait()
	if !killed {
		t.Fatalf("helper stopped by itself after %d writes", len(acked))
	}

	ctx := t.Context()
	db := open2(t, path)
	err = db.View(ctx, func(tx store.Tx) error {
		for _, id := range acked {
			if _, err := tx.Message(ctx, id); err != nil {
				t.Errorf("acknowledged message %d lost: %v", id, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged messages, all present after SIGKILL", len(acked))
}

// crashHelper writes messages until it is killed, printing each ID once its
// Update has returned nil.
func crashHelper(path string) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	a := &safeguard.Account{Handle: "writer"}
	conv := &safeguard.Conversation{Kind: safeguard.Group}
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, a, ""); err != nil {
			return err
		}
		return tx.CreateConversation(ctx, conv)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			// Bounded, so that a helper nobody kills still ends.
			for i := range 100_000 {
				m := &safeguard.Message{ConversationID: conv.ID, SenderID: a.ID, Kind: safeguard.TextMessage,
					Text: fmt.Sprintf("%d-%d", g, i), Status: safeguard.Delivered}
				if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateMessage(ctx, m) }); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintln(os.Stdout, m.ID) // one write per line
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

// BenchmarkCreateMessage measures Updates that each store one message and
// its event, from 1 to 64 goroutines, and without the event from 64;
// updates/commit is the mean group size.
func BenchmarkCreateMessage(b *testing.B) {
	for _, bench := range benchmarks {
		b.Run(bench.name, func(b *testing.B) {
			db := open(b, sqlite.Options{})
			storetest.BenchmarkCreateMessage(b, db, bench.writers, bench.event)
			st := db.Stats()
			b.ReportMetric(float64(st.Updates)/float64(st.Batches), "updates/commit")
		})
	}
}

var benchmarks = []struct {
	name    string
	writers int
	event   bool
}{
	{"writers=1", 1, true},
	{"writers=4", 4, true},
	{"writers=16", 16, true},
	{"writers=64", 64, true},
	{"writers=64/no-event", 64, false},
}

// TestViewAfterClose: a View or Ping after Close fails at once.
func TestViewAfterClose(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "closed.db"), sqlite.Options{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.View(t.Context(), func(store.Tx) error { return nil }); !errors.Is(err, safeguard.ErrUnavailable) {
		t.Errorf("View after Close = %v, want ErrUnavailable", err)
	}
	if err := db.Ping(t.Context()); !errors.Is(err, safeguard.ErrUnavailable) {
		t.Errorf("Ping after Close = %v, want ErrUnavailable", err)
	}
}
