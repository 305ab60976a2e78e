package evidence_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// backend is a store and a raw connection to its database, for the tests
// that tamper with the log as an intruder with database access would, and
// a way to open another store on the same database, as another server or
// a command would.
type backend struct {
	st    store.Store
	raw   *sql.DB
	again func(t *testing.T) store.Store
}

func backends(t *testing.T) map[string]func(t *testing.T) backend {
	m := map[string]func(t *testing.T) backend{
		"sqlite": func(t *testing.T) backend {
			path := filepath.Join(t.TempDir(), "x.db")
			open := func(t *testing.T) store.Store {
				st, err := sqlite.Open(t.Context(), path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			st := open(t)
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			return backend{st, raw, open}
		},
	}
	if pgtest.Enabled() {
		m["postgres"] = func(t *testing.T) backend {
			dsn := pgtest.Schema(t)
			st := pgtest.OpenDSN(t, dsn)
			raw, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			return backend{st, raw, func(t *testing.T) store.Store { return pgtest.OpenDSN(t, dsn) }}
		}
	}
	return m
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 5, 4, 16, 20, 0, 0, time.UTC)

// fixture is a vault with one decided case holding three items.
type fixture struct {
	backend
	vault *evidence.Vault
	items *media.Sealed
	pub   ed25519.PublicKey
	clock *clock
	c     *safeguard.Case
}

func newFixture(t *testing.T, open func(t *testing.T) backend) *fixture {
	t.Helper()
	b := open(t)
	key := make([]byte, media.KeySize)
	rand.Read(key)
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	clk := &clock{t0}
	f := &fixture{backend: b, vault: evidence.New(items, priv, clk.now), items: items, pub: pub, clock: clk}
	f.c = &safeguard.Case{SenderID: 1, ContentKey: "sha256:aa", Status: safeguard.CaseOpen, Priority: 2, CreatedAt: t0, UpdatedAt: t0}
	if err := b.st.Update(t.Context(), func(tx store.Tx) error { return tx.CreateCase(t.Context(), f.c) }); err != nil {
		t.Fatal(err)
	}
	f.preserve(t, f.c.ID,
		evidence.Item{Kind: "message", Ref: "message:10", ContentType: "application/json", Class: safeguard.RetainContent, Data: []byte(`{"id":10}`)},
		evidence.Item{Kind: "media", Ref: "media:3", ContentType: "image/png", Class: safeguard.RetainContent, Data: []byte("synthetic image bytes")},
		evidence.Item{Kind: "report", Ref: "report:SG-1", ContentType: "application/json", Class: safeguard.RetainReference, Data: []byte(`{"reference":"SG-1"}`)},
	)
	return f
}

func (f *fixture) preserve(t *testing.T, caseID int64, items ...evidence.Item) []safeguard.EvidenceEntry {
	t.Helper()
	ctx := t.Context()
	staged, err := f.vault.Stage(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	var out []safeguard.EvidenceEntry
	err = f.st.Update(ctx, func(tx store.Tx) (err error) { out, err = f.vault.Append(ctx, tx, caseID, staged); return })
	if err != nil {
		f.vault.Discard(ctx, staged)
		t.Fatal(err)
	}
	return out
}

func (f *fixture) verify(t *testing.T) *evidence.Report {
	t.Helper()
	r, err := evidence.Verify(t.Context(), f.st, f.pub, f.items)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) exec(t *testing.T, query string) {
	t.Helper()
	if _, err := f.raw.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// wantProblem fails unless the report names entry seq with a problem
// containing text.
func wantProblem(t *testing.T, r *evidence.Report, seq int64, text string) {
	t.Helper()
	for _, p := range r.Problems {
		if p.Seq == seq && strings.Contains(p.Text, text) {
			return
		}
	}
	t.Errorf("want a problem with entry %d containing %q; got %v", seq, text, r.Problems)
}

func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newFixture(t, open))
		})
	}
}

