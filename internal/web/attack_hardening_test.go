package web_test

// Replays of probes against the operator's surfaces and the server's
// small holes, through the real server on every store: metrics, guardian
// codes, the forwarded client address, a disabled moderator's login, and
// display text.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/console"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// hardClock is the server's clock in these tests: real time plus what a
// test has advanced it by.
type hardClock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *hardClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

func (c *hardClock) advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// hardStack is a real server for the hardening probes: the API with the
// given web and messaging settings, optionally the risk scanner and the
// moderators' console.
type hardStack struct {
	t       *testing.T
	url     string
	api     *web.Server
	admin   *client.Client
	st      store.Store
	clock   *hardClock
	mods    *moderators.Service
	metrics string // URL of the operator-only metrics listener
}

type hardOptions struct {
	web     web.Config
	config  func(*messaging.Config)
	scanner func(st store.Store, notify messaging.Notifier) (messaging.Scanner, web.RiskRules)
	console bool
}

func newHardStack(t *testing.T, st store.Store, o hardOptions) *hardStack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	b := bus.NewLocal()
	clock := &hardClock{}
	cfg := messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}}
	if o.config != nil {
		o.config(&cfg)
	}
	notify := web.Notifier(b, nil)
	var scanner messaging.Scanner
	var opts []web.Option
	if o.scanner != nil {
		sc, rr := o.scanner(st, notify)
		scanner = sc
		opts = append(opts, web.WithRisk(rr))
	}
	svc, err := messaging.New(cfg, messaging.Deps{Store: st, Media: md, Notify: notify, Scanner: scanner, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	h := &hardStack{t: t, st: st, clock: clock}
	if o.console {
		items, _ := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		reportDir := filepath.Join(t.TempDir(), "reports")
		cs, err := cases.New(cases.Config{TestReports: true, PrepareDir: reportDir},
			cases.Deps{Store: st, Media: md, Vault: evidence.New(items, priv, nil), Builder: lawreporttest.Builder(),
				Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: notify, Lookup: svc})
		if err != nil {
			t.Fatal(err)
		}
		h.mods, err = moderators.New(moderators.Config{Argon2: moderators.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}}, moderators.Deps{Store: st, Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		con, err := console.New(console.Config{TestReports: true}, console.Deps{Cases: cs, Moderators: h.mods, Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, web.WithCases(cs), web.WithConsole(con))
	}
	o.web.AdminToken = adminToken
	h.api = web.New(o.web, svc, b, nil, prometheus.NewRegistry(), opts...)
	srv := httptest.NewServer(h.api.Handler())
	ms := httptest.NewServer(h.api.MetricsHandler())
	t.Cleanup(func() {
		b.Close()
		srv.Close()
		ms.Close()
	})
	h.url, h.metrics = srv.URL, ms.URL
	h.admin = &client.Client{BaseURL: srv.URL, Token: adminToken}
	return h
}

// eachHard runs fn against every store, each with its own server.
func eachHard(t *testing.T, o hardOptions, fn func(t *testing.T, h *hardStack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newHardStack(t, open(t), o))
		})
	}
}

