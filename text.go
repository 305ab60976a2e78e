package safeguard

import (
	"unicode"
	"unicode/utf8"
)

// Display text is what one person writes for others to read on screen: a
// group title, a report's note, an appeal, a moderator's reason. It may be
// in any script, and hold emoji, but not carry characters that change how
// the text around it is shown or that show nothing: control characters (a
// bell, an escape, a line break in a title), the invisible marks that
// reorder text, with which "gpj.exe" can be made to read "exe.jpg", and
// the characters that take no room at all, with which a title can look
// blank or two titles that read alike can differ.

// ValidText reports whether s is acceptable display text: valid UTF-8,
// without
//
//   - control characters (except line breaks and tabs when multiline);
//   - bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069) or the line and paragraph separators U+2028 and U+2029;
//   - Unicode's default ignorable code points (zero-width spaces and
//     joiners, the soft hyphen, U+FEFF, the Hangul fillers, tags, …),
//     except those emoji need: the zero-width joiner U+200D, the variation
//     selectors U+FE00–U+FE0F, and tags in a flag's tag sequence (U+1F3F4,
//     tags U+E0020–U+E007E, then U+E007F: the flags of England, Scotland
//     and Wales);
//   - noncharacters (U+FDD0–U+FDEF, and U+FFFE and U+FFFF of every plane)
//     and private-use characters.
//
// Code points unassigned in this Go release's Unicode tables are accepted:
// those tables lag behind Unicode's, and refusing them would refuse the
// newest emoji; the ranges Unicode keeps for future ignorables are refused
// already.
//
// And, when it is not white space alone (which callers trim to nothing),
// with at least one visible character: one that is not white space, the
// zero-width joiner, a variation selector, a tag or U+2800, the blank
// Braille pattern.
func ValidText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	visible, blank := false, false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			if !multiline {
				return false
			}
		case unicode.IsControl(r), bidiControl(r), r == '\u2028', r == '\u2029':
			return false
		case r == flag:
			visible = true
			i += tagSequence(s[i:])
		case r == zwj || variationSelector(r) || r == brailleBlank:
			blank = true
		case ignorable(r), noncharacter(r), unicode.Is(unicode.Co, r):
			return false
		case unicode.IsSpace(r):
		default:
			visible = true
		}
	}
	return visible || !blank
}

const (
	zwj          = '\u200d'
	brailleBlank = '\u2800'
	flag         = '\U0001f3f4' // a waving black flag, which tags make a region's
	tagFirst     = '\U000e0020'
	tagLast      = '\U000e007e'
	tagCancel    = '\U000e007f'
)

// tagSequence returns the length of the tags and the cancel tag at the
// start of s that make an emoji tag sequence after a flag, or 0 when s
// does not start with one.
func tagSequence(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= tagFirst && r <= tagLast:
			i += n
		case r == tagCancel && i > 0:
			return i + n
		default:
			return 0
		}
	}
	return 0
}

// variationSelector reports whether r is one of U+FE00–U+FE0F, which pick
// a character's text or emoji form.
func variationSelector(r rune) bool { return r >= '\ufe00' && r <= '\ufe0f' }

// ignorable reports whether r is a default ignorable code point
// (Unicode's DerivedCoreProperties: Other_Default_Ignorable_Code_Point,
// format characters and variation selectors, less white space, the
// interlinear annotation characters, the Egyptian hieroglyph format
// controls and the prepended concatenation marks, which show).
func ignorable(r rune) bool {
	switch {
	case r >= '\ufff9' && r <= '\ufffb', r >= '\U00013430' && r <= '\U00013440':
		return false
	case unicode.In(r, unicode.White_Space, unicode.Prepended_Concatenation_Mark):
		return false
	}
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector)
}

// noncharacter reports whether r is one of the 66 code points Unicode
// keeps for a program's own use, never for text.
func noncharacter(r rune) bool {
	return r >= '\ufdd0' && r <= '\ufdef' || r&0xfffe == 0xfffe
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
	return Invalid("invalid_text", "%s can't be blank, or contain control characters or invisible marks that hide or change the direction of text.", what)
}
