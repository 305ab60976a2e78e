package e2ee

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/safeguard-dev/safeguard"
)

// KDFParams are the argon2id parameters that turn a passphrase into the key
// of a sealed state.
type KDFParams struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF is RFC 9106's second recommended argon2id setting (3 passes,
// 64 MiB, 4 lanes).
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// Bounds on the parameters a sealed file may ask for, so that a changed
// header cannot make Open use unbounded memory or time.
const (
	maxKDFTime      = 8
	minKDFMemoryKiB = 8
	maxKDFMemoryKiB = 256 << 10 // 256 MiB, four times the default
	maxKDFThreads   = 64
)

var sealMagic = []byte("SGKS")

const (
	sealVersion   = 1
	sealKDFArgon  = 1
	saltSize      = 16
	checkSize     = sha256.Size
	sealHeaderLen = 4 + 1 + 1 + 4 + 4 + 1 + saltSize + chacha20poly1305.NonceSizeX + checkSize
)

func (p KDFParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("argon2id time %d, want 1 to %d", p.Time, maxKDFTime)
	case p.MemoryKiB < minKDFMemoryKiB || p.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("argon2id memory %d KiB, want %d to %d", p.MemoryKiB, minKDFMemoryKiB, maxKDFMemoryKiB)
	case p.Threads < 1 || p.Threads > maxKDFThreads:
		return fmt.Errorf("argon2id threads %d, want 1 to %d", p.Threads, maxKDFThreads)
	}
	return nil
}

// Seal returns the device's whole state — keys, sessions, pins, received
// indexes — encrypted under a passphrase:
//
//	"SGKS" ‖ u8 version=1 ‖ u8 kdf=1 (argon2id) ‖ u32 time ‖ u32 memory KiB ‖
//	u8 threads ‖ [16] salt ‖ [24] nonce ‖ [32] check ‖ ciphertext
//
// argon2id(passphrase, salt) gives 64 bytes: the first 32 are the
// XChaCha20-Poly1305 key, the last 32 key check = HMAC-SHA256(
// "safeguard-key-check" ‖ the header before it), which tells a wrong
// passphrase from a changed ciphertext. The
// ciphertext's additional data is the whole header. A zero kdf means
// DefaultKDF.
func (d *Device) Seal(passphrase []byte, kdf KDFParams) ([]byte, error) {
	if kdf == (KDFParams{}) {
		kdf = DefaultKDF
	}
	if err := kdf.validate(); err != nil {
		return nil, safeguard.Invalid("kdf_invalid", "The key derivation settings cannot be used: %v.", err)
	}
	if len(passphrase) == 0 {
		return nil, safeguard.Invalid("passphrase_empty", "Choose a passphrase to protect this device's keys.")
	}
	d.mu.Lock()
	plain, err := d.marshalLocked()
	d.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("e2ee: encode state: %w", err)
	}
	defer clear(plain)

	hdr := make([]byte, 0, sealHeaderLen)
	hdr = append(hdr, sealMagic...)
	hdr = append(hdr, sealVersion, sealKDFArgon)
	hdr = binary.BigEndian.AppendUint32(hdr, kdf.Time)
	hdr = binary.BigEndian.AppendUint32(hdr, kdf.MemoryKiB)
	hdr = append(hdr, kdf.Threads)
	salt := make([]byte, saltSize)
	rand.Read(salt)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(nonce)
	hdr = append(hdr, salt...)
	hdr = append(hdr, nonce...)
	encKey, checkKey := deriveKeys(passphrase, salt, kdf)
	defer clear(encKey)
	hdr = append(hdr, keyCheck(checkKey, hdr)...)
	aead, err := chacha20poly1305.NewX(encKey)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(hdr), len(hdr)+len(plain)+aead.Overhead())
	copy(out, hdr)
	return aead.Seal(out, nonce, plain, hdr), nil
}

// OpenSealed rebuilds a device from Seal's output. A wrong passphrase gives
// ErrWrongPassphrase; a changed or damaged ciphertext ErrStateCorrupt.
func OpenSealed(sealed, passphrase []byte, opts Options) (*Device, error) {
	if len(sealed) < sealHeaderLen+chacha20poly1305.Overhead || !bytes.Equal(sealed[:4], sealMagic) {
		return nil, corrupt(errors.New("not a sealed device state"))
	}
	hdr := sealed[:sealHeaderLen]
	if hdr[4] != sealVersion || hdr[5] != sealKDFArgon {
		return nil, corrupt(fmt.Errorf("version %d, kdf %d: want %d, %d", hdr[4], hdr[5], sealVersion, sealKDFArgon))
	}
	kdf := KDFParams{
		Time:      binary.BigEndian.Uint32(hdr[6:]),
		MemoryKiB: binary.BigEndian.Uint32(hdr[10:]),
		Threads:   hdr[14],
	}
	if err := kdf.validate(); err != nil {
		return nil, corrupt(err)
	}
	salt := hdr[15 : 15+saltSize]
	nonce := hdr[15+saltSize : 15+saltSize+chacha20poly1305.NonceSizeX]
	check := hdr[sealHeaderLen-checkSize:]
	encKey, checkKey := deriveKeys(passphrase, salt, kdf)
	defer clear(encKey)
	if !hmac.Equal(check, keyCheck(checkKey, hdr[:sealHeaderLen-checkSize])) {
		return nil, fail(safeguard.ErrPermission, "e2ee_wrong_passphrase",
			"That passphrase does not unlock this device's keys.", ErrWrongPassphrase, nil)
	}
	aead, err := chacha20poly1305.NewX(encKey)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, nonce, sealed[sealHeaderLen:], hdr)
	if err != nil {
		return nil, corrupt(err)
	}
	defer clear(plain)
	d, err := unmarshalDevice(plain, opts)
	if err != nil {
		return nil, corrupt(err)
	}
	return d, nil
}

func corrupt(cause error) error {
	return fail(safeguard.ErrInvalid, "e2ee_state_corrupt",
		"The saved keys of this device are damaged or were changed, and cannot be used.", ErrStateCorrupt, cause)
}

func deriveKeys(passphrase, salt []byte, kdf KDFParams) (encKey, checkKey []byte) {
	k := argon2.IDKey(passphrase, salt, kdf.Time, kdf.MemoryKiB, kdf.Threads, 64)
	return k[:32], k[32:]
}

func keyCheck(key, hdr []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("safeguard-key-check"))
	h.Write(hdr)
	return h.Sum(nil)
}

// Save seals the device's state and writes it to path atomically: a
// temporary file in the same directory, mode 0600, synced, then renamed over
// path. A crash leaves the old file or the new one, never a mix.
func (d *Device) Save(path string, passphrase []byte, kdf KDFParams) error {
	sealed, err := d.Seal(passphrase, kdf)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, sealed)
}

// Load reads a state written by Save.
func Load(path string, passphrase []byte, opts Options) (*Device, error) {
	sealed, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("e2ee: read state: %w", err)
	}
	return OpenSealed(sealed, passphrase, opts)
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("e2ee: save state: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("e2ee: save state: %w", err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("e2ee: save state: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("e2ee: save state: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("e2ee: save state: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("e2ee: save state: %w", err)
	}
	// Make the rename itself durable where the platform allows it.
	if dirf, derr := os.Open(dir); derr == nil {
		dirf.Sync()
		dirf.Close()
	}
	return nil
}
