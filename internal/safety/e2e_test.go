package safety_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/risk"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/safety/urls"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/web"
)

const (
	adminToken = "test-operator-token"
	pw         = "correct horse battery"
)

// clock is the time of the whole stack; tests move it forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// stack is the real API over a real store, with the risk and URL scanners
// on the message path as serve wires them.
type stack struct {
	t     testing.TB
	url   string
	st    store.Store
	admin *client.Client
	clock *clock
	risk  *riskscan.Scanner
	rules string // a private rules file loaded after the embedded set
	http  *http.Client
}

// stores lists the back-ends: SQLite always, PostgreSQL when
// SAFEGUARD_TEST_POSTGRES is set.
func stores() map[string]func(t testing.TB) store.Store {
	m := map[string]func(t testing.TB) store.Store{"sqlite": func(t testing.TB) store.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}}
	if os.Getenv("SAFEGUARD_TEST_POSTGRES") != "" {
		m["postgres"] = func(t testing.TB) store.Store { return pgtest.Open(t.(*testing.T)) }
	}
	return m
}

const privateRule = `version: 1
rules:
  - id: local.greeting
    description: Counts adults greeting a minor, to measure before acting.
    category: contact
    severity: low
    mode: shadow
    expr: sender.adult && recipient.minor && message.index == 0
`

// newStack starts the server. scanners says whether the safety pipeline
// runs (the benchmark's baseline runs without it).
func newStack(t testing.TB, st store.Store, scanners bool, limits messaging.Limits) *stack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, st: st, clock: &clock{t: time.Now().UTC()}, rules: filepath.Join(t.TempDir(), "private.yaml")}
	if err := os.WriteFile(s.rules, []byte(privateRule), 0o600); err != nil {
		t.Fatal(err)
	}
	b := bus.NewLocal()
	notify := web.Notifier(b, nil)
	deps := messaging.Deps{Store: st, Media: md, Notify: notify, Now: s.clock.now}
	var opts []web.Option
	if scanners {
		s.risk, err = riskscan.New(riskscan.Config{Rules: []string{riskscan.DefaultRules, s.rules}}, riskscan.Deps{Store: st, Notify: notify})
		if err != nil {
			t.Fatal(err)
		}
		us, err := urls.New(urls.Config{}, urls.Deps{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		deps.Scanner = safety.Scanners{s.risk, us}
		opts = append(opts, web.WithRisk(s.risk))
	}
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Limits: limits}, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() }) // the queued refusals, before the store closes
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken}, svc, b, nil, prometheus.NewRegistry(), opts...).Handler())
	t.Cleanup(func() {
		b.Close()
		srv.Close()
	})
	s.url = srv.URL
	s.admin = &client.Client{BaseURL: srv.URL, Token: adminToken}
	return s
}

// born returns the birth date of someone aged years today (their birthday
// was yesterday).
func born(years int) string { return time.Now().AddDate(-years, 0, -1).Format(time.DateOnly) }

// user signs up and logs in an account with the nickname; the client's
// Handle is the handle the server gave it.
func (s *stack) user(nickname string, age int) *client.Client {
	s.t.Helper()
	ctx := context.Background()
	c := client.New(s.url)
	c.HTTP = s.http
	a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nickname, Password: pw, BirthDate: born(age)})
	if err != nil {
		s.t.Fatalf("sign up %s: %v", nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, pw); err != nil {
		s.t.Fatalf("log in %s: %v", a.Handle, err)
	}
	return c
}

// connect has a ask b to be a contact and b accept.
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

// next returns the next live event, failing the test if none comes.
func next(t *testing.T, events <-chan client.Event) client.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no live event")
		return client.Event{}
	}
}

// upTo returns the live events up to and including the message with text
// marker: everything that came before it, in order.
func upTo(t *testing.T, events <-chan client.Event, marker string) []client.Event {
	t.Helper()
	var out []client.Event
	for {
		ev := next(t, events)
		out = append(out, ev)
		if ev.Type == safeguard.EventMessageCreated && ev.Message != nil && ev.Message.Text == marker {
			return out
		}
	}
}