func TestVerifyIntact(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		r := f.verify(t)
		if !r.OK() || r.Entries != 3 || r.Items != 3 || r.ItemsChecked != 3 || r.Checkpoints != 1 {
			t.Fatalf("intact log: %+v", r)
		}
		f.preserve(t, f.c.ID, evidence.Item{Kind: "account", Ref: "account:1", Class: safeguard.RetainContent, Data: []byte("{}")})
		if r := f.verify(t); !r.OK() || r.Entries != 4 || r.Checkpoints != 2 {
			t.Fatalf("after a second append: %+v", r)
		}
		_, err := evidence.Verify(t.Context(), f.st, nil, nil)
		if err == nil {
			t.Error("Verify without a pinned key succeeded")
		}
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		r = must(evidence.Verify(t.Context(), f.st, other, nil))
		wantProblem(t, r, 3, "not signed by the pinned key")
		if !r.WrongKey() || r.CheckpointsSigned != 0 {
			t.Errorf("another key on an intact log: WrongKey false, %+v", r)
		}
		if r := f.verify(t); r.WrongKey() || r.CheckpointsSigned != 2 {
			t.Errorf("the pinned key: WrongKey or %d checkpoints signed, want 2", r.CheckpointsSigned)
		}
	})
}

// TestWrongKeyIsNotTampering: another key on a log also tampered with is
// not only the wrong key.
func TestWrongKeyIsNotTampering(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.exec(t, `UPDATE evidence_log SET ref = 'message:11' WHERE seq = 2`)
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		r := must(evidence.Verify(t.Context(), f.st, other, nil))
		if r.WrongKey() {
			t.Errorf("a tampered log read with another key is called only the wrong key: %+v", r.Problems)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		seq    int64
		text   string
	}{
		{"one byte of a ref", `UPDATE evidence_log SET ref = 'message:11' WHERE seq = 2`, 2, "do not match its hash (edited)"},
		{"a digest", `UPDATE evidence_log SET size = size + 1 WHERE seq = 1`, 1, "do not match its hash"},
		{"an entry removed", `DELETE FROM evidence_log WHERE seq = 2`, 3, "missing (deleted from the log)"},
		{"the last entry removed", `DELETE FROM evidence_log WHERE seq = 3`, 3, "the log has 2 (entries were deleted)"},
		{"an entry's hash rewritten", `UPDATE evidence_log SET hash = prev_hash WHERE seq = 2`, 3, "does not follow entry 2"},
		{"an entry appended without the key", `INSERT INTO evidence_log (seq, at, case_id, kind, item_kind, ref, class, size, storage_key, target, reason, prev_hash, hash)
			SELECT 4, at, case_id, kind, item_kind, 'message:99', class, size, storage_key, 0, '', hash, hash FROM evidence_log WHERE seq = 3`, 4, "not covered by a signed checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			each(t, func(t *testing.T, f *fixture) {
				f.exec(t, tt.tamper)
				r := f.verify(t)
				if r.OK() {
					t.Fatal("tampered log verified")
				}
				wantProblem(t, r, tt.seq, tt.text)
			})
		})
	}
}

func TestVerifyFindsItemDeletedWithoutTombstone(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		var key string
		if err := f.raw.QueryRow(`SELECT storage_key FROM evidence_log WHERE seq = 2`).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if err := f.items.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, f.verify(t), 2, "missing, with no tombstone")
		if r := must(evidence.Verify(t.Context(), f.st, f.pub, nil)); !r.OK() {
			t.Errorf("without the item store the log alone verifies: %v", r.Problems)
		}
	})
}

// TestVerifyTellsAnotherItemStoreApart: an item store holding none of the
// log's items is one problem that says so (most likely not this log's
// store), not one deletion per item; one item gone from the right store is
// still that item's deletion.
func TestVerifyTellsAnotherItemStoreApart(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		other, err := media.OpenDisk(t.TempDir(), make([]byte, media.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		r := must(evidence.Verify(t.Context(), f.st, f.pub, other))
		if !r.NoItemFound() || r.ItemsMissing != 3 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Text, "none of the 3 items") {
			t.Errorf("another item store: NoItemFound %v, %d missing, problems %v", r.NoItemFound(), r.ItemsMissing, r.Problems)
		}
		var key string
		if err := f.raw.QueryRow(`SELECT storage_key FROM evidence_log WHERE seq = 1`).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if err := f.items.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		r = f.verify(t)
		if r.NoItemFound() || r.ItemsMissing != 1 {
			t.Errorf("one item deleted: NoItemFound %v, %d missing", r.NoItemFound(), r.ItemsMissing)
		}
		wantProblem(t, r, 1, "missing, with no tombstone")
	})
}

