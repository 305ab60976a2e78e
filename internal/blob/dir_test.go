package blob_test

import (
	"os"
	"path/filepath"
	"testing"

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
