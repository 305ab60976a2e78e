package console_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
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
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// clock is a settable clock, safe for the server's goroutines.
type clock struct {
	mu sync.Mutex
	d  time.Duration // added to the real time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// testImage is a harmless generated picture with texture: colour bands,
// rings and noise. A test puts it into its test bank; it is the only
// "known" image there is.
func testImage(w, h int, seed uint32) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	x := seed*2654435761 + 7
	for py := range h {
		for px := range w {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			noise := float64(x%40) - 20
			fx, fy := float64(px)/float64(w), float64(py)/float64(h)
			ring := 60 * math.Sin(math.Hypot(fx-0.5, fy-0.5)*40)
			c := func(base, k float64) uint8 { return uint8(math.Max(0, math.Min(255, base+ring*k+noise))) }
			img.SetNRGBA(px, py, color.NRGBA{R: c(60+160*fx, 1), G: c(200-120*fy, -0.6), B: c(90+100*fx*fy, 0.4), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// bankScanner holds an image whose SHA-256 is in its test bank, writing the
// detection and its outbox event in the message's transaction, as the real
// image scanner does.
//
// It also stands in for the risk rules: a text in its flags (the rule that
// fires) is alerted on as grooming, each alert an occurrence of the
// conversation's case, at the message's index in the conversation.
type bankScanner struct {
	bank  map[[32]byte]string
	flags map[string]string
	mu    *sync.Mutex
	count map[int64]int // messages scanned, by conversation
}

func (b bankScanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	b.mu.Lock()
	index := b.count[c.Conversation.ID]
	b.count[c.Conversation.ID]++
	b.mu.Unlock()
	if rule, ok := b.flags[c.Message.Text]; ok {
		return riskVerdict(c, rule, index), nil
	}
	if c.Data == nil {
		return messaging.Verdict{}, nil
	}
	sum := sha256.Sum256(c.Data)
	entry, ok := b.bank[sum]
	if !ok {
		return messaging.Verdict{}, nil
	}
	return messaging.Verdict{Hold: true, Reason: "hash_match", Record: func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
		d := &safeguard.Detection{Source: safeguard.HashMatch, At: c.Now, MessageID: m.ID, ConversationID: m.ConversationID,
			SenderID: m.SenderID, MediaID: m.MediaID, Held: true, ContentKey: fmt.Sprintf("sha256:%x", sum),
			Severity: "critical", Category: "csam_known", Summary: "Matched an entry of the test bank",
			Detail: []byte(`{"bank":"test-bank","entry":"` + entry + `","distance":0,"pdq_quality":100}`)}
		for _, r := range c.Recipients {
			d.RecipientIDs = append(d.RecipientIDs, r.ID)
			d.Members = append(d.Members, safeguard.MemberFacts{AccountID: r.ID, Band: r.Band(c.Now), Assurance: r.Assurance})
		}
		if err := tx.CreateDetection(ctx, d); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventDetection, At: c.Now, AccountID: m.SenderID,
			ConversationID: m.ConversationID, MessageID: m.ID, Payload: []byte(fmt.Sprintf(`{"detection_id":%d}`, d.ID))})
	}}, nil
}

// riskVerdict alerts on a message as the risk rules do: rule fired at the
// message with the index in its conversation, an occurrence of the
// conversation's case.
func riskVerdict(c *messaging.Content, rule string, index int) messaging.Verdict {
	return messaging.Verdict{Record: func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
		d := &safeguard.Detection{Source: safeguard.RiskRule, At: c.Now, MessageID: m.ID, ConversationID: m.ConversationID,
			SenderID: m.SenderID, ContentKey: fmt.Sprintf("conversation:%d", m.ConversationID), Severity: "high", Category: "grooming",
			// As detections written before messages were counted from 1 in
			// words say it: the page must not repeat it.
			Summary: fmt.Sprintf("risk rules %s at message %d of the conversation", rule, index)}
		for _, r := range c.Recipients {
			d.RecipientIDs = append(d.RecipientIDs, r.ID)
			d.Members = append(d.Members, safeguard.MemberFacts{AccountID: r.ID, Band: r.Band(c.Now), Assurance: r.Assurance})
		}
		if err := d.SetFinding(safeguard.Finding{Risk: &safeguard.RiskAlert{RuleSetVersion: "test-1", MessageIndex: index,
			Rules:   []safeguard.FiredRule{{ID: rule, Severity: "high", Category: "grooming", FirstAt: index}},
			Signals: []safeguard.RiskSignal{{Name: "secrecy", MessageIndex: index}}}}); err != nil {
			return err
		}
		if err := tx.CreateDetection(ctx, d); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventDetection, At: c.Now, AccountID: m.SenderID,
			ConversationID: m.ConversationID, MessageID: m.ID, Payload: []byte(fmt.Sprintf(`{"detection_id":%d}`, d.ID))})
	}}
}

