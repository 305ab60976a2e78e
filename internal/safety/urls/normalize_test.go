package urls

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// Scheme, case, www., trailing dots, default ports.
		{"https://bad.example/a/b.html", "bad.example/a/b.html"},
		{"http://bad.example/a/b.html", "bad.example/a/b.html"},
		{"bad.example/a/b.html", "bad.example/a/b.html"},
		{"//bad.example/a", "bad.example/a"},
		{"HTTPS://BAD.Example/a/b.html", "bad.example/a/b.html"},
		{"https://www.bad.example/a", "bad.example/a"},
		{"WWW.BAD.EXAMPLE/a", "bad.example/a"},
		{"www.example", "www.example"}, // "www." is kept when nothing with a dot would remain
		{"https://bad.example./a", "bad.example/a"},
		{"https://bad.example..:443/a", "bad.example/a"},
		{"https://bad.example:443/a", "bad.example/a"},
		{"http://bad.example:80/a", "bad.example/a"},
		{"https://bad.example:8443/a", "bad.example:8443/a"},
		{"bad.example:08080/a", "bad.example:8080/a"},
		{"https://user:secret@bad.example/a", "bad.example/a"},
		{"https://bad.example/a#section", "bad.example/a"},
		{"https://bad.example", "bad.example"},
		{"https://bad.example/", "bad.example"},
		// Paths: dot segments, repeated and trailing slashes, escapes.
		{"bad.example/a/./b/../c", "bad.example/a/c"},
		{"bad.example/../../a", "bad.example/a"},
		{"bad.example//a///b/", "bad.example/a/b"},
		{"bad.example/%7euser/%41%42c", "bad.example/~user/ABc"},
		{"bad.example/a%2fb", "bad.example/a%2Fb"},
		{"bad.example/a%2Fb", "bad.example/a%2Fb"},
		{"bad.example/100%", "bad.example/100%25"},
		{"bad.example/caf\u00e9", "bad.example/caf%C3%A9"},
		{"bad.example/caf%c3%a9", "bad.example/caf%C3%A9"},
		{`bad.example\a\b`, "bad.example/a/b"},
		// Queries: tracking parameters go, the rest is sorted.
		{"bad.example/a?utm_source=x&id=7&fbclid=abc", "bad.example/a?id=7"},
		{"bad.example/a?UTM_Medium=x&gclid=1&msclkid=2", "bad.example/a"},
		{"bad.example/a?b=2&a=1", "bad.example/a?a=1&b=2"},
		{"bad.example/a?q=%7e%2f&&", "bad.example/a?q=~%2F"},
		// Internationalised names become punycode; odd forms of dots.
		{"https://bücher.example/x", "xn--bcher-kva.example/x"},
		{"BÜCHER.example/x", "xn--bcher-kva.example/x"},
		{"ｂａｄ．ｅｘａｍｐｌｅ/a", "bad.example/a"},
		{"bad[.]example/a", "bad.example/a"},
		{"hxxps://bad(.)example/a", "bad.example/a"},
		{"bad%2eexample/a", "bad.example/a"},
		// Addresses.
		{"http://192.0.2.1/a", "192.0.2.1/a"},
		{"http://[2001:DB8::1]:8080/a", "[2001:db8::1]:8080/a"},
		{"http://[::ffff:192.0.2.1]/a", "192.0.2.1/a"},
		{"host_name.example/a", "host_name.example/a"},
	}
	for _, tt := range tests {
		l, err := Normalize(tt.in)
		if err != nil {
			t.Errorf("Normalize(%q): %v", tt.in, err)
			continue
		}
		if l.Key() != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, l.Key(), tt.want)
		}
		again, err := Normalize(l.Key())
		if err != nil || again.Key() != l.Key() {
			t.Errorf("Normalize(%q) is not stable: %q, %v", l.Key(), again.Key(), err)
		}
	}
}

