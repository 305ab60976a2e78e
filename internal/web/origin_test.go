package web

import (
	"net/netip"
	"strings"
	"testing"
)

// proxies are the trusted proxies of the origin tests.
func proxies(a netip.Addr) bool {
	for _, p := range []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ff::/48")} {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string // "" for no answer
	}{
		{"one hop with port", []string{"203.0.113.7:51234"}, "203.0.113.7:51234"},
		{"one hop without port", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"v6 with port", []string{"[2001:db8::1]:4711"}, "[2001:db8::1]:4711"},
		{"v6 bare", []string{"2001:db8::1"}, "[2001:db8::1]:0"},
		{"v6 bracketed", []string{"[2001:db8::1]"}, "[2001:db8::1]:0"},
		{"v4-mapped v6 unmapped", []string{"[::ffff:203.0.113.7]:9"}, "203.0.113.7:9"},
		{"forged leftmost ignored", []string{"198.51.100.99:1, 203.0.113.7:51234"}, "203.0.113.7:51234"},
		{"trusted hops skipped", []string{"198.51.100.99:1, 203.0.113.7:51234, 10.0.0.2:80, 10.1.2.3"}, "203.0.113.7:51234"},
		{"trusted v6 hop skipped", []string{"203.0.113.7:5, [2001:db8:ff::9]:443"}, "203.0.113.7:5"},
		{"several header lines", []string{"198.51.100.99:1", "203.0.113.7:51234, 10.0.0.2"}, "203.0.113.7:51234"},
		{"only trusted: leftmost", []string{"10.0.0.9:7, 10.0.0.2"}, "10.0.0.9:7"},
		{"forwarded quoted v6", []string{`for="[2001:db8::1]:4711";proto=https`}, "[2001:db8::1]:4711"},
		{"forwarded chain from right", []string{`for=198.51.100.99:1, for="203.0.113.7:80";by=10.0.0.1, for=10.0.0.2`}, "203.0.113.7:80"},
		{"forwarded case and spaces", []string{` For = 203.0.113.7 ; proto=http`}, "203.0.113.7:0"},
		{"forwarded without for", []string{`proto=https;by=10.0.0.1`}, ""},
		{"forwarded unknown", []string{`for=198.51.100.99, for=unknown`}, ""},
		{"forwarded obfuscated", []string{`for="_gazonk"`}, ""},
		{"garbage at the right", []string{"203.0.113.7, nonsense"}, ""},
		{"garbage left of the client is never read", []string{"nonsense, 203.0.113.7:4"}, "203.0.113.7:4"},
		{"zone refused", []string{"[fe80::1%eth0]:80"}, ""},
		{"empty", []string{""}, ""},
		{"no header", nil, ""},
		{"empty elements", []string{" , ,203.0.113.7:1,"}, "203.0.113.7:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := clientAddr(tt.values, proxies)
			if tt.want == "" {
				if ok {
					t.Errorf("clientAddr(%q) = %v, want no answer", tt.values, got)
				}
				return
			}
			if !ok || got.String() != tt.want {
				t.Errorf("clientAddr(%q) = %v %v, want %s", tt.values, got, ok, tt.want)
			}
		})
	}
}

// FuzzClientAddr checks that any header parses without panic and that an
// answer is always a plain address: valid, unmapped, without zone, and not a
// trusted proxy unless every hop was one. Whatever is put left of the client
// never changes the answer.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{
		"203.0.113.7:51234", "198.51.100.99:1, 203.0.113.7, 10.0.0.2", `for="[2001:db8::1]:4711";proto=https, for=10.0.0.1`,
		`for=unknown`, "[::ffff:10.0.0.1]:1", "nonsense", ",,,", `for="`, "[", "[]:1",
	} {
		f.Add(s, "198.51.100.1")
	}
	f.Fuzz(func(t *testing.T, header, forged string) {
		got, ok := clientAddr([]string{header}, proxies)
		if !ok {
			return
		}
		if !got.IsValid() || got.Addr().Is4In6() || got.Addr().Zone() != "" {
			t.Fatalf("clientAddr(%q) = %v: not a plain address", header, got)
		}
		if proxies(got.Addr()) {
			// Only when no hop was untrusted.
			for el := range strings.SplitSeq(header, ",") {
				if ap, ok := parseHop(el); ok && !proxies(ap.Addr()) {
					t.Fatalf("clientAddr(%q) = trusted %v past untrusted %v", header, got, ap)
				}
			}
			return
		}
		// A client found past at least one readable hop keeps its answer
		// whatever is prepended.
		if strings.ContainsAny(forged, ",") {
			return
		}
		again, ok := clientAddr([]string{forged + "," + header}, proxies)
		if !ok || again != got {
			t.Fatalf("prepending %q changed %v to %v %v", forged, got, again, ok)
		}
	})
}