func TestRetention(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		pol := evidence.Retention{}
		// Undecided: nothing is due, however late.
		res, err := f.vault.Retain(ctx, f.st, pol, t0.Add(10*evidence.ReferencePeriod))
		if err != nil || res.Deleted != 0 {
			t.Fatalf("undecided case: %+v, %v", res, err)
		}
		// Decided to report, and the report not filed (waiting to be
		// submitted by hand, or failed): kept, however late.
		for _, st := range []safeguard.CaseStatus{safeguard.CaseAwaitingSubmission, safeguard.CaseReportFailed} {
			f.c.Status, f.c.Decision, f.c.DecidedAt = st, safeguard.ReportLE, t0
			if err := f.st.Update(ctx, func(tx store.Tx) error { return tx.UpdateCase(ctx, f.c) }); err != nil {
				t.Fatal(err)
			}
			if res, err := f.vault.Retain(ctx, f.st, pol, t0.Add(10*evidence.ReferencePeriod)); err != nil || res.Deleted != 0 {
				t.Fatalf("a report %s: %+v, %v", st, res, err)
			}
		}
		f.c.Status, f.c.Decision, f.c.DecidedAt, f.c.ReportedAt = safeguard.CaseReported, safeguard.ReportLE, t0, t0.Add(time.Hour)
		f.c.LegalHold, f.c.HoldReason = true, "police request"
		if err := f.st.Update(ctx, func(tx store.Tx) error { return tx.UpdateCase(ctx, f.c) }); err != nil {
			t.Fatal(err)
		}
		later := t0.Add(2 * evidence.ReferencePeriod)
		if res, err := f.vault.Retain(ctx, f.st, pol, later); err != nil || res.Deleted != 0 || res.Held != 1 {
			t.Fatalf("legal hold: %+v, %v", res, err)
		}
		f.c.LegalHold = false
		if err := f.st.Update(ctx, func(tx store.Tx) error { return tx.UpdateCase(ctx, f.c) }); err != nil {
			t.Fatal(err)
		}
		// A day short of a year after the report: nothing.
		justBefore := f.c.ReportedAt.Add(evidence.ContentPeriod - 24*time.Hour)
		if res, err := f.vault.Retain(ctx, f.st, pol, justBefore); err != nil || res.Deleted != 0 {
			t.Fatalf("before a year: %+v, %v", res, err)
		}
		// A year after the report: content goes, the reference stays.
		f.clock.t = f.c.ReportedAt.Add(evidence.ContentPeriod)
		res, err = f.vault.Retain(ctx, f.st, pol, f.clock.t)
		if err != nil || res.Deleted != 2 {
			t.Fatalf("after a year: %+v, %v", res, err)
		}
		r := f.verify(t)
		if !r.OK() || r.Tombstones != 2 || r.ItemsChecked != 1 {
			t.Fatalf("after retention: %+v", r)
		}
		if _, _, err := f.vault.Read(ctx, f.st, f.c.ID, 2, "mod_a", "appeal"); safeguard.ErrorCode(err) != "evidence_deleted" {
			t.Errorf("read of a deleted item: %v", err)
		}
		_, data, err := f.vault.Read(ctx, f.st, f.c.ID, 3, "mod_a", "check the reference")
		if err != nil || !bytes.Contains(data, []byte("SG-1")) {
			t.Fatalf("the reference is kept: %q, %v", data, err)
		}
		// Running again changes nothing; five years on, the reference goes.
		if res, err := f.vault.Retain(ctx, f.st, pol, f.clock.t); err != nil || res.Deleted != 0 {
			t.Fatalf("second run: %+v, %v", res, err)
		}
		if res, err := f.vault.Retain(ctx, f.st, pol, f.c.ReportedAt.Add(evidence.ReferencePeriod)); err != nil || res.Deleted != 1 {
			t.Fatalf("after five years: %+v, %v", res, err)
		}
		if r := f.verify(t); !r.OK() || r.Tombstones != 3 {
			t.Fatalf("after all retention: %+v", r)
		}
		// A forged tombstone, signed by another key, is found.
		f.exec(t, `UPDATE evidence_log SET signature = hash WHERE seq = 4`)
		wantProblem(t, f.verify(t), 4, "")
	})
}

