package e2ee

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/safeguard-dev/safeguard"
)

// bundleMagic starts a sealed bundle, so that a bundle and a device state
// can never be taken for each other.
var bundleMagic = []byte("SGKB")

// maxBundleData caps the application data of a bundle.
const maxBundleData = 256 << 20

// A Sealer seals a device's state under keys derived from a passphrase
// once: a client that saves after every message pays for argon2id when it
// unlocks, not at every save. What it writes has Seal's format, with the
// same salt each time and a fresh random nonce each time.
//
// A bundle is a device's state together with an application's own data (a
// client's message history and inbox cursor, say) in one sealed file, so
// that the two are always saved together: a crash never leaves a ratchet
// state that does not match the history. A bundle starts with "SGKB"
// instead of "SGKS"; its plaintext is u32 len ‖ device state ‖ data.
//
// A Sealer holds the derived keys in memory; Close clears them.
type Sealer struct {
	kdf              KDFParams
	salt             []byte
	encKey, checkKey []byte
}

// NewSealer derives the keys of a new sealed state from a passphrase, with
// a fresh salt. A zero kdf means DefaultKDF.
func NewSealer(passphrase []byte, kdf KDFParams) (*Sealer, error) {
	if kdf == (KDFParams{}) {
		kdf = DefaultKDF
	}
	if err := kdf.validate(); err != nil {
		return nil, safeguard.Invalid("kdf_invalid", "The key derivation settings cannot be used: %v.", err)
	}
	if len(passphrase) == 0 {
		return nil, safeguard.Invalid("passphrase_empty", "Choose a passphrase to protect this device's keys.")
	}
	salt := make([]byte, saltSize)
	rand.Read(salt)
	enc, check := deriveKeys(passphrase, salt, kdf)
	return &Sealer{kdf: kdf, salt: salt, encKey: enc, checkKey: check}, nil
}

// OpenWithSealer opens a device state sealed by Seal, Save or a Sealer, and
// returns the device with a Sealer for later saves under the same
// passphrase and salt. Errors are those of OpenSealed.
func OpenWithSealer(sealed, passphrase []byte, opts Options) (*Device, *Sealer, error) {
	hdr, kdf, err := parseSealHeader(sealed, sealMagic)
	if err != nil {
		return nil, nil, err
	}
	salt := bytes.Clone(hdr[15 : 15+saltSize])
	enc, check := deriveKeys(passphrase, salt, kdf)
	s := &Sealer{kdf: kdf, salt: salt, encKey: enc, checkKey: check}
	plain, err := s.open(sealed, sealMagic)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	defer clear(plain)
	d, err := unmarshalDevice(plain, opts)
	if err != nil {
		s.Close()
		return nil, nil, corrupt(err)
	}
	return d, s, nil
}

// Seal returns the device's whole state sealed (see Device.Seal).
func (s *Sealer) Seal(d *Device) ([]byte, error) {
	d.mu.Lock()
	plain, err := d.marshalLocked()
	d.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("e2ee: encode state: %w", err)
	}
	defer clear(plain)
	return s.seal(sealMagic, plain)
}

// Save seals the device's state and writes it to path atomically, as
// Device.Save does.
func (s *Sealer) Save(d *Device, path string) error {
	sealed, err := s.Seal(d)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, sealed)
}

// SealBundle seals the device's state together with an application's
// data.
func (s *Sealer) SealBundle(d *Device, data []byte) ([]byte, error) {
	if len(data) > maxBundleData {
		return nil, safeguard.Invalid("state_too_large", "The data to save is larger than %d MB.", maxBundleData>>20)
	}
	d.mu.Lock()
	state, err := d.marshalLocked()
	d.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("e2ee: encode state: %w", err)
	}
	plain := make([]byte, 0, 4+len(state)+len(data))
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(state)))
	plain = append(append(plain, state...), data...)
	clear(state)
	defer clear(plain)
	return s.seal(bundleMagic, plain)
}

// SaveBundle seals a bundle and writes it to path atomically.
func (s *Sealer) SaveBundle(path string, d *Device, data []byte) error {
	sealed, err := s.SealBundle(d, data)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, sealed)
}

