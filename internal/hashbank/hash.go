package hashbank

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// PDQ is a 256-bit PDQ perceptual hash, in the byte order of its 64-digit
// hex form.
type PDQ [32]byte

// MD5 is an MD5 digest.
type MD5 [16]byte

// SHA256 is a SHA-256 digest.
type SHA256 [32]byte

// String returns the 64 lower-case hex digits of h.
func (h PDQ) String() string { return hex.EncodeToString(h[:]) }

// String returns the 32 lower-case hex digits of h.
func (h MD5) String() string { return hex.EncodeToString(h[:]) }

// String returns the 64 lower-case hex digits of h.
func (h SHA256) String() string { return hex.EncodeToString(h[:]) }

// ParsePDQ parses 64 hex digits (either case).
func ParsePDQ(s string) (PDQ, error) {
	var h PDQ
	return h, parseHex(h[:], s, "PDQ")
}

// ParseMD5 parses 32 hex digits (either case).
func ParseMD5(s string) (MD5, error) {
	var h MD5
	return h, parseHex(h[:], s, "MD5")
}

// ParseSHA256 parses 64 hex digits (either case).
func ParseSHA256(s string) (SHA256, error) {
	var h SHA256
	return h, parseHex(h[:], s, "SHA-256")
}

func parseHex(dst []byte, s, name string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("a %s hash has %d hex digits, not %d", name, 2*len(dst), len(s))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return fmt.Errorf("a %s hash is hex digits only: %q", name, s)
	}
	return nil
}

// HashKind is a kind of hash, and as a bit set, the kinds an entry carries.
type HashKind uint8

// The kinds of hash.
const (
	KindPDQ HashKind = 1 << iota
	KindMD5
	KindSHA256
)

// Has reports whether k includes every kind in o.
func (k HashKind) Has(o HashKind) bool { return k&o == o && o != 0 }

// String returns "pdq", "md5", "sha256", or those joined with "+".
func (k HashKind) String() string {
	var parts []string
	for _, c := range []struct {
		k    HashKind
		name string
	}{{KindPDQ, "pdq"}, {KindMD5, "md5"}, {KindSHA256, "sha256"}} {
		if k&c.k != 0 {
			parts = append(parts, c.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// ParseKind parses a kind name: pdq, md5 or sha256 (any case; "sha-256"
// too).
func ParseKind(s string) (HashKind, error) {
	switch strings.ToLower(s) {
	case "pdq":
		return KindPDQ, nil
	case "md5":
		return KindMD5, nil
	case "sha256", "sha-256":
		return KindSHA256, nil
	}
	return 0, fmt.Errorf("unknown hash type %q (want pdq, md5 or sha256)", s)
}

// Hashes are the hashes known for one image; Kinds says which are set.
type Hashes struct {
	Kinds  HashKind
	PDQ    PDQ
	MD5    MD5
	SHA256 SHA256
}

// Entry is one item of a bank as a store loads it into an Index.
type Entry struct {
	ID     int64 // the store's entry id, unique across banks
	BankID int64
	Hashes
}

// Bank is what the index needs to know of a bank.
type Bank struct {
	ID int64
	// Negative marks a bank of known false positives: a query near one of
	// its entries is not reported as a match of any positive bank.
	Negative bool
	// Disabled banks match nothing (and, if negative, suppress nothing).
	Disabled bool
}
