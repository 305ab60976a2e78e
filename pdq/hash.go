package pdq

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// Hash is a 256-bit PDQ hash. Its bytes are in the order of the reference's
// hex text: byte 0 holds the first two hex digits. Bit k of the hash (0…255)
// belongs to DCT coefficient row k/16, column k%16, and is the bit of weight
// 2^k of the 256-bit number the hex text spells, so bit 0 is the lowest bit
// of the last byte.
type Hash [32]byte

// HexLen is the length of a hash in hex text.
const HexLen = 64

// ErrInvalidHash is wrapped by every error ParseHash returns.
var ErrInvalidHash = errors.New("pdq: invalid hash")

// String returns the hash as 64 lowercase hex digits, as the reference prints
// it.
func (h Hash) String() string {
	return hex.EncodeToString(h[:])
}

// Bit reports whether bit k (0…255) is set.
func (h Hash) Bit(k int) bool {
	return h[31-k/8]>>(k%8)&1 == 1
}

// SetBit sets bit k (0…255).
func (h *Hash) SetBit(k int) {
	h[31-k/8] |= 1 << (k % 8)
}

// IsZero reports whether no bit is set. The reference gives the zero hash to
// images too small to hash.
func (h Hash) IsZero() bool {
	return h == Hash{}
}

// MarshalText encodes the hash as 64 lowercase hex digits.
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, HexLen)
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText parses 64 hex digits, as ParseHash does.
func (h *Hash) UnmarshalText(text []byte) error {
	v, err := parseHash(text)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHash parses 64 hex digits (either case), the form String returns and
// hash lists carry. Anything else, including surrounding space, is an error
// that wraps ErrInvalidHash and says what was wrong and where.
func ParseHash(s string) (Hash, error) {
	return parseHash([]byte(s))
}

func parseHash(s []byte) (Hash, error) {
	var h Hash
	if len(s) != HexLen {
		return h, fmt.Errorf("%w: want %d hex digits, got %d characters", ErrInvalidHash, HexLen, len(s))
	}
	for i, c := range s {
		if fromHex(c) < 0 {
			return h, fmt.Errorf("%w: character %d is %q, not a hex digit", ErrInvalidHash, i+1, c)
		}
	}
	for i := range h {
		h[i] = byte(fromHex(s[2*i])<<4 | fromHex(s[2*i+1]))
	}
	return h, nil
}

func fromHex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Distance returns the Hamming distance between a and b: the number of bits
// in which they differ, 0…256. Upstream matching calls two hashes a match at
// distance 31 or less.
func Distance(a, b Hash) int {
	n := 0
	for i := 0; i < len(a); i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]))
	}
	return n
}
