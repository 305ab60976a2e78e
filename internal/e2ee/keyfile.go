package e2ee

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/safeguard-dev/safeguard/franking"
)

// The franking key file holds the server's receipt keys, apart from the
// database (a leaked database must not let anyone forge receipts):
//
//	{"version":1,"keys":[{"id":123,"secret":"<64 hex>","created":"RFC 3339"}]}
//
// It is written atomically with mode 0600.

const keyFileVersion = 1

type keyFileJSON struct {
	Version int           `json:"version"`
	Keys    []keyFileItem `json:"keys"`
}

type keyFileItem struct {
	ID      uint32    `json:"id"`
	Secret  string    `json:"secret"`
	Created time.Time `json:"created"`
}

// maxKeyFileBytes caps a key file: a year of weekly keys is 53 entries.
const maxKeyFileBytes = 1 << 20

// ParseKeyFile decodes a franking key file.
func ParseKeyFile(b []byte) ([]franking.ServerKey, error) {
	if len(b) > maxKeyFileBytes {
		return nil, fmt.Errorf("franking key file: %d bytes, at most %d", len(b), maxKeyFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w keyFileJSON
	if err := dec.Decode(&w); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("franking key file: JSON syntax at byte %d: %w", syn.Offset, err)
		}
		return nil, fmt.Errorf("franking key file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("franking key file: trailing data after the JSON object")
	}
	if w.Version != keyFileVersion {
		return nil, fmt.Errorf("franking key file: version %d, want %d", w.Version, keyFileVersion)
	}
	seen := map[uint32]bool{}
	var out []franking.ServerKey
	for i, k := range w.Keys {
		secret, err := hex.DecodeString(k.Secret)
		switch {
		case err != nil:
			return nil, fmt.Errorf("franking key file: keys[%d]: secret is not hex", i)
		case len(secret) != franking.ServerKeySize:
			return nil, fmt.Errorf("franking key file: keys[%d]: secret of %d bytes, want %d", i, len(secret), franking.ServerKeySize)
		case k.ID == 0 || seen[k.ID]:
			return nil, fmt.Errorf("franking key file: keys[%d]: id %d is zero or repeated", i, k.ID)
		case k.Created.IsZero():
			return nil, fmt.Errorf("franking key file: keys[%d]: no creation time", i)
		}
		seen[k.ID] = true
		out = append(out, franking.ServerKey{ID: k.ID, Secret: secret, Created: k.Created})
	}
	return out, nil
}

// MarshalKeyFile encodes keys as a franking key file.
func MarshalKeyFile(keys []franking.ServerKey) ([]byte, error) {
	w := keyFileJSON{Version: keyFileVersion, Keys: []keyFileItem{}}
	for _, k := range keys {
		w.Keys = append(w.Keys, keyFileItem{ID: k.ID, Secret: hex.EncodeToString(k.Secret), Created: k.Created.UTC()})
	}
	b, err := json.MarshalIndent(w, "", "  ")
	return append(b, '\n'), err
}

// OpenKeyFile loads the key ring kept at path (an empty ring if the file
// does not exist yet) and returns it with the saver that keeps the file up
// to date.
func OpenKeyFile(path string, cfg franking.KeyRingConfig) (*franking.KeyRing, KeySaver, error) {
	ring := franking.NewKeyRing(cfg)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("franking key file: %w", err)
	default:
		keys, err := ParseKeyFile(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, k := range keys {
			if err := ring.Add(k); err != nil {
				return nil, nil, fmt.Errorf("%s: key %d: %w", path, k.ID, err)
			}
		}
	}
	save := func(keys []franking.ServerKey) error {
		b, err := MarshalKeyFile(keys)
		if err != nil {
			return err
		}
		return writeFileAtomic(path, b)
	}
	return ring, save, nil
}

// writeFileAtomic writes data to a temporary file (mode 0600) beside path,
// syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
