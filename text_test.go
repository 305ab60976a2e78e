package safeguard_test

import (
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

// FuzzValidText checks the validator against its definition, rune by rune:
// accepted text holds no control (beyond line breaks and tabs in multiline
// text), no bidirectional control, and is valid UTF-8; and text with none
// of those is accepted.
func FuzzValidText(f *testing.F) {
	for _, s := range []string{"Year 8", "a\nb", "\u202eexe", "\a", "\xff", "مرحبا\u200f", "\u2066x\u2069"} {
		f.Add(s)
	}
	bidi := "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
	f.Fuzz(func(t *testing.T, s string) {
		for _, multiline := range []bool{false, true} {
			want := utf8.ValidString(s)
			for _, r := range s {
				lineBreak := r == '\n' || r == '\r' || r == '\t'
				if (unicode.IsControl(r) && !(multiline && lineBreak)) || strings.ContainsRune(bidi, r) {
					want = false
				}
			}
			if got := safeguard.ValidText(s, multiline); got != want {
				t.Fatalf("ValidText(%q, %v) = %v, want %v", s, multiline, got, want)
			}
		}
	})
}
