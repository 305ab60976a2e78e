// Package blob is where the bytes of files live, apart from the database:
// uploaded media, end-to-end encrypted attachments, evidence items and
// law-enforcement report packages. A Store keeps opaque bytes under a key,
// a relative slash-separated path; what the bytes mean, and their
// encryption at rest, is the business of the package that stores them.
//
// Dir keeps them in a directory, one file per key: the default, the layout
// of a data directory. natsblob keeps them in a NATS JetStream object store
// that the servers of a cluster share. blobtest is the one conformance suite
// both pass.
package blob

import (
	"context"
	"fmt"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Store keeps bytes by key.
type Store interface {
	// Put stores data under key, replacing what was there. When it
	// returns nil the bytes are durable: a reader of key gets either the
	// old bytes or the new, never part of them.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns the bytes under key, or an error of kind
	// safeguard.ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Stat describes what is stored under key, or returns an error of
	// kind safeguard.ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the bytes under key. Deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
	// List returns the keys that begin with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

// Info describes stored bytes.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// ValidKey reports whether key can name stored bytes: one or more segments
// joined by '/', each of ASCII letters, digits, '.', '_' and '-', none
// empty and none starting with '.' (so no "..", and no name a Dir uses for
// its temporary files).
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// invalidKey is the error of every operation given a key ValidKey refuses.
func invalidKey(key string) error {
	return safeguard.Invalid("invalid_blob_key", "Invalid storage key %q.", key)
}

// CheckKey returns an error of kind safeguard.ErrInvalid for a key
// ValidKey refuses, for drivers to call first.
func CheckKey(key string) error {
	if !ValidKey(key) {
		return invalidKey(key)
	}
	return nil
}

// Sub returns the part of s whose keys begin with prefix (which must end in
// '/'); the keys it is given and returns are relative to prefix. One store
// holds several kinds of file this way: "media/…", "evidence/…".
func Sub(s Store, prefix string) Store {
	return &sub{s: s, prefix: prefix}
}

type sub struct {
	s      Store
	prefix string
}

func (p *sub) Put(ctx context.Context, key string, data []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	return p.s.Put(ctx, p.prefix+key, data)
}

// PutAll implements Batcher, with the batching of the store it is part of.
func (p *sub) PutAll(ctx context.Context, keys []string, data [][]byte) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		if err := CheckKey(k); err != nil {
			return err
		}
		full[i] = p.prefix + k
	}
	return PutAll(ctx, p.s, full, data)
}

func (p *sub) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	return p.s.Get(ctx, p.prefix+key)
}

func (p *sub) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	in, err := p.s.Stat(ctx, p.prefix+key)
	in.Key = key
	return in, err
}

func (p *sub) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	return p.s.Delete(ctx, p.prefix+key)
}

func (p *sub) List(ctx context.Context, prefix string) ([]string, error) {
	keys, err := p.s.List(ctx, p.prefix+prefix)
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, p.prefix)
	}
	return keys, err
}

// Batcher is a Store that can store many values at once for less than
// storing them one by one: a Dir makes a whole batch durable with one sync
// of its file system, natsblob sends the values side by side.
type Batcher interface {
	// PutAll stores data[i] under keys[i] for each i. The keys must be
	// new ones that no reader knows yet, as the keys of media and
	// evidence items are: until PutAll returns, a reader may find part of
	// a value (and a Dir refuses a key in use). When it returns nil, all
	// are durable. On an error it has stored none of them: what it had
	// written is deleted again.
	PutAll(ctx context.Context, keys []string, data [][]byte) error
}

// PutAll stores data[i] under keys[i] for each i in s, new keys, with one
// batch if s is a Batcher and one by one otherwise, with Batcher.PutAll's
// promise.
func PutAll(ctx context.Context, s Store, keys []string, data [][]byte) error {
	if len(keys) != len(data) {
		return fmt.Errorf("blob: %d keys for %d values", len(keys), len(data))
	}
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return err
		}
	}
	if b, ok := s.(Batcher); ok {
		return b.PutAll(ctx, keys, data)
	}
	for i, k := range keys {
		if err := s.Put(ctx, k, data[i]); err != nil {
			deleteAll(ctx, s, keys[:i])
			return err
		}
	}
	return nil
}

// deleteAll deletes keys from s as well as it can, even once ctx ended:
// it undoes part of a batch that failed.
func deleteAll(ctx context.Context, s Store, keys []string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		s.Delete(ctx, k)
	}
}
