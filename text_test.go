package safeguard_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestValidText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		oneLine   bool // accepted as a title
		multiline bool // accepted as a note
	}{
		{"plain", "Year 8 maths", true, true},
		{"empty", "", true, true},
		{"other scripts", "مرحبا 你好 Ünïcödé 👋🏽 👨‍👩‍👧", true, true},
		{"newline", "one\ntwo", false, true},
		{"carriage return", "one\r\ntwo", false, true},
		{"tab", "a\tb", false, true},
		{"bell", "ring\a", false, false},
		{"escape", "\x1b[31mred", false, false},
		{"nul", "a\x00b", false, false},
		{"delete", "a\x7fb", false, false},
		{"C1 control", "a\u0085b", false, false},
		{"right-to-left override", "photo\u202egpj.exe", false, false},
		{"left-to-right embedding", "\u202aa", false, false},
		{"pop directional formatting", "a\u202c", false, false},
		{"first strong isolate", "\u2068a\u2069", false, false},
		{"left-to-right isolate", "\u2066a", false, false},
		{"left-to-right mark", "a\u200e", false, false},
		{"right-to-left mark", "a\u200f", false, false},
		{"arabic letter mark", "a\u061c", false, false},
		{"line separator", "a\u2028b", false, false},
		{"paragraph separator", "a\u2029b", false, false},
		{"invalid UTF-8", "a\xffb", false, false},
		{"zero-width space", "a\u200bb", false, false},
		{"zero-width non-joiner", "a\u200cb", false, false},
		{"word joiner", "a\u2060b", false, false},
		{"byte order mark", "\ufeffa", false, false},
		{"soft hyphen", "a\u00adb", false, false},
		{"combining grapheme joiner", "a\u034fb", false, false},
		{"mongolian vowel separator", "a\u180eb", false, false},
		{"hangul choseong filler", "\u115f", false, false},
		{"hangul jungseong filler", "a\u1160", false, false},
		{"hangul filler", "\u3164", false, false},
		{"halfwidth hangul filler", "a\uffa0", false, false},
		{"language tag", "\U000e0001a", false, false},
		{"tags without a flag", "a\U000e0067\U000e0062\U000e007f", false, false},
		{"flag tags without the cancel tag", "\U0001f3f4\U000e0067\U000e0062", false, false},
		{"variation selector supplement", "a\U000e0100", false, false},
		{"reserved ignorable", "a\u2065", false, false},
		{"noncharacter FFFF", "a\uffff", false, false},
		{"noncharacter FFFE", "a\ufffe", false, false},
		{"noncharacter FDD0", "a\ufdd0", false, false},
		{"noncharacter of plane 16", "a\U0010ffff", false, false},
		{"private use", "a\ue000", false, false},
		{"supplementary private use", "a\U000f0000", false, false},
		{"blank with fillers", "\u3164\u200b\u2060", false, false},
		{"blank Braille pattern alone", "\u2800", false, false},
		{"joiner and selector alone", " \u200d\ufe0f ", false, false},
		{"blank Braille pattern in text", "a\u2800b", true, true},
		{"white space alone", "  \u00a0\u3000", true, true},
		{"blank lines", "\n\n", false, true},
		{"zero-width joiner in an emoji", "\U0001f469\u200d\U0001f4bb", true, true},
		{"emoji variation selector", "\u2764\ufe0f", true, true},
		{"keycap", "1\ufe0f\u20e3", true, true},
		{"flag of England", "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f Lions", true, true},
		{"arabic number sign", "\u0600\u0661", true, true},
		{"no-break space", "Year\u00a08", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeguard.ValidText(tt.in, false); got != tt.oneLine {
				t.Errorf("ValidText(%q, false) = %v, want %v", tt.in, got, tt.oneLine)
			}
			if got := safeguard.ValidText(tt.in, true); got != tt.multiline {
				t.Errorf("ValidText(%q, true) = %v, want %v", tt.in, got, tt.multiline)
			}
		})
	}
}

// FuzzValidText checks the validator against its definition, written
// otherwise: accepted text is valid UTF-8 and holds no control (beyond line
// breaks and tabs in multiline text), no bidirectional control, no default
// ignorable code point but the zero-width joiner, U+FE00–U+FE0F and the tags
// of a flag's tag sequence, no noncharacter and no private-use character;
// and, if it is not white space alone, a visible character. Text with none
// of those faults is accepted.
func FuzzValidText(f *testing.F) {
	for _, s := range []string{"Year 8", "a\nb", "\u202eexe", "\a", "\xff", "مرحبا\u200f", "\u2066x\u2069",
		"\u3164\u200b\u2060", "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "\u2764\ufe0f", "\u2800", "\uffff"} {
		f.Add(s)
	}
	bidi := "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
	flags := regexp.MustCompile(`\x{1f3f4}[\x{e0020}-\x{e007e}]+\x{e007f}`)
	// Default_Ignorable_Code_Point, as DerivedCoreProperties.txt derives it.
	ignorable := func(r rune) bool {
		return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector) &&
			!unicode.In(r, unicode.White_Space, unicode.Prepended_Concatenation_Mark) &&
			!(r >= 0xfff9 && r <= 0xfffb) && !(r >= 0x13430 && r <= 0x13440)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, multiline := range []bool{false, true} {
			want := utf8.ValidString(s)
			blank := false
			rest := flags.ReplaceAllString(s, "F")
			for _, r := range rest {
				lineBreak := r == '\n' || r == '\r' || r == '\t'
				if (unicode.IsControl(r) && !(multiline && lineBreak)) || strings.ContainsRune(bidi, r) {
					want = false
				}
				kept := r == 0x200d || r >= 0xfe00 && r <= 0xfe0f
				if ignorable(r) && !kept || unicode.Is(unicode.Co, r) || r >= 0xfdd0 && r <= 0xfdef || r%0x10000 >= 0xfffe {
					want = false
				}
				if kept || r == 0x2800 {
					blank = true
				}
			}
			if blank && strings.TrimFunc(rest, func(r rune) bool {
				return unicode.IsSpace(r) || r == 0x200d || r >= 0xfe00 && r <= 0xfe0f || r == 0x2800
			}) == "" {
				want = false
			}
			if got := safeguard.ValidText(s, multiline); got != want {
				t.Fatalf("ValidText(%q, %v) = %v, want %v", s, multiline, got, want)
			}
		}
	})
}
