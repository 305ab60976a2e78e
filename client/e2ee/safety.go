package e2ee

import (
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"github.com/safeguard-dev/safeguard/internal/wire"
	"strings"
)

// SafetyNumberIterations is how many times each side's fingerprint is
// hashed, to make finding a key with a chosen fingerprint expensive.
const SafetyNumberIterations = 5200

const safetyNumberVersion = 1

// SafetyNumber returns the number two people compare, on their screens or
// read aloud, to check that each device holds the other's real identity
// keys: 60 digits in 12 groups of 5. Both devices compute the same number.
//
// Each side's 30-digit fingerprint comes from its keys:
//
//	H0   = SHA-512(u16 version=1 ‖ "safeguard-safety-number" ‖ u64 account ‖
//	             u8 len ‖ device ‖ [32] ed25519 ‖ [32] curve25519)
//	Hi+1 = SHA-512(Hi ‖ ed25519 ‖ curve25519)   for 5200 iterations
//
// and the first 30 bytes of the last H make 6 blocks of 5 bytes; each block,
// read as a big-endian integer modulo 100000, gives 5 digits. The two
// fingerprints are sorted and joined, so the order of the arguments does not
// matter. A number changes when either device's identity keys change.
func SafetyNumber(a, b DeviceKeys) (string, error) {
	fa, err := fingerprint(a)
	if err != nil {
		return "", err
	}
	fb, err := fingerprint(b)
	if err != nil {
		return "", err
	}
	if fb < fa {
		fa, fb = fb, fa
	}
	digits := fa + fb
	groups := make([]string, 0, 12)
	for i := 0; i < len(digits); i += 5 {
		groups = append(groups, digits[i:i+5])
	}
	return strings.Join(groups, " "), nil
}

func fingerprint(k DeviceKeys) (string, error) {
	if err := k.ID().Validate(); err != nil {
		return "", malformed("device keys", err)
	}
	ed, err := decodeKey("ed25519", k.Ed25519)
	if err != nil {
		return "", malformed("device keys", err)
	}
	curve, err := decodeKey("curve25519", k.Curve25519)
	if err != nil {
		return "", malformed("device keys", err)
	}
	seed := binary.BigEndian.AppendUint16(nil, safetyNumberVersion)
	seed = append(seed, "safeguard-safety-number"...)
	seed = wire.AppendU64(seed, uint64(k.Account))
	seed = wire.AppendShort(seed, k.Device)
	seed = append(seed, ed...)
	seed = append(seed, curve...)
	h := sha512.Sum512(seed)
	buf := make([]byte, 0, sha512.Size+2*KeySize)
	for range SafetyNumberIterations {
		buf = append(buf[:0], h[:]...)
		buf = append(buf, ed...)
		buf = append(buf, curve...)
		h = sha512.Sum512(buf)
	}
	var sb strings.Builder
	for i := 0; i < 30; i += 5 {
		block := uint64(h[i])<<32 | uint64(h[i+1])<<24 | uint64(h[i+2])<<16 | uint64(h[i+3])<<8 | uint64(h[i+4])
		fmt.Fprintf(&sb, "%05d", block%100000)
	}
	return sb.String(), nil
}
