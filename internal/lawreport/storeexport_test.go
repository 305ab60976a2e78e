package lawreport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
)

// TestStoreExport: a package exported into a blob store has, under its
// reference, the files of a directory export, byte for byte but the
// receipt; a second export of the reference writes nothing and returns the
// first receipt.
func TestStoreExport(t *testing.T) {
	pkg := buildGolden(t)
	root := t.TempDir()
	if _, err := exporter(root).Submit(t.Context(), pkg); err != nil {
		t.Fatal(err)
	}
	files, err := blob.OpenDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	e := &lawreport.StoreExport{Files: files, Now: func() time.Time { return lawreporttest.Now.Add(time.Minute) }}
	rec, err := e.Submit(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Existing || rec.ID != lawreporttest.Reference || !rec.Test || rec.Destination != "file-export" {
		t.Errorf("receipt = %+v", rec)
	}
	keys, err := files.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, lawreporttest.Reference)
	if diff := cmp.Diff(prefixed(lawreporttest.Reference+"/", tree(t, dir)), keys); diff != "" {
		t.Fatalf("stored files (-directory export +store):\n%s", diff)
	}
	for _, name := range tree(t, dir) {
		if name == lawreport.ExportReceipt {
			continue
		}
		want, _ := os.ReadFile(filepath.Join(dir, name))
		got, err := files.Get(t.Context(), lawreporttest.Reference+"/"+name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the directory export (%v)", name, err)
		}
	}

	later := *pkg
	later.NCA = []byte(`{"changed": true}`)
	e.Now = func() time.Time { return lawreporttest.Now.Add(time.Hour) }
	again, err := e.Submit(t.Context(), &later)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing {
		t.Error("second export not marked Existing")
	}
	again.Existing = false
	if diff := cmp.Diff(rec, again); diff != "" {
		t.Errorf("second receipt differs (-first +second):\n%s", diff)
	}
	if b, _ := files.Get(t.Context(), lawreporttest.Reference+"/nca-report.json"); !bytes.Equal(b, pkg.NCA) {
		t.Error("the second export overwrote the first")
	}
}

// TestStoreExportUnfinished: files of an export that stopped before its
// receipt are written over by the next.
func TestStoreExportUnfinished(t *testing.T) {
	pkg := buildGolden(t)
	files, err := blob.OpenDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	if err := files.Put(t.Context(), lawreporttest.Reference+"/nca-report.json", []byte("half written")); err != nil {
		t.Fatal(err)
	}
	rec, err := (&lawreport.StoreExport{Files: files}).Submit(t.Context(), pkg)
	if err != nil || rec.Existing {
		t.Fatalf("Submit = %+v, %v", rec, err)
	}
	if b, _ := files.Get(t.Context(), lawreporttest.Reference+"/nca-report.json"); !bytes.Equal(b, pkg.NCA) {
		t.Error("the unfinished file was not written over")
	}
}

// slowStore is a blob store whose every Put takes a while, so that exports
// running at once overlap.
type slowStore struct{ blob.Store }

func (s slowStore) Put(ctx context.Context, key string, b []byte) error {
	time.Sleep(5 * time.Millisecond)
	return s.Store.Put(ctx, key, b)
}

// TestStoreExportAtOnce: servers exporting one reference at the same
// moment take turns under Lock: one writes the package, every other
// finds its receipt (Existing), and the stored receipt is that one's.
func TestStoreExportAtOnce(t *testing.T) {
	pkg := buildGolden(t)
	dir, err := blob.OpenDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	files := slowStore{dir}
	var mu sync.Mutex
	lock := func(ctx context.Context, reference string) (func(), error) {
		if reference != lawreporttest.Reference {
			t.Errorf("locked %q", reference)
		}
		mu.Lock()
		return mu.Unlock, nil
	}
	const servers = 4
	recs := make([]lawreport.Receipt, servers)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			e := &lawreport.StoreExport{Files: files, Lock: lock, Now: func() time.Time { return lawreporttest.Now.Add(time.Duration(i+1) * time.Minute) }}
			rec, err := e.Submit(t.Context(), pkg)
			if err != nil {
				t.Error(err)
			}
			recs[i] = rec
		})
	}
	wg.Wait()
	var first *lawreport.Receipt
	for i := range recs {
		if !recs[i].Existing {
			if first != nil {
				t.Fatalf("two exports wrote the package: %v and %v", first.SubmittedAt, recs[i].SubmittedAt)
			}
			first = &recs[i]
		}
	}
	if first == nil {
		t.Fatal("no export wrote the package")
	}
	for _, r := range recs {
		if !r.SubmittedAt.Equal(first.SubmittedAt) {
			t.Errorf("an export answered the receipt of %v, the package's is %v", r.SubmittedAt, first.SubmittedAt)
		}
	}
	b, err := files.Get(t.Context(), lawreporttest.Reference+"/"+lawreport.ExportReceipt)
	if err != nil {
		t.Fatal(err)
	}
	var stored lawreport.Receipt
	if err := json.Unmarshal(b, &stored); err != nil || !stored.SubmittedAt.Equal(first.SubmittedAt) {
		t.Errorf("the stored receipt is of %v (%v), the answer's %v", stored.SubmittedAt, err, first.SubmittedAt)
	}
}
