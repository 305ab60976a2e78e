package lawreport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
)

func exporter(dir string) *lawreport.FileExport {
	return &lawreport.FileExport{Dir: dir, Now: func() time.Time { return lawreporttest.Now.Add(time.Minute) }}
}

// tree lists the files under dir, relative and sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileExport(t *testing.T) {
	pkg := buildGolden(t)
	root := t.TempDir()
	rec, err := exporter(root).Submit(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, lawreporttest.Reference)
	wantFiles := []string{
		"README.txt", "index.html", "media/01-beach.png", "nca-report.json",
		"ncmec-filedetails-01.xml", "ncmec-report.xml", "receipt.json", "thread.csv",
	}
	if diff := cmp.Diff(wantFiles, tree(t, dir)); diff != "" {
		t.Errorf("exported files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(tree(t, root), prefixed(lawreporttest.Reference+"/", wantFiles)); diff != "" {
		t.Errorf("left-overs in the export root:\n%s", diff)
	}
	if rec.Existing || rec.ID != dir || !rec.Test || rec.Destination != "file-export" {
		t.Errorf("receipt = %+v", rec)
	}
	for name, want := range map[string][]byte{"nca-report.json": pkg.NCA, "ncmec-report.xml": pkg.NCMEC, "thread.csv": pkg.Thread, "media/01-beach.png": syntheticImage(t)} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the package (%v)", name, err)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.txt"))
	checkGolden(t, "export-readme.golden.txt", readme)
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	checkGolden(t, "export-index.golden.html", index)

	// TEST on every page: every line of README.txt, and a fixed banner that
	// repeats on each printed page of index.html.
	for i, line := range strings.Split(strings.TrimSuffix(string(readme), "\n"), "\n") {
		if !strings.Contains(line, "TEST") {
			t.Errorf("README.txt line %d does not say TEST: %q", i+1, line)
		}
	}
	for _, want := range []string{"<title>TEST", `class="test"`, "position: fixed", "<h1>TEST"} {
		if !bytes.Contains(index, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	fd, _ := os.ReadFile(filepath.Join(dir, "ncmec-filedetails-01.xml"))
	if err := xmllint(t, map[string][]byte{"fd": fd}); err != nil {
		t.Errorf("exported file details: %v", err)
	}
}

func prefixed(p string, names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, p+n)
	}
	return out
}

func TestFileExportNotTest(t *testing.T) {
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.Test = false
	inc.Reference = "SG-2026-000124"
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if _, err := exporter(root).Submit(t.Context(), pkg); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"README.txt", "index.html", "nca-report.json", "ncmec-report.xml"} {
		b, err := os.ReadFile(filepath.Join(root, inc.Reference, name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("TEST")) || bytes.Contains(b, []byte(`"test": true`)) {
			t.Errorf("%s of a real report is marked as a test", name)
		}
	}
}

func TestFileExportIdempotent(t *testing.T) {
	pkg := buildGolden(t)
	root := t.TempDir()
	first, err := exporter(root).Submit(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	// A retry, even of a package built later, files nothing.
	later := *pkg
	later.NCA = []byte(`{"changed": true}`)
	e := exporter(root)
	e.Now = func() time.Time { return lawreporttest.Now.Add(time.Hour) }
	again, err := e.Submit(t.Context(), &later)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing {
		t.Error("retry not marked Existing")
	}
	again.Existing = false
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("retry receipt differs (-first +retry):\n%s", diff)
	}
	b, _ := os.ReadFile(filepath.Join(root, lawreporttest.Reference, "nca-report.json"))
	if !bytes.Equal(b, pkg.NCA) {
		t.Error("retry overwrote the filed report")
	}
}

func TestFileExportConcurrent(t *testing.T) {
	pkg := buildGolden(t)
	root := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	recs := make([]lawreport.Receipt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { recs[i], errs[i] = exporter(root).Submit(t.Context(), pkg) })
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submit %d: %v", i, errs[i])
		}
		if !recs[i].Existing {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d submits filed the report, want exactly 1", fresh)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("export root holds %d entries, want 1 (no temporary left)", len(entries))
	}
}

// TestFileExportAtomic: an export that fails half way (the evidence store
// fails while the media file is copied) leaves nothing behind, and a retry
// then files the report whole.
func TestFileExportAtomic(t *testing.T) {
	img := lawreporttest.Image(1)
	inc := lawreporttest.Incident(img)
	opens := 0
	inc.Content[0].Data = nil
	inc.Content[0].Open = func() (io.ReadCloser, error) {
		opens++
		if opens == 2 { // Build hashes on the first open; the export is the second
			return nil, errors.New("evidence store unavailable")
		}
		return io.NopCloser(bytes.NewReader(img)), nil
	}
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if _, err := exporter(root).Submit(t.Context(), pkg); err == nil || !strings.Contains(err.Error(), "evidence store unavailable") {
		t.Fatalf("Submit = %v, want the evidence store's error", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("failed export left %d entries", len(entries))
	}
	rec, err := exporter(root).Submit(t.Context(), pkg)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if rec.Existing {
		t.Error("retry after a failed export claims an existing filing")
	}
	if got := tree(t, filepath.Join(root, lawreporttest.Reference)); len(got) != 8 {
		t.Errorf("retry wrote %d files, want 8", len(got))
	}
}

func TestFileExportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	root := t.TempDir()
	if _, err := exporter(root).Submit(ctx, buildGolden(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("Submit = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("cancelled export left %d entries", len(entries))
	}
}

func TestFileExportConflict(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, lawreporttest.Reference), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := exporter(root).Submit(t.Context(), buildGolden(t))
	if !errors.Is(err, safeguard.ErrConflict) {
		t.Errorf("Submit over a directory without a receipt = %v, want ErrConflict", err)
	}
}

func TestFileExportRefusesBadPackage(t *testing.T) {
	for name, pkg := range map[string]*lawreport.Package{
		"nil":           nil,
		"bad reference": {Reference: "../up", NCA: []byte("{}")},
		"no report":     {Reference: "x"},
	} {
		if _, err := exporter(t.TempDir()).Submit(t.Context(), pkg); !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("%s: Submit = %v, want ErrInvalid", name, err)
		}
	}
}

// TestExportLogsHoldNoContent: the export logs its reference, never the
// people, text or hashes in the package.
func TestExportLogsHoldNoContent(t *testing.T) {
	const canary = "canary-5b1c2a"
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.Summary += " " + canary
	inc.Children[0].Handle = canary
	inc.Thread[1].Text = canary
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	e := exporter(t.TempDir())
	e.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	if _, err := e.Submit(t.Context(), pkg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logs.Bytes(), []byte(lawreporttest.Reference)) {
		t.Errorf("the export was not logged: %s", logs.String())
	}
	for _, secret := range []string{canary, inc.Content[0].MD5, lawreporttest.PDQ, "synthetic_adult"} {
		if bytes.Contains(logs.Bytes(), []byte(secret)) {
			t.Errorf("logs contain %q: %s", secret, logs.String())
		}
	}
}
