package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	safeguard "github.com/safeguard-dev/safeguard"
)

// smallBatch is the largest batch a Dir stores file by file, as Put does: a
// sync of the whole file system costs more than a few files' own.
const smallBatch = 4

// writers is how many files a Dir writes at once in a batch.
const writers = 2

// PutAll implements Batcher, for keys not in use yet (one in use is an
// error of kind safeguard.ErrConflict, and the batch stores nothing). It
// writes each file at its own path, unsynced, then makes them all durable
// at once: on Linux with one syncfs(2) of the file system the directory is
// on, which also makes the new names durable; elsewhere file by file and
// directory by directory. Until PutAll returns, a reader of one of the keys
// may find part of its file, and a crash meanwhile may leave part of one:
// the keys of a batch are new, and no one is given them before it is
// stored (the keys of evidence items reach the database after).
func (d *Dir) PutAll(ctx context.Context, keys []string, data [][]byte) error {
	if len(keys) != len(data) {
		return fmt.Errorf("blob: %d keys for %d values", len(keys), len(data))
	}
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return err
		}
	}
	if len(keys) <= smallBatch {
		for i, k := range keys {
			if err := d.Put(ctx, k, data[i]); err != nil {
				deleteAll(ctx, d, keys[:i])
				return err
			}
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dirs, err := d.makeDirs(keys)
	if err != nil {
		return err
	}
	made, err := d.writeNew(keys, data)
	if err == nil {
		err = d.syncAll(append(made, dirs...))
	}
	if err != nil {
		for _, name := range made {
			os.Remove(name)
		}
		return err
	}
	return nil
}

// makeDirs makes the directories the files of keys go in, and returns them.
func (d *Dir) makeDirs(keys []string) ([]string, error) {
	seen := map[string]bool{}
	var dirs []string
	for _, k := range keys {
		dir := filepath.Dir(d.Path(k))
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// writeNew writes data[i] to the new file of keys[i], unsynced, a few at a
// time, and returns the files it made, whether or not all were.
func (d *Dir) writeNew(keys []string, data [][]byte) ([]string, error) {
	made := make([]string, len(keys))
	errs := make([]error, len(keys))
	next := make(chan int)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := range next {
				made[i], errs[i] = writeNew(d.Path(keys[i]), data[i])
			}
		})
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	out := made[:0]
	for _, name := range made {
		if name != "" {
			out = append(out, name)
		}
	}
	return out, errors.Join(errs...)
}

// writeNew writes data to the file path, which must not exist, and returns
// path if it made the file.
func writeNew(path string, data []byte) (string, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", &safeguard.Error{Kind: safeguard.ErrConflict, Code: "blob_exists",
			Message: "A file is already stored under this key.", Err: err}
	}
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return path, err
}

// syncAll makes the files named durable, with their contents or (for
// directories) their entries. Where the system can sync a whole file
// system at once, it does that instead.
func (d *Dir) syncAll(names []string) error {
	root, err := os.Open(d.root)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := syncFS(root); !errors.Is(err, errNoSyncFS) {
		return err
	}
	for _, name := range names {
		if err := syncFile(name); err != nil {
			return err
		}
	}
	return nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

var errNoSyncFS = errors.New("blob: no syncfs on this system")
