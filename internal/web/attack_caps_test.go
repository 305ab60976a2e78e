package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/password"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// capsArgon2 is the test cost of a password hash; capsGate budgets are
// counted in it.
var capsArgon2 = messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}

// clientAddrHeader is the header the test server believes from its peer
// (127.0.0.1, a trusted proxy) for the client's address.
const clientAddrHeader = "X-Client-Addr"

// capsServer is a running server over st that believes clientAddrHeader,
// with limits and a password gate of the test's choosing.
type capsServer struct {
	t   *testing.T
	url string
}

func newCapsServer(t *testing.T, st store.Store, limits messaging.Limits, gate *password.Gate) *capsServer {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	b := bus.NewLocal()
	svc, err := messaging.New(messaging.Config{Argon2: capsArgon2, Limits: limits},
		messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Passwords: gate})
	if err != nil {
		t.Fatal(err)
	}
	cfg := web.Config{AdminToken: adminToken, ClientAddrHeader: clientAddrHeader,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	srv := httptest.NewServer(web.New(cfg, svc, b, nil, prometheus.NewRegistry()).Handler())
	t.Cleanup(func() {
		b.Close()
		srv.Close()
	})
	return &capsServer{t: t, url: srv.URL}
}

// answer is what the tests read of a response.
type answer struct {
	status     int
	code       string
	retryAfter string
	handle     string // of a sign-up
}

// post sends a JSON body from the client address from ("ip:port").
func (s *capsServer) post(path, from string, body any) answer {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(s.t.Context(), "POST", s.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(clientAddrHeader, from)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		client.ErrorBody
		Handle string `json:"handle"`
	}
	json.Unmarshal(raw, &out)
	return answer{status: resp.StatusCode, code: out.Error.Code, retryAfter: resp.Header.Get("Retry-After"), handle: out.Handle}
}

func (s *capsServer) signUp(from, nickname, pass string) answer {
	s.t.Helper()
	return s.post("/api/v1/accounts", from, client.SignUpRequest{Handle: nickname, Password: pass, BirthDate: born(30)})
}

func (s *capsServer) login(from, handle, pass string) answer {
	s.t.Helper()
	return s.post("/api/v1/sessions", from, map[string]string{"handle": handle, "password": pass})
}

// mustSignUp signs up an adult and returns the handle the server gave.
func (s *capsServer) mustSignUp(from, nickname string) string {
	s.t.Helper()
	a := s.signUp(from, nickname, pw)
	if a.status != http.StatusCreated || a.handle == "" {
		s.t.Fatalf("sign up %s from %s: %+v", nickname, from, a)
	}
	return a.handle
}

// eachStore runs fn as a subtest against every store.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

// Sign-up had no rate limit, so handles could be enumerated and memory
// burned. Sign-ups are now limited per address, an IPv6 client by its /64.
func TestAttackSignUpLimitedPerAddressAndPrefix(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		s := newCapsServer(t, st, messaging.Limits{SignUpPerAddress: ratelimit.Limit{Burst: 3, Per: 20 * time.Minute}}, nil)
		tests := []struct {
			name string
			from []string // the fourth is refused
		}{
			{"one IPv4 address", []string{"192.0.2.10:4000", "192.0.2.10:4001", "192.0.2.10:4002", "192.0.2.10:4003"}},
			{"addresses of one IPv6 /64", []string{"[2001:db8:1:2::1]:4000", "[2001:db8:1:2::2]:4000",
				"[2001:db8:1:2:ffff::3]:4000", "[2001:db8:1:2:abcd:1:2:3]:4000"}},
		}
		n := 0
		for _, tt := range tests {
			for i, from := range tt.from {
				n++
				a := s.signUp(from, "enum"+string(rune('a'+n)), pw)
				if i < 3 && a.status != http.StatusCreated {
					t.Fatalf("%s: sign-up %d: %+v", tt.name, i+1, a)
				}
				if i == 3 && (a.status != http.StatusTooManyRequests || a.retryAfter != "1200") {
					t.Errorf("%s: 4th sign-up: %+v, want 429 with Retry-After 1200", tt.name, a)
				}
			}
		}
		// Another /64, and another IPv4 address, are not limited by these.
		for _, from := range []string{"[2001:db8:1:3::1]:4000", "192.0.2.11:4000"} {
			if a := s.signUp(from, "elsewhere"+from[1:2], pw); a.status != http.StatusCreated {
				t.Errorf("sign-up from %s: %+v", from, a)
			}
		}
	})
}

