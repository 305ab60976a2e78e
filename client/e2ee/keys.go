package e2ee

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/safeguard-dev/safeguard/internal/wire"
	"io"

	"github.com/safeguard-dev/safeguard"
)

// KeySize is the size of a Curve25519 or Ed25519 public key.
const KeySize = 32

// maxKeyDocBytes caps the JSON of a key document.
const maxKeyDocBytes = 4 << 10

// Domain-separation prefixes of the signed encodings.
const (
	deviceKeysLabel = "safeguard-device-keys-v1"
	oneTimeKeyLabel = "safeguard-one-time-key-v1"
)

var b64 = base64.RawStdEncoding // the encoding goolm uses for keys

// DeviceKeys is the public identity of a device, signed with its own Ed25519
// key: what the device uploads to the key directory and what its peers pin.
// Keys and signature are unpadded standard base64.
type DeviceKeys struct {
	Account    int64  `json:"account"`
	Device     string `json:"device"`
	Curve25519 string `json:"curve25519"`
	Ed25519    string `json:"ed25519"`
	Signature  string `json:"signature"`
}

// ID returns the device the keys belong to.
func (k DeviceKeys) ID() DeviceID { return DeviceID{Account: k.Account, Device: k.Device} }

// signedBytes is what the signature covers:
//
//	"safeguard-device-keys-v1" ‖ u64 account ‖ u8 len ‖ device ‖
//	[32] curve25519 ‖ [32] ed25519
func (k DeviceKeys) signedBytes() ([]byte, error) {
	if err := k.ID().Validate(); err != nil {
		return nil, err
	}
	curve, err := decodeKey("curve25519", k.Curve25519)
	if err != nil {
		return nil, err
	}
	ed, err := decodeKey("ed25519", k.Ed25519)
	if err != nil {
		return nil, err
	}
	b := []byte(deviceKeysLabel)
	b = wire.AppendU64(b, uint64(k.Account))
	b = wire.AppendShort(b, k.Device)
	b = append(b, curve...)
	return append(b, ed...), nil
}

// Verify checks the self-signature. It proves that the holder of the Ed25519
// key vouches for the Curve25519 key and the device id; whether that Ed25519
// key is the right one is what pinning and safety numbers decide.
func (k DeviceKeys) Verify() error {
	msg, err := k.signedBytes()
	if err != nil {
		return malformed("device keys", err)
	}
	ed, _ := decodeKey("ed25519", k.Ed25519)
	return verifySignature(ed, msg, k.Signature, "device keys")
}

// ParseDeviceKeys decodes a device-keys document from JSON and verifies its
// signature.
func ParseDeviceKeys(b []byte) (DeviceKeys, error) {
	var k DeviceKeys
	if err := strictJSON(b, &k, maxKeyDocBytes); err != nil {
		return DeviceKeys{}, malformed("device keys", err)
	}
	if err := k.Verify(); err != nil {
		return DeviceKeys{}, err
	}
	return k, nil
}

// OneTimeKey is a signed Curve25519 key a peer claims to start a pairwise
// session with the device. A one-time key is used once; the fallback key is
// handed out when the one-time keys have run out, and may serve several
// sessions until it is replaced.
type OneTimeKey struct {
	Account    int64  `json:"account"`
	Device     string `json:"device"`
	KeyID      string `json:"key_id"`
	Curve25519 string `json:"curve25519"`
	Fallback   bool   `json:"fallback,omitempty"`
	Signature  string `json:"signature"`
}

// signedBytes is what the signature covers:
//
//	"safeguard-one-time-key-v1" ‖ u64 account ‖ u8 len ‖ device ‖
//	u8 len ‖ key id ‖ [32] curve25519 ‖ u8 fallback
func (k OneTimeKey) signedBytes() ([]byte, error) {
	if err := (DeviceID{k.Account, k.Device}).Validate(); err != nil {
		return nil, err
	}
	if k.KeyID == "" || len(k.KeyID) > 64 {
		return nil, fmt.Errorf("key id of %d bytes, want 1 to 64", len(k.KeyID))
	}
	curve, err := decodeKey("curve25519", k.Curve25519)
	if err != nil {
		return nil, err
	}
	b := []byte(oneTimeKeyLabel)
	b = wire.AppendU64(b, uint64(k.Account))
	b = wire.AppendShort(b, k.Device)
	b = wire.AppendShort(b, k.KeyID)
	b = append(b, curve...)
	if k.Fallback {
		return append(b, 1), nil
	}
	return append(b, 0), nil
}

// Verify checks the key's signature against the Ed25519 key of its device.
func (k OneTimeKey) Verify(device DeviceKeys) error {
	if k.Account != device.Account || k.Device != device.Device {
		return fail(safeguard.ErrInvalid, "e2ee_bad_signature", "This key does not belong to that device.",
			ErrBadSignature, fmt.Errorf("one-time key of %d/%s offered for %s", k.Account, k.Device, device.ID()))
	}
	msg, err := k.signedBytes()
	if err != nil {
		return malformed("one-time key", err)
	}
	ed, err := decodeKey("ed25519", device.Ed25519)
	if err != nil {
		return malformed("device keys", err)
	}
	return verifySignature(ed, msg, k.Signature, "one-time key")
}

// ParseOneTimeKey decodes a one-time key from JSON. Its signature can only
// be checked against its device's keys (Verify).
func ParseOneTimeKey(b []byte) (OneTimeKey, error) {
	var k OneTimeKey
	if err := strictJSON(b, &k, maxKeyDocBytes); err != nil {
		return OneTimeKey{}, malformed("one-time key", err)
	}
	if _, err := k.signedBytes(); err != nil {
		return OneTimeKey{}, malformed("one-time key", err)
	}
	return k, nil
}

func decodeKey(name, s string) ([]byte, error) {
	k, err := b64.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("%s: %d bytes, want %d", name, len(k), KeySize)
	}
	return k, nil
}

func verifySignature(pub, msg []byte, sig, what string) error {
	raw, err := b64.Strict().DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize || !ed25519.Verify(pub, msg, raw) {
		return fail(safeguard.ErrInvalid, "e2ee_bad_signature", "The keys of this device are not validly signed.",
			ErrBadSignature, fmt.Errorf("%s signature", what))
	}
	return nil
}

// strictJSON decodes one JSON object into v, refusing unknown fields,
// trailing data and oversized input.
func strictJSON(b []byte, v any, max int) error {
	if len(b) > max {
		return fmt.Errorf("%d bytes, at most %d allowed", len(b), max)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("JSON syntax at byte %d: %w", se.Offset, err)
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
