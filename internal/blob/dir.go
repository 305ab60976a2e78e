package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Dir is a Store in a directory: the bytes under key "ab/cd" are the file
// ab/cd in it. Directories are made 0700 and files 0600. A file is written
// under a temporary name beside its final one (".tmp-…"), synced and
// renamed into place, so a crash leaves either the whole file or nothing.
type Dir struct {
	root string
}

var (
	_ Store   = (*Dir)(nil)
	_ Batcher = (*Dir)(nil)
)

// OpenDir opens the directory root, making it (0700) if it does not exist.
func OpenDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	return &Dir{root: root}, nil
}

// Root is the directory the store is in.
func (d *Dir) Root() string { return d.root }

// Path is the file that holds key's bytes.
func (d *Dir) Path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

// Put implements Store.
func (d *Dir) Put(ctx context.Context, key string, data []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path := d.Path(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(d.Path(key))
	if errors.Is(err, fs.ErrNotExist) || isDirErr(err) {
		return nil, safeguard.NotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return b, nil
}

// isDirErr reports whether err comes from reading a directory as a file,
// or from a path through a file: no bytes are stored under that key.
func isDirErr(err error) bool {
	return errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR)
}

// Stat implements Store.
func (d *Dir) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(d.Path(key))
	if errors.Is(err, fs.ErrNotExist) || isDirErr(err) || (err == nil && !fi.Mode().IsRegular()) {
		return Info{}, safeguard.NotFound
	}
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete implements Store.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	err := os.Remove(d.Path(key))
	if errors.Is(err, fs.ErrNotExist) || isDirErr(err) {
		return nil
	}
	return err
}

// List implements Store. Temporary files are not listed.
func (d *Dir) List(ctx context.Context, prefix string) ([]string, error) {
	start := d.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		if !ValidKey(prefix[:i]) {
			return nil, nil
		}
		start = d.Path(prefix[:i])
	}
	var keys []string
	err := filepath.WalkDir(start, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == start {
				return filepath.SkipAll
			}
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && path != start {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(d.root, path)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	slices.Sort(keys)
	return keys, nil
}
