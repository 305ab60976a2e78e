package password

import (
	"errors"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestGuessable(t *testing.T) {
	tests := []struct {
		password string
		names    []string
		weak     bool
	}{
		{"xxxxxxxxxx", nil, true},
		{"1234567890", nil, true},
		{"0987654321", nil, true},
		{"abcdefghij", nil, true},
		{"ABCDEFGHIJ", nil, true},
		{"7890123456", nil, true},
		{"abcabcabcabc", nil, true},
		{"1212121212", nil, true},
		{"aaaaabbbbb", nil, true}, // two characters
		{"qwertyuiop", nil, true}, // on the list
		{"QwertyUIOP", nil, true}, // in any case
		{"password123", nil, true},
		{"iloveyou12", nil, true},
		{"leo.37leo.37", []string{"leo.37"}, true},
		{"Leo37Leo37!", []string{"leo.37"}, true},
		{"marmalade-sky", []string{"mar"}, false}, // a short name inside a longer password
		{"correct horse battery", []string{"leo.37"}, false},
		{"correct horse battery staple", nil, false},
		{"a long enough password", nil, false},
		{"demo-password-1", nil, false},
		{"abcdefghik", nil, false}, // one step off a sequence
	}
	for _, tt := range tests {
		err := Guessable(tt.password, tt.names...)
		if (err != nil) != tt.weak {
			t.Errorf("Guessable(%q, %q) = %v, want weak %v", tt.password, tt.names, err, tt.weak)
		}
		var e *safeguard.Error
		if err != nil && (!errors.As(err, &e) || e.Code != CodeWeak || !errors.Is(err, safeguard.ErrInvalid)) {
			t.Errorf("Guessable(%q): %#v, want ErrInvalid %s", tt.password, err, CodeWeak)
		}
	}
}

func TestCommonListIsLongPasswordsOnly(t *testing.T) {
	n := 0
	for _, p := range strings.Split(commonText, "\n") {
		if p == "" {
			continue
		}
		n++
		if len([]rune(p)) < 10 {
			t.Errorf("%q is shorter than 10 characters: the length check refuses it already", p)
		}
	}
	if n != 1557 {
		t.Errorf("%d entries, want the 1,557 of SOURCE.md", n)
	}
}

func FuzzGuessable(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "xxxxxxxxxx", "9012345678", "correct horse battery", "\xff\xfe"} {
		f.Add(s, "leo.37")
	}
	f.Fuzz(func(t *testing.T, password, name string) {
		err := Guessable(password, name)
		if err != nil && safeguard.ErrorCode(err) != CodeWeak {
			t.Fatalf("Guessable(%q, %q): %v", password, name, err)
		}
	})
}
