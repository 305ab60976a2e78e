package safeguard

import "strings"

// A handle names an account. It is written nickname.discriminator, like
// "leo.37": the account holder chooses the nickname, the server assigns the
// discriminator (digits), so nobody can choose a whole handle and no answer at
// sign-up says whether someone else holds one. Handles compare
// case-insensitively. Accounts made before discriminators keep the handle they
// chose, which is their nickname too.

// Nickname returns the nickname part of a handle: the handle without a final
// dot and digits ("leo.37" → "leo"). A handle without them is all nickname.
func Nickname(handle string) string {
	if i := discriminatorAt(handle); i >= 0 {
		return handle[:i]
	}
	return handle
}

// HasDiscriminator reports whether s ends in a dot and one or more digits, as
// a handle the server assigned does, and a nickname never may.
func HasDiscriminator(s string) bool { return discriminatorAt(s) >= 0 }

// discriminatorAt returns the index of the dot before a final run of digits,
// or -1.
func discriminatorAt(s string) int {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || i < 2 || s[i-1] != '.' {
		return -1
	}
	return i - 1
}

// HandleSkeleton returns the form of a handle or nickname that looks alike
// for handles a reader would confuse: two with the same skeleton are
// confusable ("Ieo", "1eo" and "le0" all have the skeleton of "leo").
//
// It is the skeleton of Unicode TR39 (confusables.txt) restricted to the
// characters handles allow (ASCII letters, digits, '.', '_', '-'), where the
// table maps 0 → O, 1 → l, I → l and m → rn, closed under the letter case
// that handles ignore: letters are lower-cased, 0 folds to o, and 1, i and l
// fold together (I and i are one letter in a handle, so i goes with l).
// The SQL of the stores' migration 0009 computes the same for accounts made
// before it; change the two together.
func HandleSkeleton(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'm':
			b.WriteString("rn")
		case '0':
			b.WriteByte('o')
		case '1', 'i':
			b.WriteByte('l')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