func TestNormalizeURLErrors(t *testing.T) {
	for _, in := range []string{
		"", "   ", "ftp://bad.example/a", "javascript:alert(1)://x", "https://", "https:///a",
		"bad example/a", "bad.example:99999/a", "bad.example:x/a", "bad.example:1:2/a",
		"[2001:db8::1/a", "[not-v6]/a", "bad..example/a", "a\x00b.example",
		"https://" + strings.Repeat("a", 64) + ".example/", strings.Repeat("a.", MaxBytes),
		"bad.exa\xffmple", "bad.example/\x7f",
	} {
		if l, err := Normalize(in); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", in, l.Key())
		} else if safeguard.ErrorCode(err) != "invalid_url" {
			t.Errorf("Normalize(%q): code %q", in, safeguard.ErrorCode(err))
		}
	}
}

func TestCandidates(t *testing.T) {
	l, err := Normalize("https://a.b.bad.example:8080/dir/sub/page.html?x=1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range l.candidates() {
		got = append(got, string(c.kind)+" "+c.key)
	}
	want := []string{
		"url a.b.bad.example:8080/dir/sub/page.html?x=1",
		"domain a.b.bad.example", "domain b.bad.example", "domain bad.example",
		"path a.b.bad.example:8080",
		"path a.b.bad.example:8080/dir", "path a.b.bad.example:8080/dir/sub",
		"path a.b.bad.example:8080/dir/sub/page.html",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
	ip, _ := Normalize("192.0.2.1/a")
	for _, c := range ip.candidates() {
		if c.kind == safeguard.URLDomain && c.key != "192.0.2.1" {
			t.Errorf("an address has parent domains: %q", c.key)
		}
	}
}

func TestExtractLinks(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"look at https://Bad.Example/a?utm_source=chat ok", []string{"bad.example/a"}},
		{"go to www.bad.example/x, then (bad.example/y).", []string{"bad.example/x", "bad.example/y"}},
		{"it's bad[.]example/a or \"worse.example\"!", []string{"bad.example/a", "worse.example"}},
		{"two: bad.example/a and BAD.example/a", []string{"bad.example/a"}},
		{"mail me@bad.example, pi is 3.14, e.g. this, i.e. that, version 1.2.3", nil},
		{"see 192.0.2.7/x and 10.0.0", []string{"192.0.2.7/x"}},
		{"пример.рф/страница", []string{"xn--e1afmkfd.xn--p1ai/%D1%81%D1%82%D1%80%D0%B0%D0%BD%D0%B8%D1%86%D0%B0"}},
		{"xn--bcher-kva.xn--tckwe/a", []string{"xn--bcher-kva.xn--tckwe/a"}},
		{"no links here at all", nil},
		{"ftp://bad.example/a", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range ExtractLinks(tt.text) {
			got = append(got, l.Key())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ExtractLinks(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"https://bad.example/a?utm_source=x", "bücher.example", "[::1]:8080/a/../b", "a%zz.example/%", "bad[.]example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Normalize(s)
		if err != nil {
			if safeguard.ErrorCode(err) != "invalid_url" {
				t.Fatalf("Normalize(%q): error without the invalid_url code: %v", s, err)
			}
			return
		}
		again, err := Normalize(l.Key())
		if err != nil {
			t.Fatalf("Normalize(%q) = %q, which does not normalise: %v", s, l.Key(), err)
		}
		if again.Key() != l.Key() {
			t.Fatalf("Normalize(%q) = %q, then %q", s, l.Key(), again.Key())
		}
		for _, c := range l.candidates() {
			if c.key == "" {
				t.Fatalf("empty candidate for %q", s)
			}
		}
	})
}

func FuzzExtractLinks(f *testing.F) {
	f.Add("look at https://bad.example/a and www.x.example, me@y.example")
	f.Add("bad[.]example/a (c.example/d).")
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range ExtractLinks(s) {
			if again, err := Normalize(l.Key()); err != nil || again.Key() != l.Key() {
				t.Fatalf("ExtractLinks(%q) gave %q, not normalised: %q %v", s, l.Key(), again.Key(), err)
			}
		}
	})
}