// Per-address limits keyed on the full IPv6 address, so rotating within a
// /64 escaped them. A guesser moving through one /64 is now one client.
func TestAttackLoginLimitsNotEscapedWithinPrefix(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		s := newCapsServer(t, st, messaging.Limits{LoginPerAddress: ratelimit.Limit{Burst: 5, Per: time.Minute}}, nil)
		victims := []string{s.mustSignUp("192.0.2.1:1", "sprayone"), s.mustSignUp("192.0.2.1:1", "spraytwo")}
		var last answer
		for i := range 6 {
			from := netip.AddrPortFrom(netip.MustParseAddr("2001:db8:5:6::1").Next(), 5000)
			for range i {
				from = netip.AddrPortFrom(from.Addr().Next(), 5000)
			}
			last = s.login(from.String(), victims[i%2], "correct horse stapler")
			if i < 5 && last.status != http.StatusUnauthorized {
				t.Fatalf("attempt %d from %s: %+v", i+1, from, last)
			}
		}
		if last.status != http.StatusTooManyRequests || last.retryAfter != "60" {
			t.Fatalf("6th attempt from a new address in the same /64: %+v, want 429, Retry-After 60", last)
		}
	})
}

// Retry-After was always 1. It now says, rounded up, when the limiter
// will allow the request.
func TestAttackRetryAfterIsAccurate(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		every45s := ratelimit.Limit{Burst: 2, Per: 45 * time.Second}
		s := newCapsServer(t, st, messaging.Limits{LoginPerAccountAddress: every45s, LoginPerAccount: every45s}, nil)
		h := s.mustSignUp("192.0.2.1:1", "retrying")
		for range 2 {
			s.login("192.0.2.2:1", h, "not the password!")
		}
		a := s.login("192.0.2.2:1", h, "not the password!")
		// 45 s to earn one attempt back; a moment has passed, so 45 rounded up.
		if a.status != http.StatusTooManyRequests || a.retryAfter != "45" {
			t.Fatalf("3rd attempt: %+v, want 429 with Retry-After 45", a)
		}
	})
}

// Five wrong logins from one address locked the victim out from every
// address. Now the attacker locks out only their own address.
func TestAttackLockoutSparesOwnersOtherAddresses(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		s := newCapsServer(t, st, messaging.DefaultLimits, nil)
		victim := s.mustSignUp("203.0.113.9:1", "lockvictim")
		var a answer
		for range 6 {
			a = s.login("198.51.100.7:4444", victim, "guess guess guess")
		}
		if a.status != http.StatusTooManyRequests {
			t.Fatalf("attacker's 6th guess: %+v, want 429", a)
		}
		for _, from := range []string{"203.0.113.9:2", "[2001:db8:77::1]:3"} {
			if a := s.login(from, victim, pw); a.status != http.StatusOK && a.status != http.StatusCreated {
				t.Errorf("owner logging in from %s after the attacker's lockout: %+v", from, a)
			}
		}
		if a := s.login("198.51.100.7:4445", victim, pw); a.status != http.StatusTooManyRequests {
			t.Errorf("the attacker's address stays locked: %+v", a)
		}
	})
}

// "xxxxxxxxxx" was accepted as a password. Common, repetitive and
// sequential passwords, and the name itself, are refused in plain words.
func TestAttackGuessablePasswordsRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		s := newCapsServer(t, st, messaging.Limits{}, nil)
		for i, p := range []string{"xxxxxxxxxx", "1234567890", "abcdefghij", "qwertyuiop", "Password123", "iloveyou12", "weakling00weakling00"} {
			nickname := "weakling00"
			if i < 6 {
				nickname = "weak" + string(rune('a'+i)) + "user"
			}
			if a := s.signUp("192.0.2.1:1", nickname, p); a.status != http.StatusBadRequest || a.code != "weak_password" {
				t.Errorf("sign-up with %q: %+v, want 400 weak_password", p, a)
			}
		}
		s.mustSignUp("192.0.2.1:1", "strongone")
	})
}

// 400 sign-ups, 200 at a time, took the server from 52 MB to 4.98 GB: each
// argon2id hash takes 19 MiB and nothing capped how many ran at once. Now
// they run within a memory budget; when it is taken, sign-up and login
// answer 503 with Retry-After.
func TestAttackPasswordHashingBudgetFull(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		// Room for one hash; no wait.
		gate := password.NewGate(int64(capsArgon2.MemoryKiB)<<10, 0, clock)
		s := newCapsServer(t, st, messaging.Limits{}, gate)
		h := s.mustSignUp("192.0.2.1:1", "budgeted")

		// Another request holds the budget for 10 s: hashes are now
		// expected to take (4×0.1 s + 10 s)/5 = 2.08 s.
		g, err := gate.Acquire(context.Background(), capsArgon2)
		if err != nil {
			t.Fatal(err)
		}
		advance(10 * time.Second)
		g.Release()
		g, err = gate.Acquire(context.Background(), capsArgon2)
		if err != nil {
			t.Fatal(err)
		}
		advance(time.Second) // held for 1 s: it ends in 1.08 s
		for _, a := range []answer{s.signUp("192.0.2.1:1", "crowdedout", pw), s.login("192.0.2.1:1", h, pw)} {
			if a.status != http.StatusServiceUnavailable || a.code != "busy" || a.retryAfter != "2" {
				t.Errorf("with the budget taken: %+v, want 503 busy with Retry-After 2", a)
			}
		}
		g.Release()
		if a := s.login("192.0.2.1:1", h, pw); a.status != http.StatusOK && a.status != http.StatusCreated {
			t.Errorf("login with the budget free: %+v", a)
		}
	})
}
