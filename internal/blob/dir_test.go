package blob_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/blob/blobtest"
)

func TestDir(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		d, err := blob.OpenDir(filepath.Join(t.TempDir(), "files"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestDirLayout: a key is a file at its path, 0600, in directories 0700, and
// nothing else is left beside it; a temporary file is not listed.
func TestDirLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "files")
	d, err := blob.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(t.Context(), "ab/abcdef", []byte("bytes")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "ab", "abcdef"))
	if err != nil || string(b) != "bytes" {
		t.Fatalf("file: %q, %v", b, err)
	}
	for path, want := range map[string]os.FileMode{root: 0o700 | os.ModeDir, filepath.Join(root, "ab"): 0o700 | os.ModeDir,
		filepath.Join(root, "ab", "abcdef"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, "ab"))
	if len(entries) != 1 {
		t.Errorf("ab holds %d entries, want the one file", len(entries))
	}
	if err := os.WriteFile(filepath.Join(root, "ab", ".tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := d.List(t.Context(), "")
	if err != nil || len(keys) != 1 || keys[0] != "ab/abcdef" {
		t.Fatalf("List = %q, %v; want [ab/abcdef]", keys, err)
	}
}

// TestDirPutAllFails: a batch that cannot be written whole leaves no file
// of it behind, final or temporary.
func TestDirPutAllFails(t *testing.T) {
	root := filepath.Join(t.TempDir(), "files")
	d, err := blob.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(t.Context(), "blocked", []byte("a file where a directory would go")); err != nil {
		t.Fatal(err)
	}
	keys := []string{"ab/one", "ab/two", "cd/three", "cd/four", "ef/five", "blocked/six", "ef/seven"}
	data := make([][]byte, len(keys))
	for i := range data {
		data[i] = []byte(keys[i])
	}
	if err := d.PutAll(t.Context(), keys, data); err == nil {
		t.Fatal("PutAll under a file succeeded")
	}
	var left []string
	filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && e.Name() != "blocked" {
			left = append(left, path)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("a failed batch left %q", left)
	}
	if err := d.PutAll(t.Context(), keys[:5], data[:5]); err != nil {
		t.Fatal(err)
	}
	again := []string{"gh/one", "gh/two", "gh/three", "gh/four", "ab/two", "gh/five"}
	if err := d.PutAll(t.Context(), again, data[:6]); !errors.Is(err, safeguard.ErrConflict) {
		t.Fatalf("PutAll over a key in use: %v, want ErrConflict", err)
	}
	if keys, _ := d.List(t.Context(), "gh/"); len(keys) != 0 {
		t.Fatalf("a batch refused for a key in use left %q", keys)
	}
	for i, k := range keys[:5] {
		if b, err := d.Get(t.Context(), k); err != nil || string(b) != string(data[i]) {
			t.Fatalf("Get(%s) = %q, %v", k, b, err)
		}
	}
}
