package ratelimit

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestAddrKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"", ""},
	}
	for _, tt := range tests {
		var a netip.Addr
		if tt.addr != "" {
			a = netip.MustParseAddr(tt.addr)
		}
		if got := AddrKey(a); got != tt.want {
			t.Errorf("AddrKey(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestRefusedSaysWhenInWholeSeconds(t *testing.T) {
	e := Refused("rate_limited", 2100*time.Millisecond)
	if !errors.Is(e, safeguard.ErrRateLimited) || e.RetryAfter != 2100*time.Millisecond ||
		e.Message != "Too many attempts. Please try again in 3 seconds." {
		t.Fatalf("Refused: %+v", e)
	}
}

func TestLoginGuard(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := NewLoginGuard(LoginLimits{
		PerAddress:        Limit{Burst: 100, Per: time.Second},
		PerAccountAddress: Limit{Burst: 5, Per: time.Minute},
		PerAccount:        Limit{Burst: 8, Per: time.Minute},
		Remember:          time.Hour,
	}, func() time.Time { return now })
	var (
		owner     = netip.MustParseAddr("2001:db8:aa:1::10")
		ownerNext = netip.MustParseAddr("2001:db8:aa:1::99") // the owner's next address in the same /64
		attacker  = netip.MustParseAddr("198.51.100.7")
	)
	check := func(addr netip.Addr) error { return g.Check("victim", addr, "rate_limited") }

	// The owner has logged in before from their /64.
	if err := check(owner); err != nil {
		t.Fatal(err)
	}
	g.Succeeded("victim", owner)

	// An attacker fails five times and is locked out…
	for i := range 5 {
		if err := check(attacker); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	err := check(attacker)
	var e *safeguard.Error
	if !errors.As(err, &e) || e.RetryAfter != time.Minute {
		t.Fatalf("6th attempt: %v, want refused for a minute", err)
	}
	// …the owner is not, from a new address in their /64.
	if err := check(ownerNext); err != nil {
		t.Fatalf("owner after the attacker's lockout: %v", err)
	}

	// The attacker moves on through many addresses: the account's own
	// limit (8, counting the owner's first attempt and the attacker's 5)
	// stops them…
	n := 0
	for i := range 20 {
		a := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		if check(a) != nil {
			break
		}
		n++
	}
	if n != 2 {
		t.Fatalf("attacker got %d attempts from fresh addresses, want 2", n)
	}
	// …and still does not shut the owner out of the addresses they use.
	if err := check(owner); err != nil {
		t.Fatalf("owner from a known address: %v", err)
	}
	// A new address of the owner's is refused until the account's limit
	// refills, and the memory of a login fades after Remember.
	stranger := netip.MustParseAddr("192.0.2.1")
	if err := check(stranger); err == nil {
		t.Fatal("a new address got past the account's limit")
	}
	now = now.Add(2 * time.Hour)
	if err := check(stranger); err != nil {
		t.Fatalf("after the account's limit refilled: %v", err)
	}
	for range 8 {
		check(netip.MustParseAddr("192.0.2.2"))
		check(netip.MustParseAddr("192.0.2.3"))
	}
	if err := check(owner); err == nil {
		t.Fatal("an address remembered past Remember is still exempt")
	}
}

// Two limits refuse a login at once: the wait given is the longer one, and
// attempts refused by one limit spend nothing of another.
func TestLoginGuardLongestWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := NewLoginGuard(LoginLimits{
		PerAddress:        Limit{Burst: 20, Per: 10 * time.Second},
		PerAccountAddress: Limit{Burst: 5, Per: time.Minute},
		PerAccount:        Limit{Burst: 50, Per: time.Minute},
	}, func() time.Time { return now })
	from := netip.MustParseAddr("198.51.100.7")
	wait := func(account string) time.Duration {
		t.Helper()
		var e *safeguard.Error
		if err := g.Check(account, from, "rate_limited"); !errors.As(err, &e) {
			t.Fatalf("%s: %v, want refused", account, err)
		}
		return e.RetryAfter
	}
	for i := range 5 {
		if err := g.Check("victim", from, "rate_limited"); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	for range 3 {
		if got := wait("victim"); got != time.Minute {
			t.Fatalf("wait %v, want 1m", got)
		}
	}
	// The refusals spent nothing: 15 more attempts on other accounts fit
	// in the address's 20.
	for i := range 15 {
		if err := g.Check(fmt.Sprint("other", i), from, "rate_limited"); err != nil {
			t.Fatalf("other account %d: %v", i, err)
		}
	}
	if got := wait("someone"); got != 10*time.Second {
		t.Fatalf("address wait %v, want 10s", got)
	}
	now = now.Add(5 * time.Second)
	got := wait("victim")
	if got != 55*time.Second {
		t.Fatalf("victim's wait %v, want 55s (the account's, not the address's 5s)", got)
	}
	now = now.Add(got - time.Millisecond)
	wait("victim")
	now = now.Add(time.Millisecond)
	if err := g.Check("victim", from, "rate_limited"); err != nil {
		t.Fatalf("after the wait given: %v", err)
	}
}
