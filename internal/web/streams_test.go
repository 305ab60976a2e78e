package web

import (
	"net/netip"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/messaging"
)

func TestStreamSetEndsTheOldestOverACap(t *testing.T) {
	a := addressKey(netip.MustParseAddr("203.0.113.7"))
	b := addressKey(netip.MustParseAddr("2001:db8:1:2::1"))
	ss := newStreamSet(2, 3)
	replaced := func(st *stream) bool {
		select {
		case <-st.replaced:
			return true
		default:
			return false
		}
	}
	s1 := ss.open(1, a)
	s2 := ss.open(1, a)
	s3 := ss.open(1, b) // the account's third: s1 goes
	if !replaced(s1) || replaced(s2) || replaced(s3) {
		t.Fatalf("per account: replaced %v %v %v, want only the first", replaced(s1), replaced(s2), replaced(s3))
	}
	// The same /64 is one address.
	s4 := ss.open(2, addressKey(netip.MustParseAddr("2001:db8:1:2::ffff")))
	s5 := ss.open(3, b)
	s6 := ss.open(4, b) // the address's fourth: s3 goes
	if !replaced(s3) || replaced(s4) || replaced(s5) || replaced(s6) {
		t.Fatalf("per address: replaced %v %v %v %v, want only s3", replaced(s3), replaced(s4), replaced(s5), replaced(s6))
	}
	// A stream that ends frees its place.
	ss.close(s4)
	s7 := ss.open(5, b)
	if replaced(s5) || replaced(s6) || replaced(s7) {
		t.Errorf("a closed stream's place was not freed")
	}
	for _, st := range []*stream{s1, s2, s3, s5, s6, s7} {
		ss.close(st)
	}
	if len(ss.byAccount) != 0 || len(ss.byAddress) != 0 {
		t.Errorf("streams left after all closed: %v %v", ss.byAccount, ss.byAddress)
	}
}

func TestAddressKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"203.0.113.7", "203.0.113.7/32"},
		{"::ffff:203.0.113.7", "203.0.113.7/32"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
	}
	for _, tt := range tests {
		if got := addressKey(netip.MustParseAddr(tt.addr)).String(); got != tt.want {
			t.Errorf("addressKey(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

func TestParseControl(t *testing.T) {
	tests := []struct {
		in   string
		want control
		ok   bool
	}{
		{"!end session 0", control{end: messaging.EndSession}, true},
		{"!end session 42", control{end: messaging.EndSession, session: 42}, true},
		{"!end membership 0", control{end: messaging.EndMembership}, true},
		{`{"type":"message.created"}`, control{}, false},
		{"!end session -1", control{}, false},
		{"!end nothing 0", control{}, false},
		{"!end session", control{}, false},
		{"", control{}, false},
	}
	for _, tt := range tests {
		got, ok := parseControl([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseControl(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseControl(f *testing.F) {
	f.Add([]byte("!end session 42"))
	f.Add([]byte("!end membership 0"))
	f.Add([]byte(`{"type":"resync"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ok := parseControl(b)
		if !ok {
			return
		}
		again, ok := parseControl(c.encode())
		if !ok || again != c {
			t.Errorf("%q read as %+v, which encodes to %q and reads back as %+v", b, c, c.encode(), again)
		}
	})
}