// groomingChat is a synthetic conversation in which an adult grooms a
// 13-year-old through behaviour alone: flattery, secrecy, isolation, a move
// to a private app, a meeting. The flagged lines are the rules' alerts.
var groomingChat = []struct {
	adult bool
	text  string
	rule  string
}{
	{true, "hey, saw your drawing in the art group, it's really good", ""},
	{false, "thanks! it took ages", ""},
	{true, "you're much more talented than the others there", ""},
	{false, "haha no", ""},
	{true, "seriously. what else do you like doing?", ""},
	{false, "drawing, games, my cat", ""},
	{true, "what's your cat called?", ""},
	{false, "biscuit", ""},
	{true, "great name. do your parents let you stay up late?", ""},
	{false, "not on school nights", ""},
	{true, "they sound strict. I'd let you", ""},
	{false, "lol", ""},
	{true, "you can tell me anything, I'm not like other adults", ""},
	{false, "ok", ""},
	{true, "don't tell your mum we talk, she wouldn't understand", "secrecy_request"},
	{false, "why not?", ""},
	{true, "parents always overreact. this is our thing", ""},
	{false, "ok I guess", ""},
	{true, "your friends don't really get you like I do", ""},
	{false, "sometimes they're annoying", ""},
	{true, "see, I'm the only one who listens", ""},
	{false, "maybe", ""},
	{true, "how was school today?", ""},
	{false, "boring, maths test", ""},
	{true, "you're clever, you'll be fine", ""},
	{false, "thanks", ""},
	{true, "let's talk on another app instead, this one reads our chats", "platform_move"},
	{false, "which one?", ""},
	{true, "I'll send you the name. delete this chat after", ""},
	{false, "ok", ""},
	{true, "I got you a present, I could bring it to the park on saturday", "meeting_proposed"},
	{false, "what present?", ""},
	{true, "a surprise. come on your own, it's our secret", ""},
	{false, "I'll think about it", ""},
	{true, "don't take too long", ""},
	{false, "ok", ""},
}

// grooming plays groomingChat between an adult and a 13-year-old contact
// and returns the case it opens: three alerts, one case.
func (s *stack) grooming() int64 {
	s.t.Helper()
	ctx := context.Background()
	child := s.user("tia_13", 13)
	adult := s.user("gary_38", 38)
	s.connect(child, s.h("gary_38"), adult)
	conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("tia_13")}})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, m := range groomingChat {
		from := child
		if m.adult {
			from = adult
		}
		if _, err := from.SendText(ctx, conv.ID, m.text+" (synthetic)"); err != nil {
			s.t.Fatal(err)
		}
	}
	if _, err := s.cs.Process(ctx); err != nil {
		s.t.Fatal(err)
	}
	cs, err := s.cs.Queue(ctx, cases.QueueQuery{})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Source == safeguard.RiskRule && c.ConversationID == conv.ID {
			return c.ID
		}
	}
	s.t.Fatalf("no grooming case among %+v", cs)
	return 0
}

// stack is a running server with the cases service and the console.
type stack struct {
	t   testing.TB
	url string
	st  store.Store
	cs  *cases.Service
	// builder is the cases' report builder: a test may change its
	// settings (the reporting person's address) between filings.
	builder *lawreport.Builder
	mods    *moderators.Service
	clock   *clock
	img     []byte // the known image
	users   map[string]*client.Client
	nude    *nuditytest.Classifier // what the new-image scanner's classifier answers
}