// person signs up and logs in someone aged age who asked for nickname, and
// returns them with the handle the server gave them.
func (h *hardStack) person(nickname string, age int) (*client.Client, string) {
	h.t.Helper()
	ctx := h.t.Context()
	c := client.New(h.url)
	a, err := c.SignUp(ctx, client.SignUpRequest{Handle: nickname, Password: pw, BirthDate: born(age)})
	if err != nil {
		h.t.Fatalf("sign up %s: %v", nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, pw); err != nil {
		h.t.Fatalf("log in %s: %v", a.Handle, err)
	}
	return c, a.Handle
}

// verifiedAdult is person, aged 40, whose age the operator has verified.
func (h *hardStack) verifiedAdult(nickname string) *client.Client {
	h.t.Helper()
	c, _ := h.person(nickname, 40)
	me, err := c.Me(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.admin.SetAgeAssurance(h.t.Context(), me.ID, "verified"); err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *hardStack) contacts(from *client.Client, to *client.Client, toHandle string) {
	h.t.Helper()
	ctx := h.t.Context()
	req, err := from.RequestContact(ctx, toHandle)
	if err != nil {
		h.t.Fatalf("request %s: %v", toHandle, err)
	}
	if _, err := to.AcceptContact(ctx, req.ID); err != nil {
		h.t.Fatalf("accept: %v", err)
	}
}

// get fetches url with an optional bearer token.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestAttackMetricsNotServedToUsers replays a probe: /metrics was served to
// anyone on the API listener. Now a user, signed in or not, finds no such
// endpoint; the operator's token, or the operator-only listener, gives the
// metrics; and that listener serves nothing else.
func TestAttackMetricsNotServedToUsers(t *testing.T) {
	eachHard(t, hardOptions{}, func(t *testing.T, h *hardStack) {
		u, _ := h.person("metrics_user", 30)
		for _, tt := range []struct {
			name, token string
		}{{"anonymous", ""}, {"a user's session", u.Token}, {"a wrong token", "not-the-operator"}} {
			code, body := get(t, h.url+"/metrics", tt.token)
			if code == http.StatusOK || strings.Contains(body, "safeguard_") {
				t.Errorf("/metrics for %s: %d\n%.300s", tt.name, code, body)
			}
		}
		if code, body := get(t, h.url+"/metrics", adminToken); code != http.StatusOK || !strings.Contains(body, "safeguard_http_requests_total") {
			t.Errorf("/metrics with the operator token: %d\n%.300s", code, body)
		}
		if code, body := get(t, h.metrics+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "safeguard_http_requests_total") {
			t.Errorf("metrics listener: %d\n%.300s", code, body)
		}
		for _, path := range []string{"/api/v1/me", "/healthz", "/console/"} {
			if code, _ := get(t, h.metrics+path, u.Token); code != http.StatusNotFound {
				t.Errorf("metrics listener serves %s: %d", path, code)
			}
		}
	})
}

// holdWord holds any message that contains "hold this", as a hash match or
// a rule would, and lets everything else through.
type holdWord struct{}

func (holdWord) Scan(_ context.Context, c *messaging.Content) (messaging.Verdict, error) {
	if strings.Contains(c.Message.Text, "hold this") {
		return messaging.Verdict{Hold: true, Reason: "test_hold"}, nil
	}
	return messaging.Verdict{}, nil
}

// series reads the platform's own series from a scrape, leaving out the
// HTTP request counters and latencies (the same route and status for every
// message), and Go's and the process's.
func series(t *testing.T, h *hardStack) map[string]string {
	t.Helper()
	code, body := get(t, h.metrics+"/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	out := map[string]string{}
	for line := range strings.SplitSeq(body, "\n") {
		if !strings.HasPrefix(line, "safeguard_") || strings.HasPrefix(line, "safeguard_http_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		out[line[:i]] = line[i+1:]
	}
	return out
}

// moved lists the series whose value a send changed.
func moved(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if before[k] != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestAttackMetricsTellSenderNothing replays a probe: a sender compared
// /metrics before and after sending, and safeguard_messages_total{outcome=
// "held"} and safeguard_risk_alerts_total{rule=…} told them their "sent"
// message was held and which grooming rule fired. Now a held message moves
// exactly the series a delivered one moves, and a message that fires the
// grooming rules moves exactly those of one that fires none; per-rule
// counters are in the operator API only.
func TestAttackMetricsTellSenderNothing(t *testing.T) {
	o := hardOptions{scanner: func(st store.Store, notify messaging.Notifier) (messaging.Scanner, web.RiskRules) {
		r, err := riskscan.New(riskscan.Config{}, riskscan.Deps{Store: st, Notify: notify})
		if err != nil {
			t.Fatal(err)
		}
		return safety.Scanners{r, holdWord{}}, r
	}}
	eachHard(t, o, func(t *testing.T, h *hardStack) {
		ctx := t.Context()
		adult, _ := h.person("coach", 35)
		other, otherHandle := h.person("friend", 35)
		teen, _ := h.person("pupil", 14)
		h.contacts(adult, other, otherHandle)
		me, err := adult.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h.contacts(teen, adult, me.Handle)
		adults, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{otherHandle}})
		if err != nil {
			t.Fatal(err)
		}
		teenMe, _ := teen.Me(ctx)
		withTeen, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenMe.Handle}})
		if err != nil {
			t.Fatal(err)
		}
		send := func(conv int64, text string) []string {
			t.Helper()
			before := series(t, h)
			m, err := adult.SendText(ctx, conv, text)
			if err != nil {
				t.Fatalf("send %q: %v", text, err)
			}
			if m.Status != "sent" && m.Status != "delivered" {
				t.Errorf("the sender sees %q for %q", m.Status, text)
			}
			return moved(before, series(t, h))
		}
		delivered := send(adults.ID, "see you at training")
		held := send(adults.ID, "hold this one")
		if fmt.Sprint(delivered) != fmt.Sprint(held) {
			t.Errorf("a held message moves other series than a delivered one:\ndelivered %v\nheld      %v", delivered, held)
		}
		send(withTeen.ID, "hey, how was school today?")
		innocent := send(withTeen.ID, "well done at the match today")
		grooming := send(withTeen.ID, "send me a pic of you, and don't tell your parents about our chats, it's our secret")
		if fmt.Sprint(innocent) != fmt.Sprint(grooming) {
			t.Errorf("a message that fires the grooming rules moves other series:\ninnocent %v\ngrooming %v", innocent, grooming)
		}
		all := series(t, h)
		for k := range all {
			if strings.Contains(k, "outcome=") || strings.Contains(k, "held") || strings.Contains(k, "rule=") || strings.Contains(k, "alerts") {
				t.Errorf("metrics hold %s", k)
			}
		}
		// The operator still reads each rule's counters.
		rules, err := h.admin.RiskRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fired := 0
		for _, r := range rules.Rules {
			fired += int(r.Fired)
		}
		if fired == 0 {
			t.Errorf("no rule fired in the operator API: the probe sent nothing to detect")
		}
	})
}

