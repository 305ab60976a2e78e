package safeguard_test

import (
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestNickname(t *testing.T) {
	tests := []struct {
		handle, nickname string
		assigned         bool
	}{
		{"leo.37", "leo", true},
		{"Leo.3712", "Leo", true},
		{"a.b.07", "a.b", true},
		{"leo", "leo", false},
		{"leo.", "leo.", false},
		{"leo.x7", "leo.x7", false},
		{"leo37", "leo37", false},
		{".37", ".37", false},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := safeguard.Nickname(tc.handle); got != tc.nickname {
			t.Errorf("Nickname(%q) = %q, want %q", tc.handle, got, tc.nickname)
		}
		if got := safeguard.HasDiscriminator(tc.handle); got != tc.assigned {
			t.Errorf("HasDiscriminator(%q) = %v, want %v", tc.handle, got, tc.assigned)
		}
	}
}

func TestHandleSkeleton(t *testing.T) {
	// Each group is confusable within itself and with no other group.
	groups := [][]string{
		{"leo", "Leo", "LEO", "Ieo", "1eo", "le0", "lEO", "ieo", "1e0", "IE0"},
		{"mike", "rnike", "MIKE", "rnlke"},
		{"leo.37", "Ieo.37", "le0.37"},
		{"leo.10", "leo.lo", "Ieo.io"},
		{"leo.38"},
		{"le_o", "Ie_0"},
		{"le-o"},
		{"leon"},
	}
	seen := map[string]int{}
	for gi, g := range groups {
		want := safeguard.HandleSkeleton(g[0])
		for _, h := range g {
			if got := safeguard.HandleSkeleton(h); got != want {
				t.Errorf("HandleSkeleton(%q) = %q, want %q (as %q)", h, got, want, g[0])
			}
		}
		if other, ok := seen[want]; ok {
			t.Errorf("groups %v and %v share skeleton %q", groups[other], g, want)
		}
		seen[want] = gi
	}
}

func FuzzNickname(f *testing.F) {
	for _, s := range []string{"leo.37", "leo", "a.b.99", ".1", "x.", "Ieo.0123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := safeguard.Nickname(s)
		if !strings.HasPrefix(s, n) {
			t.Fatalf("Nickname(%q) = %q, not a prefix", s, n)
		}
		if safeguard.HasDiscriminator(n) {
			t.Fatalf("Nickname(%q) = %q still has a discriminator", s, n)
		}
		if safeguard.HasDiscriminator(s) != (n != s) {
			t.Fatalf("HasDiscriminator(%q) disagrees with Nickname %q", s, n)
		}
		sk := safeguard.HandleSkeleton(s)
		if safeguard.HandleSkeleton(sk) != sk {
			t.Fatalf("HandleSkeleton(%q) = %q is not a fixed point", s, sk)
		}
		if safeguard.HandleSkeleton(strings.ToUpper(s)) != safeguard.HandleSkeleton(strings.ToLower(s)) && isASCII(s) {
			t.Fatalf("HandleSkeleton(%q) depends on letter case", s)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestBornBy(t *testing.T) {
	start := time.Date(2023, time.January, 1, 12, 0, 0, 0, time.UTC)
	for day := range 3 * 366 {
		now := start.AddDate(0, 0, day)
		for _, years := range []int{safeguard.TeenFrom, safeguard.AdultFrom} {
			cut := safeguard.BornBy(years, now)
			for b := -3; b <= 3; b++ {
				birth := safeguard.DateOf(time.Date(cut.Year, cut.Month, cut.Day+b, 0, 0, 0, 0, time.UTC))
				old := safeguard.AgeOn(birth, now) >= years
				notAfter := !cut.Before(birth)
				if old != notAfter {
					t.Fatalf("on %s, born %s: aged %d at least %d is %v, but BornBy = %s", now.Format(time.DateOnly), birth, safeguard.AgeOn(birth, now), years, old, cut)
				}
			}
		}
	}
}
