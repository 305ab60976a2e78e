package safeguard

import (
	"unicode"
	"unicode/utf8"
)

// Display text is what one person writes for others to read on screen: a
// group title, a report's note, an appeal, a moderator's reason. It may be
// in any script, but not carry characters that change how the text around
// it is shown: control characters (a bell, an escape, a line break in a
// title) and the invisible marks that reorder text, with which "gpj.exe"
// can be made to read "exe.jpg".

// ValidText reports whether s is acceptable display text: valid UTF-8,
// without control characters (except line breaks and tabs when multiline)
// and without bidirectional controls (U+061C, U+200E, U+200F,
// U+202A–U+202E, U+2066–U+2069) or the line and paragraph separators
// U+2028 and U+2029.
func ValidText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			if !multiline {
				return false
			}
		case unicode.IsControl(r), bidiControl(r), r == '\u2028', r == '\u2029':
			return false
		}
	}
	return true
}

// bidiControl reports whether r is one of Unicode's explicit directional
// formatting characters (UAX #9): marks, embeddings, overrides, isolates.
func bidiControl(r rune) bool {
	switch {
	case r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// InvalidText is the answer to display text that ValidText refuses; what
// names the text for the person who wrote it ("The title").
func InvalidText(what string) *Error {
	return Invalid("invalid_text", "%s can't contain control characters or invisible marks that change the direction of text.", what)
}
