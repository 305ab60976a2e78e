package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/console"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// openStream opens a live event stream with token and returns the status
// and the Retry-After header; a stream that opened stays open until the test
// ends.
func openStream(t *testing.T, url, token string) (status int, retryAfter string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
	}
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestSharedAddressCannotEndAnotherAccountsStream replays the finding that
// accounts sharing an address with a teenager (a school network, one NAT)
// could end the teenager's only live stream: fifteen accounts opened five
// streams each from the same address, and the teenager's stream was told it
// was replaced, after which clients do not reconnect on their own. Over the
// address's cap a new stream now ends a spare stream of the account holding
// the most there, or is refused with 429 and a Retry-After; the teenager's
// stream stays open and its own next stream still replaces it.
func TestSharedAddressCannotEndAnotherAccountsStream(t *testing.T) {
	eachStream(t, web.Config{MaxStreamsPerAddress: 10}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		teen, teenHandle := s.newMember("sh_teen", 15)
		friend, _ := s.newMember("sh_friend", 15)
		events := stream(t, teen)
		refused := 0
		for i := range 15 {
			crowd, _ := s.newMember(fmt.Sprintf("sh_crowd%d", i), 30)
			for range 5 {
				switch status, retry := openStream(t, s.url, crowd.Token); status {
				case http.StatusOK:
				case http.StatusTooManyRequests:
					refused++
					if n, err := strconv.Atoi(retry); err != nil || n < 1 {
						t.Errorf("a refused stream's Retry-After is %q", retry)
					}
				default:
					t.Fatalf("opening a stream: %d", status)
				}
			}
		}
		if refused == 0 {
			t.Error("no stream was refused over the address's cap")
		}
		if _, err := friend.RequestContact(ctx, teenHandle); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, events, "the teenager's stream"); ev.Type == "stream.replaced" {
			t.Fatal("another account's stream ended the teenager's only stream")
		}
		// The teenager's own new stream takes the old one's place.
		again := stream(t, teen)
		endsWith(t, events, "the teenager's older stream", "stream.replaced")
		other, _ := s.newMember("sh_friend2", 14)
		if _, err := other.RequestContact(ctx, teenHandle); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, again, "the teenager's new stream"); ev.Type == "stream.replaced" {
			t.Fatal("the teenager's new stream was replaced")
		}
	})
}

// newLimitedServer runs a server with the default login limits and a clock
// the test moves; sign-ups are not limited.
func newLimitedServer(t *testing.T, open opener) (url string, clock *fakeClock) {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	clock = newFakeClock()
	limits := messaging.DefaultLimits
	limits.SignUpPerAddress = ratelimit.Limit{}
	b := bus.NewLocal()
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Limits: limits},
		messaging.Deps{Store: open(t), Media: md, Notify: web.Notifier(b, nil), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{}, svc, b, nil, prometheus.NewRegistry(), web.WithClock(clock)).Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	return srv.URL, clock
}

// retryAfterOf reads an answer's Retry-After in whole seconds (0 when absent).
func retryAfterOf(t *testing.T, resp *http.Response) int {
	t.Helper()
	h := resp.Header.Get("Retry-After")
	if h == "" {
		return 0
	}
	n, err := strconv.Atoi(h)
	if err != nil {
		t.Fatalf("Retry-After %q", h)
	}
	return n
}

