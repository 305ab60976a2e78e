package password

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"

	safeguard "github.com/safeguard-dev/safeguard"
)

// common.txt holds the common passwords of at least 10 characters, one a
// line; SOURCE.md says where it comes from.
//
//go:embed common.txt
var commonText string

var common = sync.OnceValue(func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, p := range strings.Split(commonText, "\n") {
		if p != "" {
			m[strings.ToLower(p)] = struct{}{}
		}
	}
	return m
})

// CodeWeak is the code of a password refused as too easy to guess.
const CodeWeak = "weak_password"

// minDistinct is the fewest different characters a password may have.
const minDistinct = 4

// Guessable reports, as an ErrInvalid *safeguard.Error with code CodeWeak
// and a plain sentence, why password is among the first an attacker would
// try, as NIST SP 800-63B asks a verifier to check: a common password (the
// shipped list, in any letter case), a repeated or sequential string
// ("xxxxxxxxxx", "1234567890", "abcdefghij", "abcabcabca"), or the account's
// own name. It returns nil for any other password; length is the caller's
// check.
func Guessable(password string, names ...string) error {
	lower := strings.ToLower(password)
	if _, ok := common()[lower]; ok {
		return safeguard.Invalid(CodeWeak, "That password is on the list of the most common passwords, which attackers try first. Choose another.")
	}
	if patterned(lower) {
		return safeguard.Invalid(CodeWeak, "That password is a repeated or sequential pattern, like 1234567890 or aaaaaaaaaa. Choose another.")
	}
	bare := letters(lower)
	for _, n := range names {
		n = letters(strings.ToLower(n))
		if n != "" && (bare == n || strings.Contains(bare, n) && 2*len(n) >= len(bare)) {
			return safeguard.Invalid(CodeWeak, "A password must not be your name. Choose another.")
		}
	}
	return nil
}

// patterned reports whether s has fewer than minDistinct different
// characters, repeats a unit of up to four characters, or runs up or down
// the alphabet or digits one step at a time.
func patterned(s string) bool {
	rs := []rune(s)
	distinct := map[rune]bool{}
	for _, r := range rs {
		distinct[r] = true
	}
	if len(distinct) < minDistinct {
		return true
	}
	for unit := 1; unit <= 4 && unit < len(rs); unit++ {
		repeats := true
		for i := unit; i < len(rs) && repeats; i++ {
			repeats = rs[i] == rs[i-unit]
		}
		if repeats {
			return true
		}
	}
	step := stepOf(rs[0], rs[1])
	for i := 2; i < len(rs) && step != 0; i++ {
		if stepOf(rs[i-1], rs[i]) != step {
			return false
		}
	}
	return step != 0
}

// stepOf is 1 if b follows a in the alphabet or the digits, -1 if it
// precedes it, 0 otherwise. Digits wrap around: "7890123456" runs up.
func stepOf(a, b rune) rune {
	if unicode.IsDigit(a) && unicode.IsDigit(b) && a <= '9' && b <= '9' {
		switch (b - a + 10) % 10 {
		case 1:
			return 1
		case 9:
			return -1
		}
		return 0
	}
	if d := b - a; d == 1 || d == -1 {
		return d
	}
	return 0
}

// letters keeps only the letters and digits of s.
func letters(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