// crockford is a guardian code: 60 bits as three groups of Crockford base32.
var crockford = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

// TestAttackGuardianCodeGuessing replays a probe: POST /api/v1/guardian/link
// took about 1,400 guesses a second, unaudited, against 40-bit codes valid
// for 14 days and stored as plain SHA-256. Now a code carries 60 bits, lasts
// 72 hours and is stored under the server's key; five wrong guesses lock a
// guardian account out (the right code too) until an hour has passed, the
// address is limited across accounts, and every wrong guess is audited.
func TestAttackGuardianCodeGuessing(t *testing.T) {
	o := hardOptions{config: func(c *messaging.Config) {
		c.GuardianLimits = messaging.GuardianLimits{
			PerAccount: messaging.DefaultGuardianLimits.PerAccount,
			PerAddress: ratelimitOf(8, time.Hour),
		}
	}}
	eachHard(t, o, func(t *testing.T, h *hardStack) {
		ctx := t.Context()
		kid := client.New(h.url)
		start := h.clock.now()
		acct, err := kid.SignUp(ctx, client.SignUpRequest{Handle: "kid", Password: pw, BirthDate: born(10)})
		if err != nil {
			t.Fatal(err)
		}
		code := acct.GuardianCode
		if !crockford.MatchString(code) {
			t.Errorf("guardian code %q: want 12 characters of Crockford base32 (60 bits)", code)
		}
		if acct.GuardianCodeExpires == nil || acct.GuardianCodeExpires.Sub(start) > 72*time.Hour+time.Minute {
			t.Errorf("code expires %v after sign-up, want 72h", acct.GuardianCodeExpires.Sub(start))
		}
		// A copy of the database does not give the code back by hashing
		// candidates without the server's key.
		plain := sha256.Sum256([]byte("guardian:" + code))
		if err := h.st.View(ctx, func(tx store.Tx) error {
			_, _, err := tx.GuardianCode(ctx, plain[:])
			return err
		}); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("the code is stored as its unkeyed SHA-256: %v", err)
		}

		guardian := h.verifiedAdult("mum")
		wrong := func(i int) string { return fmt.Sprintf("0000-0000-%04d", i) }
		for i := range 5 {
			if _, err := guardian.LinkGuardian(ctx, wrong(i)); client.ErrorCode(err) != "invalid_code" {
				t.Fatalf("wrong guess %d: %v, want invalid_code", i, err)
			}
		}
		_, err = guardian.LinkGuardian(ctx, code)
		if e := apiErr(t, err); e.Status != http.StatusTooManyRequests {
			t.Fatalf("the right code after five wrong guesses: %v, want 429 until the lockout ends", err)
		}
		// Another account from the same address runs into the address's
		// limit (eight attempts an hour here; the refused attempt above
		// spent none of it).
		accomplice := h.verifiedAdult("accomplice")
		for i := 5; i < 8; i++ {
			if _, err := accomplice.LinkGuardian(ctx, wrong(i)); client.ErrorCode(err) != "invalid_code" {
				t.Fatalf("accomplice's guess %d: %v", i, err)
			}
		}
		if _, err := accomplice.LinkGuardian(ctx, code); apiErr(t, err).Status != http.StatusTooManyRequests {
			t.Fatalf("a second account from the same address: %v, want 429", err)
		}

		entries, err := h.admin.Audit(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, e := range entries {
			if e.Action == "guardian.link_failed" {
				failed++
				if e.Reason != "invalid_code" || !strings.Contains(e.Detail, "127.0.0.1") {
					t.Errorf("audit of a wrong guess: %+v", e)
				}
			}
		}
		if failed != 8 {
			t.Errorf("%d wrong guesses audited, want 8", failed)
		}

		h.clock.advance(61 * time.Minute)
		child, err := guardian.LinkGuardian(ctx, strings.ToLower(strings.ReplaceAll(code, "-", " ")))
		if err != nil || child.Status != "active" {
			t.Fatalf("the right code after the lockout: %+v %v", child, err)
		}
	})
}

