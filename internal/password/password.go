// Package password hashes and checks passwords with argon2id, for chat
// accounts and console accounts alike, and makes random passwords to hand out.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2 is the cost of password hashing with argon2id. The default follows
// OWASP's recommendation (19 MiB, two passes, one thread); tests lower it.
type Argon2 struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// Default is the password hashing cost used unless configured.
var Default = Argon2{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

const saltLen, keyLen = 16, 32

// Hash returns the PHC string of password under p:
// $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func (p Argon2) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Bounds on the cost read from a stored hash, so that a damaged or hostile
// row cannot make a login take minutes or gigabytes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
)

// Check reports whether password matches the PHC string encoded. The cost is
// read from the string, so a change of configuration does not lock anyone
// out.
func Check(encoded, password string) bool {
	h, ok := parse(encoded)
	return ok && h.matches(password)
}

// CostOf returns the cost the PHC string encoded was hashed at, and false
// if it is not one Check takes.
func CostOf(encoded string) (Argon2, bool) {
	h, ok := parse(encoded)
	return h.cost, ok
}

// phc is a parsed PHC string.
type phc struct {
	cost      Argon2
	salt, key []byte
}

func parse(encoded string) (phc, bool) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return phc{}, false
	}
	var p Argon2
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return phc{}, false
	}
	if p.MemoryKiB < 8 || p.MemoryKiB > maxMemoryKiB || p.Time < 1 || p.Time > maxTime || p.Threads < 1 {
		return phc{}, false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return phc{}, false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return phc{}, false
	}
	return phc{cost: p, salt: salt, key: want}, true
}

func (h phc) matches(password string) bool {
	got := argon2.IDKey([]byte(password), h.salt, h.cost.Time, h.cost.MemoryKiB, h.cost.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// passwordAlphabet has no letters or digits that read alike (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Generate returns a new random password: five groups of four
// characters from a 56-letter alphabet, about 116 bits.
func Generate() string {
	var b strings.Builder
	raw := make([]byte, 1)
	for i := 0; i < 20; {
		rand.Read(raw)
		// Rejection sampling keeps every character equally likely.
		if int(raw[0]) >= 256-256%len(passwordAlphabet) {
			continue
		}
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(passwordAlphabet[int(raw[0])%len(passwordAlphabet)])
		i++
	}
	return b.String()
}
