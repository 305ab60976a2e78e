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

var _ Store = (*Sealed)(nil)

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
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	key := hex.EncodeToString(id[:])
	nonce := make([]byte, d.aead.NonceSize(), 1+d.aead.NonceSize()+len(data)+d.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := append([]byte{formatVersion}, nonce...)
	out = d.aead.Seal(out, nonce, data, []byte(key))
	if err := d.files.Put(ctx, blobKey(key), out); err != nil {
		return "", err
	}
	return key, nil
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