// ratelimitOf is a limit of n events per period, all n at once.
func ratelimitOf(n int, period time.Duration) ratelimit.Limit {
	return ratelimit.Limit{Burst: n, Per: period / time.Duration(n)}
}

// TestAttackGuardianCodeExpires checks the shorter validity: a code is
// refused after 72 hours, and the child can ask for a new one, which
// replaces the old.
func TestAttackGuardianCodeExpires(t *testing.T) {
	eachHard(t, hardOptions{}, func(t *testing.T, h *hardStack) {
		ctx := t.Context()
		kid := client.New(h.url)
		acct, err := kid.SignUp(ctx, client.SignUpRequest{Handle: "late", Password: pw, BirthDate: born(9)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kid.Login(ctx, acct.Handle, pw); err != nil {
			t.Fatal(err)
		}
		guardian := h.verifiedAdult("dad")
		h.clock.advance(72*time.Hour + time.Second)
		if _, err := guardian.LinkGuardian(ctx, acct.GuardianCode); client.ErrorCode(err) != "invalid_code" {
			t.Fatalf("a code after 72 hours: %v, want invalid_code", err)
		}
		fresh, err := kid.NewGuardianCode(ctx)
		if err != nil || !crockford.MatchString(fresh.GuardianCode) || fresh.GuardianCode == acct.GuardianCode {
			t.Fatalf("new code: %+v %v", fresh, err)
		}
		if _, err := guardian.LinkGuardian(ctx, fresh.GuardianCode); err != nil {
			t.Fatalf("the new code: %v", err)
		}
		if _, err := kid.NewGuardianCode(ctx); client.ErrorCode(err) != "not_waiting_for_guardian" {
			t.Errorf("a new code once linked: %v", err)
		}
	})
}

// loginVia logs in through a proxy that appends the client address to
// X-Forwarded-For, the header holding forwarded.
func loginVia(t *testing.T, h *hardStack, handle, password, forwarded string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(client.SessionRequest{Handle: handle, Password: password})
	req, _ := http.NewRequest("POST", h.url+"/api/v1/sessions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwarded)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out client.Session
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Token
}

// TestAttackForwardedAddressRotation replays a probe: behind a proxy, the
// leftmost X-Forwarded-For element was believed, so a client that wrote a
// new one on each request escaped the login limits per address and had a
// forged IP:port written into the sessions table that law-enforcement
// reports read. Now the address is the first untrusted hop from the right:
// what the client writes to its left changes nothing.
func TestAttackForwardedAddressRotation(t *testing.T) {
	o := hardOptions{
		web: web.Config{ClientAddrHeader: "X-Forwarded-For", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		config: func(c *messaging.Config) {
			c.Limits.LoginPerAddress = ratelimitOf(3, time.Hour)
		},
	}
	eachHard(t, o, func(t *testing.T, h *hardStack) {
		ctx := t.Context()
		_, handle := h.person("traveller", 30)

		// The session records the address the proxy saw, with its port.
		code, token := loginVia(t, h, handle, pw, "198.51.100.66:6666, 203.0.113.7:4711")
		if code != http.StatusCreated && code != http.StatusOK {
			t.Fatalf("login: %d", code)
		}
		th := sha256.Sum256([]byte(token))
		var sess *safeguard.Session
		if err := h.st.View(ctx, func(tx store.Tx) (err error) { sess, err = tx.Session(ctx, th[:]); return }); err != nil {
			t.Fatal(err)
		}
		if got := sess.Origin.Addr.String(); got != "203.0.113.7:4711" {
			t.Errorf("session recorded %s, want the proxy's client 203.0.113.7:4711", got)
		}

		// Rotating the leftmost element does not make a new address.
		for i := range 3 {
			if code, _ := loginVia(t, h, handle, "wrong password", fmt.Sprintf("198.51.100.%d:1, 203.0.113.8:5000", i)); code != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d, want 401", i, code)
			}
		}
		if code, _ := loginVia(t, h, handle, pw, "192.0.2.200:2, 203.0.113.8:5001"); code != http.StatusTooManyRequests {
			t.Errorf("fourth login from 203.0.113.8 behind a new leftmost element: %d, want 429", code)
		}
	})
}

// consoleLogin posts the console's login form, with its anti-forgery token,
// and returns the status and the form's error sentence.
func consoleLogin(t *testing.T, h *hardStack, name, password string) (int, string) {
	t.Helper()
	jar := &cookieJar{}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(h.url + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var csrf string
	for _, ck := range resp.Cookies() {
		if ck.Name == "sg_console_login" {
			csrf = ck.Value
		}
	}
	resp, err = c.PostForm(h.url+"/console/login", url.Values{"name": {name}, "password": {password}, "csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	msg := regexp.MustCompile(`(?s)role="alert"><h2>[^<]*</h2><p>(.*?)</p>`).FindSubmatch(body)
	if msg == nil {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, strings.TrimSpace(string(msg[1]))
}

// cookieJar keeps the cookies of one host, for a browser in a test.
type cookieJar struct {
	mu sync.Mutex
	cs []*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		kept := j.cs[:0]
		for _, old := range j.cs {
			if old.Name != c.Name {
				kept = append(kept, old)
			}
		}
		j.cs = kept
		if c.MaxAge >= 0 {
			j.cs = append(j.cs, c)
		}
	}
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]*http.Cookie(nil), j.cs...)
}

// TestAttackDisabledModeratorPassword replays a probe: a disabled
// moderator's right password answered 403 "disabled" and a wrong one 401,
// which confirmed a password to whoever held a list of them. Now both get
// the same answer, that of a wrong password.
func TestAttackDisabledModeratorPassword(t *testing.T) {
	eachHard(t, hardOptions{console: true}, func(t *testing.T, h *hardStack) {
		ctx := t.Context()
		if _, err := h.mods.Add(ctx, moderators.Operator, "gone", safeguard.RoleModerator, pw); err != nil {
			t.Fatal(err)
		}
		if _, err := h.mods.Disable(ctx, moderators.Operator, "gone"); err != nil {
			t.Fatal(err)
		}
		rightCode, rightMsg := consoleLogin(t, h, "gone", pw)
		wrongCode, wrongMsg := consoleLogin(t, h, "gone", pw+" not")
		unknownCode, unknownMsg := consoleLogin(t, h, "nobody", pw)
		if rightCode != wrongCode || rightMsg != wrongMsg || rightCode != unknownCode || rightMsg != unknownMsg {
			t.Errorf("disabled, right password: %d %q\ndisabled, wrong password: %d %q\nunknown name: %d %q",
				rightCode, rightMsg, wrongCode, wrongMsg, unknownCode, unknownMsg)
		}
		if rightCode != http.StatusUnauthorized {
			t.Errorf("a disabled moderator's login: %d, want 401", rightCode)
		}
	})
}

// TestAttackDisplayTextControls replays a probe: group titles took a
// right-to-left override (U+202E), a bell and newlines, so a title could
// show reversed text to others or break the layout of their screens. Now
// each is refused with 400 and a plain sentence, and so is the note of a
// report, which moderators read; titles in any script are still welcome.
func TestAttackDisplayTextControls(t *testing.T) {
	eachHard(t, hardOptions{console: true}, func(t *testing.T, h *hardStack) {
		ctx := t.Context()
		a, _ := h.person("host", 30)
		b, bHandle := h.person("guest", 30)
		h.contacts(a, b, bHandle)
		for _, title := range []string{
			"Homework \u202egnp.exe", "ring\a", "two\nlines", "isolate \u2067x\u2069", "mark\u200f", "\x1b[2J",
		} {
			_, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{bHandle}, Title: title})
			e := apiErr(t, err)
			if e.Status != http.StatusBadRequest || e.Code != "invalid_text" || !strings.Contains(e.Message, "control characters") {
				t.Errorf("title %q: %d %s %q, want 400 invalid_text", title, e.Status, e.Code, e.Message)
			}
		}
		if _, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{bHandle}, Title: "رحلة المدرسة 🚌"}); err != nil {
			t.Errorf("an Arabic title: %v", err)
		}
		_, err := a.Report(ctx, client.ReportRequest{Account: bHandle, Reason: "something_else", Note: "he said \u202eekoj a ylno"})
		if e := apiErr(t, err); e.Status != http.StatusBadRequest || e.Code != "invalid_text" {
			t.Errorf("a note with a right-to-left override: %d %s, want 400 invalid_text", e.Status, e.Code)
		}
		if _, err := a.Report(ctx, client.ReportRequest{Account: bHandle, Reason: "something_else", Note: "first line\nsecond line"}); err != nil {
			t.Errorf("a note of two lines: %v", err)
		}
	})
}
