package sqlite_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// TestOwnerOnly checks that the database and its -wal and -shm files are
// readable by their owner only: made so in a directory Open creates, and
// tightened when an older version left them 0644.
func TestOwnerOnly(t *testing.T) {
	for _, existing := range []bool{false, true} {
		name := map[bool]string{false: "new", true: "left 0644"}[existing]
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			path := filepath.Join(dir, "safeguard.db")
			if existing {
				os.Mkdir(dir, 0o755)
				for _, f := range []string{path, path + "-wal", path + "-shm"} {
					if err := os.WriteFile(f, nil, 0o644); err != nil {
						t.Fatal(err)
					}
					os.Chmod(f, 0o644)
				}
			}
			db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := t.Context()
			if err := db.Update(ctx, func(tx store.Tx) error {
				return tx.CreateAccount(ctx, &safeguard.Account{Handle: "modes"}, "")
			}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: %v, want -rw-------", filepath.Base(f), fi.Mode().Perm())
				}
			}
			if !existing {
				fi, _ := os.Stat(dir)
				if fi.Mode()&fs.ModePerm != 0o700 {
					t.Errorf("directory made %v, want drwx------", fi.Mode())
				}
			}
		})
	}
}

// TestMustExist: with MustExist, a missing database is an error that wraps
// fs.ErrNotExist and nothing is made, not even its directory; one that is
// there opens.
func TestMustExist(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "data", "safeguard.db")
	if _, err := sqlite.Open(t.Context(), path, sqlite.Options{MustExist: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open a missing database: %v, want fs.ErrNotExist", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) > 0 {
		t.Fatalf("opening a missing database made %v", entries)
	}
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(t.Context(), path, sqlite.Options{MustExist: true})
	if err != nil {
		t.Fatalf("open an existing database: %v", err)
	}
	db.Close()
}
