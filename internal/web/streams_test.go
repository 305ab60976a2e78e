package web

import (
	"errors"
	"net/netip"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
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
	open := func(account int64, address netip.Prefix) *stream {
		t.Helper()
		st, err := ss.open(t.Context(), account, address)
		if err != nil {
			t.Fatalf("open(%d, %s): %v", account, address, err)
		}
		return st
	}
	s1 := open(1, a)
	s2 := open(1, a)
	s3 := open(1, b) // the account's third: s1 goes
	if !replaced(s1) || replaced(s2) || replaced(s3) {
		t.Fatalf("per account: replaced %v %v %v, want only the first", replaced(s1), replaced(s2), replaced(s3))
	}
	// The same /64 is one address.
	s4 := open(2, addressKey(netip.MustParseAddr("2001:db8:1:2::ffff")))
	s5 := open(3, b)
	// The address's fourth, of an account with none there: every stream
	// there is its account's only one, so it is refused.
	if _, err := ss.open(t.Context(), 4, b); !errors.Is(err, safeguard.ErrRateLimited) {
		t.Fatalf("over the address's cap with only single streams: %v, want refused", err)
	}
	if replaced(s3) || replaced(s4) || replaced(s5) {
		t.Fatalf("a refused stream ended another: %v %v %v", replaced(s3), replaced(s4), replaced(s5))
	}
	// The newcomer's own stream there may go (a reconnect).
	s6 := open(3, b)
	if !replaced(s5) || replaced(s3) || replaced(s4) {
		t.Fatalf("own reconnect: replaced %v %v %v, want only s5", replaced(s3), replaced(s4), replaced(s5))
	}
	// An account holding two there gives up its oldest to another.
	s7 := open(4, a)
	ss.close(s6)
	s8 := open(2, b) // account 2 now holds s4, s8 at b
	s9 := open(5, b) // b: s3, s4, s8 → account 2 holds the most
	if !replaced(s4) || replaced(s3) || replaced(s8) || replaced(s9) {
		t.Fatalf("spare stream: replaced %v %v %v %v, want only s4", replaced(s3), replaced(s4), replaced(s8), replaced(s9))
	}
	// A stream that ends frees its place.
	ss.close(s9)
	s10 := open(6, b)
	if replaced(s3) || replaced(s8) || replaced(s10) {
		t.Errorf("a closed stream's place was not freed")
	}
	for _, st := range []*stream{s1, s2, s3, s4, s5, s6, s7, s8, s9, s10} {
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
		{"!end session 42", control{end: messaging.EndSession, id: 42}, true},
		{"!end membership 0", control{end: messaging.EndMembership}, true},
		{"!end stream 7", control{end: endStream, id: 7}, true},
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