func detections(t *testing.T, st store.Store, conv int64) []*safeguard.Detection {
	t.Helper()
	var ds []*safeguard.Detection
	err := st.View(context.Background(), func(tx store.Tx) (err error) {
		ds, err = tx.Detections(context.Background(), store.DetectionQuery{ConversationID: conv})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func noticeEvents(evs []client.Event) []client.Event {
	var out []client.Event
	for _, ev := range evs {
		if ev.Type == safeguard.EventSafetyNotice {
			out = append(out, ev)
		}
	}
	return out
}

// TestGroomingURLsAndHomework is the story through the API, as new users
// would live it: an adult and a 13-year-old who have been contacts for a
// while; a parent and an 11-year-old.
func TestGroomingURLsAndHomework(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testGroomingURLsAndHomework(t, newStack(t, open(t), true, messaging.Limits{}))
		})
	}
}

func testGroomingURLsAndHomework(t *testing.T, s *stack) {
	ctx := t.Context()
	adult := s.user("coach_dan", 35)
	teen := s.user("teen_ella", 13)
	s.connect(teen, adult.Handle, adult)
	s.clock.advance(8 * 24 * time.Hour) // contacts for a week before they chat

	conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teen.Handle}})
	if err != nil {
		t.Fatal(err)
	}
	teenEvents, err := teen.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	adultEvents, err := adult.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sent []*client.Message
	for _, text := range []string{
		"hey, how was school today?",
		"you looked great at the match, send me a pic of you",
		"don't tell your parents about our chats, it's our secret",
	} {
		m, err := adult.SendText(ctx, conv.ID, text)
		if err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		sent = append(sent, m)
		s.clock.advance(time.Minute)
	}
	if _, err := teen.SendText(ctx, conv.ID, "ok"); err != nil {
		t.Fatal(err)
	}

	// The teen gets each message, and after the secrecy request one
	// notice: a warning with Childline's number, block and report.
	evs := upTo(t, teenEvents, "ok")
	notices := noticeEvents(evs)
	if len(notices) != 1 {
		t.Fatalf("teen's events: %d notices, want 1: %+v", len(notices), evs)
	}
	n := notices[0]
	if n.Notice == nil || n.Notice.Code != "risk_warning" || n.Message == nil || n.Message.ID != sent[2].ID || n.Message.ConversationID != conv.ID {
		t.Fatalf("notice: %+v", n)
	}
	if i := indexOf(evs, n); i == 0 || evs[i-1].Message == nil || evs[i-1].Message.ID != sent[2].ID {
		t.Errorf("the notice does not follow the message it is about: %+v", evs)
	}
	childline := false
	for _, l := range n.Notice.Links {
		childline = childline || l.Phone == "0800 1111"
	}
	if !childline || !strings.Contains(strings.Join(n.Notice.Actions, ","), "block") || !strings.Contains(strings.Join(n.Notice.Actions, ","), "report") {
		t.Errorf("notice without Childline, block and report: %+v", n.Notice)
	}

	// One detection, for the case: the pairing of request and secrecy.
	ds := detections(t, s.st, conv.ID)
	if len(ds) != 1 || ds[0].Source != safeguard.RiskRule || ds[0].Severity != "critical" || ds[0].Category != "grooming" || ds[0].MessageID != sent[2].ID {
		t.Fatalf("detections: %+v", ds)
	}

	// The adult is told nothing: every answer alike, and no notice on
	// their own stream.
	for i, m := range sent {
		if m.Status != "sent" || m.Sender != adult.Handle || m.Kind != "text" {
			t.Errorf("answer %d to the adult: %+v", i, m)
		}
	}
	for _, ev := range upTo(t, adultEvents, "ok") {
		if ev.Type != safeguard.EventMessageCreated || ev.Notice != nil {
			t.Errorf("the adult's stream shows %+v", ev)
		}
	}

	// A listed link is held: the teen never gets it, the adult sees it sent.
	if _, err := urls.Import(ctx, s.st, urls.ListImport{Name: "iwf", Source: "IWF URL List"}, "list.txt",
		[]byte("# synthetic\nbad.example\nhost.example/dir/\n"), s.clock.now()); err != nil {
		t.Fatal(err)
	}
	link, err := adult.SendText(ctx, conv.ID, "look at this https://WWW.bad.example/some/page?utm_source=chat")
	if err != nil {
		t.Fatal(err)
	}
	if link.Status != "sent" || link.Text != "look at this https://WWW.bad.example/some/page?utm_source=chat" {
		t.Errorf("the sender's view of a held link: %+v", link)
	}
	if _, err := adult.SendText(ctx, conv.ID, "after the link"); err != nil {
		t.Fatal(err)
	}
	for _, ev := range upTo(t, teenEvents, "after the link") {
		if ev.Message != nil && ev.Message.ID == link.ID {
			t.Errorf("the teen got the held link: %+v", ev)
		}
	}
	page, err := teen.History(ctx, conv.ID, client.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Messages {
		if m.ID == link.ID {
			t.Errorf("the held link is in the teen's history")
		}
	}
	page, err = adult.History(ctx, conv.ID, client.HistoryQuery{})
	if err != nil || page.Messages[1].ID != link.ID || page.Messages[1].Status != "sent" {
		t.Errorf("the adult's history: %+v %v", page, err)
	}
	var urlDet *safeguard.Detection
	for _, d := range detections(t, s.st, conv.ID) {
		if d.Source == safeguard.URLMatch {
			urlDet = d
		}
	}
	if urlDet == nil || urlDet.MessageID != link.ID || !urlDet.Held || urlDet.ContentKey != "bad.example/some/page" || urlDet.Category != "url" {
		t.Errorf("URL detection: %+v", urlDet)
	}

	// A parent asking a child for a photo of homework: nothing at all.
	parent := s.user("dad_sam", 40)
	me, _ := parent.Me(ctx)
	if _, err := s.admin.SetAgeAssurance(ctx, me.ID, "verified"); err != nil {
		t.Fatal(err)
	}
	kid := client.New(s.url)
	acct, err := kid.SignUp(ctx, client.SignUpRequest{Nickname: "kid_mo", Password: pw, BirthDate: born(11)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kid.Login(ctx, acct.Handle, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := parent.LinkGuardian(ctx, acct.GuardianCode); err != nil {
		t.Fatal(err)
	}
	req, err := kid.RequestContact(ctx, parent.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if req.State == "awaiting_guardian" {
		reqs, err := parent.GuardianRequests(ctx)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("guardian requests: %+v %v", reqs, err)
		}
		if err := parent.GuardianDecide(ctx, reqs[0].ID, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := parent.AcceptContact(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	home, err := parent.CreateConversation(ctx, client.ConversationRequest{Members: []string{acct.Handle}})
	if err != nil {
		t.Fatal(err)
	}
	kidEvents, err := kid.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"can you send me a photo of your homework please", "send me a picture of your maths homework so I can help"} {
		if _, err := parent.SendText(ctx, home.ID, text); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := parent.SendText(ctx, home.ID, "thanks"); err != nil {
		t.Fatal(err)
	}
	if ns := noticeEvents(upTo(t, kidEvents, "thanks")); len(ns) != 0 {
		t.Errorf("the child was warned about a parent: %+v", ns)
	}
	if ds := detections(t, s.st, home.ID); len(ds) != 0 {
		t.Errorf("detections about a parent: %+v", ds)
	}

	// A 1 MB message is refused cleanly, before any scanning.
	before := s.risk.Counters()[0].Evaluated
	_, err = adult.SendText(ctx, conv.ID, strings.Repeat("a", 1<<20))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MB message: %v", err)
	}
	if after := s.risk.Counters()[0].Evaluated; after != before {
		t.Errorf("a refused message was scored")
	}

	testRiskAdmin(t, s)
}

func indexOf(evs []client.Event, ev client.Event) int {
	for i := range evs {
		if evs[i].Type == ev.Type && evs[i].At.Equal(ev.At) && evs[i].Notice == ev.Notice {
			return i
		}
	}
	return -1
}

// testRiskAdmin checks the operator's view of the rules, reloads, and the
// counters on /metrics.
func testRiskAdmin(t *testing.T, s *stack) {
	ctx := t.Context()
	rules, err := s.admin.RiskRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	def, err := risk.Default()
	if err != nil {
		t.Fatal(err)
	}
	want := len(def.Rules()) + 1 // the embedded rules and one local
	if len(rules.Rules) != want || rules.RuleSetVersion != s.risk.RuleSet().Version() {
		t.Fatalf("%d rules, version %s", len(rules.Rules), rules.RuleSetVersion)
	}
	byID := map[string]client.RiskRule{}
	for _, r := range rules.Rules {
		byID[r.ID] = r
	}
	sec := byID["grooming.image_request.secrecy"]
	if sec.Mode != "enforce" || sec.Severity != "critical" || sec.Evaluated == 0 || sec.Fired == 0 || sec.File != "default:rules.yaml" {
		t.Errorf("grooming.image_request.secrecy: %+v", sec)
	}
	if g := byID["local.greeting"]; g.Mode != "shadow" || g.Fired < 2 || g.File != s.rules {
		t.Errorf("the private shadow rule: %+v", g)
	}
	if _, err := (&client.Client{BaseURL: s.url, Token: "wrong"}).RiskRules(ctx); client.ErrorCode(err) != "unauthenticated" {
		t.Errorf("rules without the operator token: %v", err)
	}

	// A bad file keeps the old rules; the answer says where.
	os.WriteFile(s.rules, []byte(strings.Replace(privateRule, "message.index == 0", "message.index == \"first\"", 1)), 0o600)
	_, err = s.admin.ReloadRiskRules(ctx)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "invalid_rules" || !strings.Contains(ae.Message, s.rules+":8:") {
		t.Errorf("reload of a bad file: %v", err)
	}
	if s.risk.RuleSet().Version() != rules.RuleSetVersion {
		t.Errorf("a bad reload changed the rules in force")
	}
	os.WriteFile(s.rules, []byte(strings.Replace(privateRule, "severity: low", "severity: medium", 1)), 0o600)
	rl, err := s.admin.ReloadRiskRules(ctx)
	if err != nil || rl.Rules != want || rl.RuleSetVersion == rules.RuleSetVersion || rl.RuleSetVersion != s.risk.RuleSet().Version() {
		t.Errorf("reload: %+v %v", rl, err)
	}
	again, _ := s.admin.RiskRules(ctx)
	for _, r := range again.Rules {
		if r.ID == "grooming.image_request.secrecy" && r.Fired != sec.Fired {
			t.Errorf("counters lost on reload: %+v", r)
		}
	}

	// Per-rule counters are the operator API's; /metrics has totals only,
	// so no count there tells a sender which rule their message fired.
	req, _ := http.NewRequest("GET", s.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"safeguard_risk_rule_evaluations_total ", "safeguard_risk_rule_errors_total 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, never := range []string{"safeguard_risk_alerts_total", "grooming.image_request.secrecy", "local.greeting"} {
		if strings.Contains(string(body), never) {
			t.Errorf("/metrics holds %s", never)
		}
	}
}

// TestSupportNotices checks, through the API, that a young person is shown
// support at each safety event the platform has: a request from someone new
// (live, and in the contact list for later), asking to add an adult,
// blocking, and a risk warning (TestGroomingURLsAndHomework). There is no
// setting a young person can turn off; reports are the cases service's.
func TestSupportNotices(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, open(t), true, messaging.Limits{})
			ctx := t.Context()
			teen := s.user("teen_ana", 14)
			other := s.user("teen_ben", 15)
			adult := s.user("adult_cy", 30)
			events, err := teen.Events(ctx)
			if err != nil {
				t.Fatal(err)
			}
			childline := func(what string, ns ...client.Notice) {
				t.Helper()
				for _, n := range ns {
					for _, l := range n.Links {
						if l.Phone == "0800 1111" {
							return
						}
					}
				}
				t.Errorf("%s: no notice with Childline: %+v", what, ns)
			}
			if _, err := other.RequestContact(ctx, teen.Handle); err != nil {
				t.Fatal(err)
			}
			ev := next(t, events)
			if ev.Type != safeguard.EventContactRequested || ev.Notice == nil || ev.Notice.Code != "support_new_contact" {
				t.Errorf("live request: %+v", ev)
			} else {
				childline("live request", *ev.Notice)
			}
			cs, err := teen.Contacts(ctx)
			if err != nil || len(cs.Incoming) != 1 || len(cs.Incoming[0].Notices) != 1 || cs.Incoming[0].Notices[0].Code != "support_new_contact" {
				t.Fatalf("the request in the contact list: %+v %v", cs, err)
			}
			childline("listed request", cs.Incoming[0].Notices...)
			if cs, _ := other.Contacts(ctx); len(cs.Outgoing) != 1 || len(cs.Outgoing[0].Notices) != 0 {
				t.Errorf("the requester's view: %+v", cs)
			}
			req, err := teen.RequestContact(ctx, adult.Handle)
			if err != nil || len(req.Notices) != 1 || req.Notices[0].Code != "support_minor_adds_adult" {
				t.Errorf("adding an adult: %+v %v", req, err)
			} else {
				childline("adding an adult", req.Notices...)
			}
			if cs, _ := adult.Contacts(ctx); len(cs.Incoming) != 1 || len(cs.Incoming[0].Notices) != 0 {
				t.Errorf("an adult's incoming request carries a young person's notice: %+v", cs.Incoming)
			}
			ns, err := teen.Block(ctx, other.Handle)
			if err != nil || len(ns) != 1 || ns[0].Code != "support_blocked" {
				t.Errorf("blocking: %+v %v", ns, err)
			} else {
				childline("blocking", ns...)
			}
		})
	}
}