// TestRetentionAtOnce: retention run by several servers and commands at
// once, each with its own connections to the database, writes one
// tombstone per item, and the log verifies.
func TestRetentionAtOnce(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		items := 3 // the fixture's case
		for sender := range int64(2) {
			c := &safeguard.Case{SenderID: 2 + sender, ContentKey: "sha256:bb", Status: safeguard.CaseOpen, Priority: 2, CreatedAt: t0, UpdatedAt: t0}
			if err := f.st.Update(ctx, func(tx store.Tx) error { return tx.CreateCase(ctx, c) }); err != nil {
				t.Fatal(err)
			}
			var add []evidence.Item
			for i := range 7 {
				add = append(add, evidence.Item{Kind: "message", Ref: fmt.Sprintf("message:%d", 100*c.ID+int64(i)),
					ContentType: "application/json", Class: safeguard.RetainContent, Data: fmt.Appendf(nil, `{"id":%d}`, i)})
			}
			f.preserve(t, c.ID, add...)
			items += len(add)
		}
		err := f.st.Update(ctx, func(tx store.Tx) error {
			cs, err := tx.Cases(ctx, store.CaseQuery{ByID: true, Limit: 10})
			for _, c := range cs {
				c.Status, c.Decision, c.DecidedAt = safeguard.CaseDecided, safeguard.RemoveContent, t0
				if err == nil {
					err = tx.UpdateCase(ctx, c)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		const runs = 6
		stores := make([]store.Store, runs)
		for i := range stores {
			stores[i] = f.again(t)
		}
		f.clock.t = t0.Add(2 * evidence.ReferencePeriod)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			deleted atomic.Int64
		)
		for _, st := range stores {
			wg.Go(func() {
				<-start
				res, err := f.vault.Retain(ctx, st, evidence.Retention{}, f.clock.t)
				if err != nil {
					t.Error(err)
				}
				deleted.Add(int64(res.Deleted))
			})
		}
		close(start)
		wg.Wait()
		r := f.verify(t)
		if !r.OK() || r.Tombstones != int64(items) {
			t.Errorf("%d items retained by %d runs at once: %d tombstones, problems %v", items, runs, r.Tombstones, r.Problems)
		}
		if n := deleted.Load(); n != int64(items) {
			t.Errorf("the runs say they deleted %d items, want %d", n, items)
		}
	})
}

func TestReadIsAudited(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		if _, _, err := f.vault.Read(ctx, f.st, f.c.ID, 2, "mod_a", ""); !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("read without a reason: %v", err)
		}
		if _, _, err := f.vault.Read(ctx, f.st, f.c.ID+1, 2, "mod_a", "look"); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("read through another case: %v", err)
		}
		e, data, err := f.vault.Read(ctx, f.st, f.c.ID, 2, "mod_a", "review of the case")
		if err != nil || string(data) != "synthetic image bytes" || e.Ref != "media:3" {
			t.Fatalf("Read = %v, %q, %v", e, data, err)
		}
		var reads []safeguard.EvidenceRead
		f.st.View(ctx, func(tx store.Tx) (err error) { reads, err = tx.EvidenceReads(ctx, f.c.ID); return })
		if len(reads) != 1 || reads[0].Who != "mod_a" || reads[0].Why != "review of the case" || reads[0].Seq != 2 {
			t.Errorf("reads recorded: %+v", reads)
		}
	})
}

func TestKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evidence.key")
	pub, err := evidence.GenerateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.GenerateKey(path); err == nil {
		t.Error("GenerateKey overwrote an existing key")
	}
	priv, err := evidence.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Error("loaded key does not match the public key")
	}
	parsed, err := evidence.ParsePublicKey(strings.ToUpper(hexOf(pub)))
	if err != nil || !parsed.Equal(pub) {
		t.Errorf("ParsePublicKey: %v", err)
	}
	for _, bad := range []string{"", "zz", hexOf(pub)[:10]} {
		if _, err := evidence.ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) succeeded", bad)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add("00")
	f.Add(strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, s string) {
		k, err := evidence.ParsePublicKey(s)
		if err == nil && len(k) != ed25519.PublicKeySize {
			t.Fatalf("ParsePublicKey(%q) = %d bytes", s, len(k))
		}
	})
}
