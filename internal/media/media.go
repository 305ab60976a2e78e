// Package media keeps the bytes of uploaded files apart from the database,
// encrypted at rest. The database stores what describes a file and the key
// under which this package stores it.
package media

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
)

// Store keeps file contents by key.
type Store interface {
	// Put stores data and returns the key to fetch it by.
	Put(ctx context.Context, data []byte) (key string, err error)
	// Get returns the data stored under key, or safeguard.ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes the data under key; deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Batcher is a Store that stores many files at once for less than one by
// one.
type Batcher interface {
	// PutAll stores each of data and returns their keys in order. When it
	// returns nil all are durable; on an error none is stored.
	PutAll(ctx context.Context, data [][]byte) ([]string, error)
}

// PutAll stores each of data in s, in one batch if s is a Batcher, and
// returns their keys in order. On an error none is stored.
func PutAll(ctx context.Context, s Store, data [][]byte) ([]string, error) {
	if b, ok := s.(Batcher); ok {
		return b.PutAll(ctx, data)
	}
	keys := make([]string, 0, len(data))
	for _, b := range data {
		k, err := s.Put(ctx, b)
		if err != nil {
			for _, k := range keys {
				s.Delete(context.WithoutCancel(ctx), k)
			}
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// KeySize is the size of a media encryption key: AES-256.
const KeySize = 32

const formatVersion = 1

// Sealed is a Store over a blob.Store. Each file is sealed with AES-256-GCM
// under the store's key, with the storage key as associated data, so a file
// renamed or swapped for another fails to open. The bytes of key k are kept
// under the blob key k[:2]/k: in a directory, the file k[:2]/k.
type Sealed struct {
	files blob.Store
	aead  cipher.AEAD
}

var (
	_ Store   = (*Sealed)(nil)
	_ Batcher = (*Sealed)(nil)
)

// New returns a Store that seals files with a 32-byte key and keeps them in
// files.
func New(files blob.Store, key []byte) (*Sealed, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("media key: %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealed{files: files, aead: aead}, nil
}

// OpenDisk opens (creating if needed, 0700) a media directory with a 32-byte
// key.
func OpenDisk(dir string, key []byte) (*Sealed, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("media key: %d bytes, want %d", len(key), KeySize)
	}
	files, err := blob.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("media dir: %w", err)
	}
	return New(files, key)
}

// LoadOrCreateKey reads a hex-encoded key from path, or creates one there
// (mode 0600) when the file does not exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create media key: %w", err)
		}
		_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		return key, werr
	}
	if err != nil {
		return nil, fmt.Errorf("read media key: %w", err)
	}
	return ParseKey(string(b))
}

// ParseKey decodes a hex-encoded 32-byte key.
func ParseKey(s string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("media key: want %d bytes in hex", KeySize)
	}
	return key, nil
}

// Put implements Store. The bytes are sealed before they are stored; the
// blob store makes the write atomic (a Dir writes a temporary file, syncs
// it and renames it).
func (d *Sealed) Put(ctx context.Context, data []byte) (string, error) {
	key, sealed, err := d.seal(data)
	if err != nil {
		return "", err
	}
	if err := d.files.Put(ctx, blobKey(key), sealed); err != nil {
		return "", err
	}
	return key, nil
}

// PutAll implements Batcher: the files are sealed one by one and stored in
// one batch of the blob store (blob.PutAll).
func (d *Sealed) PutAll(ctx context.Context, data [][]byte) ([]string, error) {
	keys := make([]string, len(data))
	bkeys := make([]string, len(data))
	sealed := make([][]byte, len(data))
	for i, b := range data {
		var err error
		if keys[i], sealed[i], err = d.seal(b); err != nil {
			return nil, err
		}
		bkeys[i] = blobKey(keys[i])
	}
	if err := blob.PutAll(ctx, d.files, bkeys, sealed); err != nil {
		return nil, err
	}
	return keys, nil
}

// seal picks a new key for data and seals data under it.
func (d *Sealed) seal(data []byte) (key string, sealed []byte, err error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", nil, err
	}
	key = hex.EncodeToString(id[:])
	nonce := make([]byte, d.aead.NonceSize(), 1+d.aead.NonceSize()+len(data)+d.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, err
	}
	out := append([]byte{formatVersion}, nonce...)
	return key, d.aead.Seal(out, nonce, data, []byte(key)), nil
}

// Get implements Store. The bytes are opened after they are read.
func (d *Sealed) Get(ctx context.Context, key string) ([]byte, error) {
	if !validKey(key) {
		return nil, safeguard.NotFound
	}
	b, err := d.files.Get(ctx, blobKey(key))
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, safeguard.NotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read media %s: %w", key, err)
	}
	ns := d.aead.NonceSize()
	if len(b) < 1+ns || b[0] != formatVersion {
		return nil, fmt.Errorf("media %s: unknown format", key)
	}
	plain, err := d.aead.Open(nil, b[1:1+ns], b[1+ns:], []byte(key))
	if err != nil {
		return nil, fmt.Errorf("media %s: does not authenticate: %w", key, err)
	}
	return plain, nil
}

// Delete implements Store.
func (d *Sealed) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return nil
	}
	return d.files.Delete(ctx, blobKey(key))
}

// blobKey is where the bytes of key are kept: a directory per first two
// hex digits, as media directories have always been laid out.
func blobKey(key string) string { return key[:2] + "/" + key }

func validKey(key string) bool {
	if len(key) != 32 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}