// OpenBundle opens a bundle sealed under passphrase and returns the device,
// the application's data, and a Sealer for later saves. A wrong passphrase
// gives ErrWrongPassphrase; a changed or damaged file ErrStateCorrupt.
func OpenBundle(sealed, passphrase []byte, opts Options) (*Device, []byte, *Sealer, error) {
	hdr, kdf, err := parseSealHeader(sealed, bundleMagic)
	if err != nil {
		return nil, nil, nil, err
	}
	salt := bytes.Clone(hdr[15 : 15+saltSize])
	enc, check := deriveKeys(passphrase, salt, kdf)
	s := &Sealer{kdf: kdf, salt: salt, encKey: enc, checkKey: check}
	plain, err := s.open(sealed, bundleMagic)
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	defer clear(plain)
	if len(plain) < 4 || uint64(binary.BigEndian.Uint32(plain)) > uint64(len(plain)-4) {
		s.Close()
		return nil, nil, nil, corrupt(errors.New("bundle: device state length out of range"))
	}
	n := binary.BigEndian.Uint32(plain)
	d, err := unmarshalDevice(plain[4:4+n], opts)
	if err != nil {
		s.Close()
		return nil, nil, nil, corrupt(err)
	}
	return d, bytes.Clone(plain[4+n:]), s, nil
}

// LoadBundle reads and opens a bundle written by SaveBundle.
func LoadBundle(path string, passphrase []byte, opts Options) (*Device, []byte, *Sealer, error) {
	sealed, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("e2ee: read state: %w", err)
	}
	return OpenBundle(sealed, passphrase, opts)
}

// Close clears the derived keys; the Sealer cannot be used afterwards.
func (s *Sealer) Close() {
	clear(s.encKey)
	clear(s.checkKey)
	s.encKey, s.checkKey = nil, nil
}

func (s *Sealer) seal(magic, plain []byte) ([]byte, error) {
	if s.encKey == nil {
		return nil, errors.New("e2ee: sealer closed")
	}
	hdr := make([]byte, 0, sealHeaderLen)
	hdr = append(hdr, magic...)
	hdr = append(hdr, sealVersion, sealKDFArgon)
	hdr = binary.BigEndian.AppendUint32(hdr, s.kdf.Time)
	hdr = binary.BigEndian.AppendUint32(hdr, s.kdf.MemoryKiB)
	hdr = append(hdr, s.kdf.Threads)
	hdr = append(hdr, s.salt...)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(nonce)
	hdr = append(hdr, nonce...)
	hdr = append(hdr, keyCheck(s.checkKey, hdr)...)
	aead, err := chacha20poly1305.NewX(s.encKey)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(hdr), len(hdr)+len(plain)+aead.Overhead())
	copy(out, hdr)
	return aead.Seal(out, nonce, plain, hdr), nil
}

func (s *Sealer) open(sealed, magic []byte) ([]byte, error) {
	if s.encKey == nil {
		return nil, errors.New("e2ee: sealer closed")
	}
	hdr, kdf, err := parseSealHeader(sealed, magic)
	if err != nil {
		return nil, err
	}
	if kdf != s.kdf || !bytes.Equal(hdr[15:15+saltSize], s.salt) ||
		!hmac.Equal(hdr[sealHeaderLen-checkSize:], keyCheck(s.checkKey, hdr[:sealHeaderLen-checkSize])) {
		return nil, fail(safeguard.ErrPermission, "e2ee_wrong_passphrase",
			"That passphrase does not unlock this device's keys.", ErrWrongPassphrase, nil)
	}
	aead, err := chacha20poly1305.NewX(s.encKey)
	if err != nil {
		return nil, err
	}
	nonce := hdr[15+saltSize : 15+saltSize+chacha20poly1305.NonceSizeX]
	plain, err := aead.Open(nil, nonce, sealed[sealHeaderLen:], hdr)
	if err != nil {
		return nil, corrupt(err)
	}
	return plain, nil
}

// parseSealHeader checks the fixed part of a sealed file's header and
// returns the header and its KDF parameters.
func parseSealHeader(sealed, magic []byte) ([]byte, KDFParams, error) {
	if len(sealed) < sealHeaderLen+chacha20poly1305.Overhead || !bytes.Equal(sealed[:4], magic) {
		return nil, KDFParams{}, corrupt(fmt.Errorf("not a sealed %s file", magic))
	}
	hdr := sealed[:sealHeaderLen]
	if hdr[4] != sealVersion || hdr[5] != sealKDFArgon {
		return nil, KDFParams{}, corrupt(fmt.Errorf("version %d, kdf %d: want %d, %d", hdr[4], hdr[5], sealVersion, sealKDFArgon))
	}
	kdf := KDFParams{
		Time:      binary.BigEndian.Uint32(hdr[6:]),
		MemoryKiB: binary.BigEndian.Uint32(hdr[10:]),
		Threads:   hdr[14],
	}
	if err := kdf.validate(); err != nil {
		return nil, KDFParams{}, corrupt(err)
	}
	return hdr, kdf, nil
}
