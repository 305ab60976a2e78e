// Package keyring keeps the keys the servers of a cluster share in the
// database: the media key, the evidence vault's data and signing keys, the
// guardian-code key and the franking receipt keys with their history. Each
// is sealed (AES-256-GCM, its name as associated data) under a
// key-encryption key (KEK) that every server is given apart from the
// database, so a copy of the database alone opens none of them.
//
// One server on its own keeps its keys in files of its data directory, as
// cmd/safeguard always has; this package is the cluster's keyring (serve
// --nats). The first server to start makes the keys that are missing in one
// transaction, and servers started at once agree on them; a server given
// another KEK is refused with ErrWrongKEK, never handed garbage keys.
package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// KEKSize is the size of a key-encryption key: 32 bytes, given in base64.
const KEKSize = 32

// keySize is the size of the media, evidence data and guardian keys.
const keySize = 32

// The names of the keys in the keyring.
const (
	Media           = "media"            // uploads, at rest
	EvidenceData    = "evidence"         // the evidence vault's items, at rest
	EvidenceSigning = "evidence.signing" // ed25519 seed: signs checkpoints and tombstones
	Guardian        = "guardian"         // guardian codes are hashed with it
	// frankingPrefix names a franking key: "franking/<kid>".
	frankingPrefix = "franking/"
	// checkName is the row that proves the KEK, and the lock every change
	// to the keyring takes first.
	checkName = "kek-check"
)

// singles are the keys of which there is one, made if missing.
var singles = []string{Media, EvidenceData, EvidenceSigning, Guardian}

// ErrWrongKEK is the error of a key-encryption key that does not open the
// keyring in the database.
var ErrWrongKEK = errors.New("the key-encryption key does not open the keyring in the database: every server of a cluster " +
	"needs the same one (SAFEGUARD_KEK or --kek-file), and after 'safeguard keys rotate-kek' the new one")

// ParseKEK decodes a key-encryption key written in base64 (as
// 'openssl rand -base64 32' prints one).
func ParseKEK(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KEKSize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("key-encryption key: want %d bytes in base64", KEKSize)
}

// Keys are the keys of the keyring, opened. In Import, a nil field is a key
// not given (made when the first server starts).
type Keys struct {
	Media           []byte
	EvidenceData    []byte
	EvidenceSigning ed25519.PrivateKey
	Guardian        []byte
	Franking        []franking.ServerKey // oldest first
}

// sealer seals and opens the keyring's keys under one KEK.
type sealer struct{ aead cipher.AEAD }

// sealVersion is the first byte of a sealed key: the format.
const sealVersion = 1

func newSealer(kek []byte) (sealer, error) {
	if len(kek) != KEKSize {
		return sealer{}, fmt.Errorf("key-encryption key: %d bytes, want %d", len(kek), KEKSize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, err
	}
	return sealer{aead}, nil
}

// seal encrypts secret, bound to its name.
func (s sealer) seal(name string, created time.Time, secret []byte) store.SealedKey {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	out := append([]byte{sealVersion}, nonce...)
	return store.SealedKey{Name: name, Created: created, Sealed: s.aead.Seal(out, nonce, secret, []byte(name))}
}

// open decrypts a sealed key; a KEK other than the one that sealed it, or
// a key stored under another name, does not open.
func (s sealer) open(k store.SealedKey) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(k.Sealed) < 1+n || k.Sealed[0] != sealVersion {
		return nil, fmt.Errorf("keyring key %q: not a sealed key", k.Name)
	}
	return s.aead.Open(nil, k.Sealed[1:1+n], k.Sealed[1+n:], []byte(k.Name))
}

// lock takes the keyring's lock in tx, making the check row with s first if
// the keyring has none, and checks that s opens it. A KEK that does not is
// ErrWrongKEK.
func (s sealer) lock(ctx context.Context, tx store.Tx, now time.Time) error {
	check := make([]byte, keySize)
	rand.Read(check)
	if _, err := tx.AddToKeyring(ctx, []store.SealedKey{s.seal(checkName, now, check)}); err != nil {
		return err
	}
	rows, err := tx.Keyring(ctx, checkName, true)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Name != checkName {
			continue
		}
		if _, err := s.open(r); err != nil {
			return ErrWrongKEK
		}
		return nil
	}
	return errors.New("keyring: the check row is missing")
}

// frankingName is the name of the franking key kid.
func frankingName(kid uint32) string { return frankingPrefix + strconv.FormatUint(uint64(kid), 10) }

// newFrankingKey makes a franking key with a random kid none of taken has.
func newFrankingKey(now time.Time, taken map[uint32]bool) franking.ServerKey {
	var kid uint32
	for kid == 0 || taken[kid] {
		var b [4]byte
		rand.Read(b[:])
		kid = binary.BigEndian.Uint32(b[:])
	}
	secret := make([]byte, franking.ServerKeySize)
	rand.Read(secret)
	return franking.ServerKey{ID: kid, Secret: secret, Created: now}
}

// openAll opens every key of rows into Keys; a key that does not open is an
// error that names it (the check row aside).
func (s sealer) openAll(rows []store.SealedKey) (*Keys, error) {
	var k Keys
	for _, r := range rows {
		if r.Name == checkName {
			continue
		}
		secret, err := s.open(r)
		if err != nil {
			return nil, fmt.Errorf("keyring key %q does not open with this key-encryption key: %w", r.Name, ErrWrongKEK)
		}
		if err := k.set(r, secret); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

// set puts the opened key of row r into k.
func (k *Keys) set(r store.SealedKey, secret []byte) error {
	if kid, ok := strings.CutPrefix(r.Name, frankingPrefix); ok {
		id, err := strconv.ParseUint(kid, 10, 32)
		if err != nil || id == 0 || len(secret) != franking.ServerKeySize {
			return fmt.Errorf("keyring key %q: not a franking key", r.Name)
		}
		k.Franking = append(k.Franking, franking.ServerKey{ID: uint32(id), Secret: secret, Created: r.Created})
		return nil
	}
	if len(secret) != keySize {
		return fmt.Errorf("keyring key %q: %d bytes, want %d", r.Name, len(secret), keySize)
	}
	switch r.Name {
	case Media:
		k.Media = secret
	case EvidenceData:
		k.EvidenceData = secret
	case EvidenceSigning:
		k.EvidenceSigning = ed25519.NewKeyFromSeed(secret)
	case Guardian:
		k.Guardian = secret
	default:
		return fmt.Errorf("keyring key %q: a name this server does not know", r.Name)
	}
	return nil
}

// secret returns the stored secret of the single key name in k, nil if k
// has none.
func (k *Keys) secret(name string) []byte {
	switch name {
	case Media:
		return k.Media
	case EvidenceData:
		return k.EvidenceData
	case EvidenceSigning:
		if k.EvidenceSigning == nil {
			return nil
		}
		return k.EvidenceSigning.Seed()
	case Guardian:
		return k.Guardian
	}
	return nil
}