// login posts a login and returns the status and the Retry-After header.
func login(t *testing.T, url, handle, password string) (status int, retryAfter int) {
	t.Helper()
	body, _ := json.Marshal(client.SessionRequest{Handle: handle, Password: password})
	resp, err := http.Post(url+"/api/v1/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, retryAfterOf(t, resp)
}

// TestLoginRetryAfterIsTheLongestWait replays the finding that when two
// login limits refused at once, Retry-After gave the shorter wait: five
// wrong passwords for an account from one address (429, Retry-After 60),
// then wrong logins on other handles until the address's budget was spent;
// the next login for the first account answered Retry-After 7, and twelve
// seconds later 45. Attempts refused by the account's limit also spent the
// address's budget. Now the wait given is the longest of the limits that
// refuse, a login after exactly that wait goes through, and a refused
// attempt spends nothing.
func TestLoginRetryAfterIsTheLongestWait(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, clock := newLimitedServer(t, open)
			victim := client.New(url)
			a, err := victim.SignUp(t.Context(), client.SignUpRequest{Nickname: "lim_victim", Password: pw, BirthDate: born(30)})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				if status, _ := login(t, url, a.Handle, "wrong password "+strconv.Itoa(i)); status != http.StatusUnauthorized {
					t.Fatalf("wrong password %d: %d", i+1, status)
				}
			}
			if status, retry := login(t, url, a.Handle, pw); status != http.StatusTooManyRequests || retry != 60 {
				t.Fatalf("sixth attempt: %d Retry-After %d, want 429 and 60", status, retry)
			}
			// Other handles spend the address's budget: the refused sixth
			// attempt spent none of it, so fifteen fit in the twenty.
			n := 0
			for ; n < 20; n++ {
				status, _ := login(t, url, fmt.Sprintf("lim_other%d.11", n), pw)
				if status == http.StatusTooManyRequests {
					break
				}
				if status != http.StatusUnauthorized {
					t.Fatalf("other handle %d: %d, want 401", n+1, status)
				}
			}
			if n != 15 {
				t.Errorf("%d logins on other handles before the address's limit, want 15 (refused attempts spend nothing)", n)
			}
			// Each wait given is enough: a login after it goes through.
			waited := 0
			for {
				status, retry := login(t, url, a.Handle, pw)
				if status == http.StatusCreated || status == http.StatusOK {
					break
				}
				if status != http.StatusTooManyRequests || retry < 1 {
					t.Fatalf("login: %d Retry-After %d", status, retry)
				}
				if waited > 0 {
					t.Fatalf("refused again after waiting the %d s given", waited)
				}
				if retry < 55 {
					t.Errorf("Retry-After %d, shorter than the account's wait", retry)
				}
				waited = retry
				clock.Advance(time.Duration(retry) * time.Second)
			}
		})
	}
}

// newConsoleServer runs a server with the moderators' console, its default
// login limits and a clock the test moves, with one moderator, name.
func newConsoleServer(t *testing.T, st store.Store, name string) (url string, clock *fakeClock) {
	t.Helper()
	s := newStreamStack(t, st, web.Config{})
	clock = s.clock
	mods, err := moderators.New(moderators.Config{Argon2: moderators.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}}, moderators.Deps{Store: st, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mods.Add(t.Context(), moderators.Operator, name, safeguard.RoleModerator, pw); err != nil {
		t.Fatal(err)
	}
	con, err := console.New(console.Config{}, console.Deps{Cases: s.cs, Moderators: mods, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{}, nil, bus.NewLocal(), nil, prometheus.NewRegistry(), web.WithConsole(con)).Handler())
	t.Cleanup(srv.Close)
	return srv.URL, clock
}

var loginFormToken = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleLoginRetry posts the console's login form as a fresh browser and
// returns the status and the Retry-After header.
func consoleLoginRetry(t *testing.T, base, name, password string) (status int, retryAfter int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginFormToken.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the login page (%d)", resp.StatusCode)
	}
	resp, err = c.PostForm(base+"/console/login", url.Values{"name": {name}, "password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, retryAfterOf(t, resp)
}

// TestConsoleLoginRetryAfterIsTheLongestWait is the same finding on the
// moderators' console: five wrong passwords for a moderator, then other
// names until the address's budget was spent; the next login for the
// moderator answered Retry-After 29, and later 144. Now the wait given is
// the longest, and a login after it goes through.
func TestConsoleLoginRetryAfterIsTheLongestWait(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base, clock := newConsoleServer(t, open(t), "lim_mod")
			for i := range 5 {
				if status, _ := consoleLoginRetry(t, base, "lim_mod", "wrong password "+strconv.Itoa(i)); status != http.StatusUnauthorized {
					t.Fatalf("wrong password %d: %d", i+1, status)
				}
			}
			if status, retry := consoleLoginRetry(t, base, "lim_mod", pw); status != http.StatusTooManyRequests || retry != 180 {
				t.Fatalf("sixth attempt: %d Retry-After %d, want 429 and 180", status, retry)
			}
			n := 0
			for ; n < 20; n++ {
				status, _ := consoleLoginRetry(t, base, fmt.Sprintf("lim_other%d", n), pw)
				if status == http.StatusTooManyRequests {
					break
				}
				if status != http.StatusUnauthorized {
					t.Fatalf("other name %d: %d, want 401", n+1, status)
				}
			}
			if n != 15 {
				t.Errorf("%d logins on other names before the address's limit, want 15 (refused attempts spend nothing)", n)
			}
			waited := 0
			for {
				status, retry := consoleLoginRetry(t, base, "lim_mod", pw)
				if status == http.StatusSeeOther {
					break
				}
				if status != http.StatusTooManyRequests || retry < 1 {
					t.Fatalf("login: %d Retry-After %d", status, retry)
				}
				if waited > 0 {
					t.Fatalf("refused again after waiting the %d s given", waited)
				}
				if retry < 175 {
					t.Errorf("Retry-After %d, shorter than the moderator's wait", retry)
				}
				waited = retry
				clock.Advance(time.Duration(retry) * time.Second)
			}
		})
	}
}