const pw = "correct horse battery staple"

// newStack starts the stack; tweak, if given, changes the cases service's
// configuration and dependencies first.
func newStack(t testing.TB, tweak ...func(*cases.Config, *cases.Deps)) *stack {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "console.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	items, _ := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	img := testImage(320, 240, 7)
	flags := map[string]string{}
	for _, m := range groomingChat {
		if m.rule != "" {
			flags[m.text+" (synthetic)"] = m.rule
		}
	}
	scanner := bankScanner{bank: map[[32]byte]string{sha256.Sum256(img): "test-entry-0001", sha256.Sum256(lawreporttest.Image(3)): "test-entry-0002"},
		flags: flags, mu: &sync.Mutex{}, count: map[int64]int{}}
	b := bus.NewLocal()
	nude := &nuditytest.Classifier{}
	ns, err := nudityscan.New(nudityscan.Config{Model: "test classifier"}, nudityscan.Deps{Store: st, Classifier: nude, Notify: web.Notifier(b, nil)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Apps: []string{"chat"}},
		messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Scanner: safety.Scanners{scanner, ns}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() }) // the queued refusals, before the store closes
	reportDir := filepath.Join(t.TempDir(), "reports")
	builder := lawreporttest.Builder()
	cfg := cases.Config{TestReports: true, HoldOnMatch: true, PrepareDir: reportDir}
	deps := cases.Deps{Store: st, Media: md, Vault: evidence.New(items, priv, nil), Builder: builder,
		Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: web.Notifier(b, nil), Lookup: svc}
	for _, f := range tweak {
		f(&cfg, &deps)
	}
	cs, err := cases.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{}
	mods, err := moderators.New(moderators.Config{Argon2: moderators.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}}, moderators.Deps{Store: st, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	statsSvc, err := platform.New(platform.Config{Mode: policy.NSPCC, Apps: []string{"chat"}}, platform.Deps{Store: st, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.New(console.Config{TestReports: true}, console.Deps{Cases: cs, Moderators: mods, Now: c.now,
		Stats: statsSvc})
	if err != nil {
		t.Fatal(err)
	}
	api := web.New(web.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, svc, b, nil,
		prometheus.NewRegistry(), web.WithCases(cs), web.WithConsole(con))
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	return &stack{t: t, url: srv.URL, st: st, cs: cs, builder: builder, mods: mods, clock: c, img: img, users: map[string]*client.Client{}, nude: nude}
}

// born returns the birth date of someone aged years today.
func born(years int) string { return time.Now().AddDate(-years, 0, -1).Format(time.DateOnly) }

// user signs up and logs in a chat account with the nickname; s.h(nickname)
// is the handle the server gave it.
func (s *stack) user(nickname string, age int) *client.Client {
	s.t.Helper()
	return s.userIn(nickname, age, "Bedford")
}

// userIn is user with an account in another local authority.
func (s *stack) userIn(nickname string, age int, localAuthority string) *client.Client {
	s.t.Helper()
	ctx := context.Background()
	c := client.New(s.url)
	a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nickname, Password: pw, BirthDate: born(age), LocalAuthority: localAuthority})
	if err != nil {
		s.t.Fatalf("sign up %s: %v", nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, pw); err != nil {
		s.t.Fatalf("log in %s: %v", a.Handle, err)
	}
	s.users[nickname] = c
	return c
}

// h returns the handle of the account signed up with the nickname.
func (s *stack) h(nickname string) string {
	s.t.Helper()
	c, ok := s.users[nickname]
	if !ok {
		s.t.Fatalf("no account signed up with the nickname %q", nickname)
	}
	return c.Handle
}

func (s *stack) connect(a *client.Client, bHandle string, b *client.Client) {
	s.t.Helper()
	ctx := context.Background()
	req, err := a.RequestContact(ctx, bHandle)
	if err != nil {
		s.t.Fatalf("request %s: %v", bHandle, err)
	}
	if _, err := b.AcceptContact(ctx, req.ID); err != nil {
		s.t.Fatalf("accept: %v", err)
	}
}

// moderator adds a moderator with the test password.
func (s *stack) moderator(name string, role safeguard.ModeratorRole) {
	s.t.Helper()
	if _, err := s.mods.Add(context.Background(), moderators.Operator, name, role, pw); err != nil {
		s.t.Fatal(err)
	}
}

// story makes the cases the tests review: a known image sent by an adult to
// a 15-year-old contact (priority 1), a member's report of a message
// (lower priority), and a known image shared by a 14-year-old with a peer
// (a young sender: senior review). It returns the IDs of the three cases
// and the adult's client.
func (s *stack) story() (known, reported, minor int64, adult *client.Client) {
	s.t.Helper()
	ctx := context.Background()
	teen := s.user("tess_15", 15)
	adult = s.user("mallory_35", 35)
	s.connect(teen, s.h("mallory_35"), adult)
	conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("tess_15")}})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, text := range []string{"hi, how was school? (synthetic)", "this is just between us, ok? (synthetic)"} {
		if _, err := adult.SendText(ctx, conv.ID, text); err != nil {
			s.t.Fatal(err)
		}
	}
	if _, err := adult.SendImage(ctx, conv.ID, "picture.png", "image/png", s.img, ""); err != nil {
		s.t.Fatal(err)
	}
	// Its case is made now, before the young sender's, also of priority 1:
	// the consumer records different senders' detections side by side, and
	// the queue puts the older of two cases of one priority first.
	if _, err := s.cs.Process(ctx); err != nil {
		s.t.Fatal(err)
	}
	// A member's report.
	other := s.user("ollie_40", 40)
	grown := s.user("gwen_41", 41)
	s.connect(other, s.h("gwen_41"), grown)
	c2, err := other.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("gwen_41")}})
	if err != nil {
		s.t.Fatal(err)
	}
	m, err := other.SendText(ctx, c2.ID, "you will regret this (synthetic)")
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := grown.Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "mean_or_threatening"}); err != nil {
		s.t.Fatal(err)
	}
	// A young sender.
	kid := s.user("kai_14", 14)
	peer := s.user("pia_14", 14)
	s.connect(kid, s.h("pia_14"), peer)
	c3, err := kid.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("pia_14")}})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := kid.SendImage(ctx, c3.ID, "me.png", "image/png", lawreporttest.Image(3), ""); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.cs.Process(ctx); err != nil {
		s.t.Fatal(err)
	}
	cs, err := s.cs.Queue(ctx, cases.QueueQuery{})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, c := range cs {
		switch {
		case c.MinorSender:
			minor = c.ID
		case c.Source == safeguard.HashMatch:
			known = c.ID
		case c.Source == safeguard.UserReport:
			reported = c.ID
		}
	}
	if known == 0 || reported == 0 || minor == 0 {
		s.t.Fatalf("cases made: %+v", cs)
	}
	return known, reported, minor, adult
}

// browser is an HTTP client with its own cookie jar: one moderator's
// browser, without JavaScript.
type browser struct {
	t    testing.TB
	s    *stack
	c    *http.Client
	csrf string // the session's form token, from the last page
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (s *stack) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is a response, read.
type page struct {
	code     int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{code: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), header: resp.Header}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.s.url+path, nil)
	return b.do(req)
}

// post sends a form; the session's token is added unless the form has
// one.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in through the form.
func (b *browser) login(name, password string) page {
	b.t.Helper()
	b.get("/console/login")
	return b.post("/console/login", url.Values{"name": {name}, "password": {password}})
}

// as returns a browser logged in as a new moderator with role.
func (s *stack) as(name string, role safeguard.ModeratorRole) *browser {
	s.t.Helper()
	s.moderator(name, role)
	b := s.browser()
	if p := b.login(name, pw); p.code != http.StatusSeeOther || p.location != "/console/" {
		s.t.Fatalf("login %s: %d %s %s", name, p.code, p.location, p.body)
	}
	b.get("/console/")
	return b
}
