package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/web"
)

const adminToken = "test-operator-token"

// stack is a running server over a real store, and what tests need of it.
type stack struct {
	t     testing.TB
	url   string
	admin *client.Client
	st    store.Store

	mu      sync.Mutex
	handles map[string]string // nickname → the handle the server gave it
}

type opener func(t *testing.T) store.Store

// stores lists the back-ends every end-to-end test runs against: SQLite
// always, PostgreSQL when SAFEGUARD_TEST_POSTGRES is set.
func stores(t *testing.T) map[string]opener {
	m := map[string]opener{"sqlite": func(t *testing.T) store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}}
	if os.Getenv("SAFEGUARD_TEST_POSTGRES") != "" {
		m["postgres"] = func(t *testing.T) store.Store { return pgtest.Open(t) }
	}
	return m
}

// each runs fn as a subtest against every store.
func each(t *testing.T, fn func(t *testing.T, s *stack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newStack(t, open(t), nil))
		})
	}
}

// testLimits are generous enough for the tests but not unlimited.
var testLimits = messaging.Limits{}

func newStack(t testing.TB, st store.Store, tweak func(*messaging.Config)) *stack {
	t.Helper()
	return newScannedStack(t, st, tweak, nil)
}

// newScannedStack is newStack with a safety scanner in the message path.
func newScannedStack(t testing.TB, st store.Store, tweak func(*messaging.Config), scanner messaging.Scanner) *stack {
	t.Helper()
	return newBusStack(t, st, tweak, scanner, bus.NewLocal())
}

// newBusStack is newScannedStack over the bus b.
func newBusStack(t testing.TB, st store.Store, tweak func(*messaging.Config), scanner messaging.Scanner, b *bus.Local) *stack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Limits: testLimits, Apps: []string{"chat", "kids"}}
	if tweak != nil {
		tweak(&cfg)
	}
	svc, err := messaging.New(cfg, messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Scanner: scanner})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() }) // the queued refusals, before the store closes
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken, SupportContact: testSupportContact}, svc, b, nil, prometheus.NewRegistry()).Handler())
	t.Cleanup(func() {
		b.Close()
		srv.Close()
	})
	return &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st}
}

// testSupportContact is the test servers' --support-contact.
const testSupportContact = "help@safeguard.example"

// born returns the birth date of someone aged years today (their birthday
// was yesterday).
func born(years int) string { return time.Now().AddDate(-years, 0, -1).Format(time.DateOnly) }

const pw = "correct horse battery"

// user signs up and logs in an account with the nickname; s.h(nickname) and
// the client's Handle are the handle the server gave it.
func (s *stack) user(nickname string, age int, la string) *client.Client {
	s.t.Helper()
	return s.register(client.SignUpRequest{Nickname: nickname, Password: pw, BirthDate: born(age), LocalAuthority: la})
}

// register signs up and logs in an account, and remembers its handle.
func (s *stack) register(req client.SignUpRequest) *client.Client {
	s.t.Helper()
	ctx := s.t.Context()
	c := client.New(s.url)
	a, err := c.SignUp(ctx, req)
	if err != nil {
		s.t.Fatalf("sign up %s: %v", req.Nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, req.Password); err != nil {
		s.t.Fatalf("log in %s: %v", a.Handle, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handles == nil {
		s.handles = map[string]string{}
	}
	s.handles[req.Nickname] = a.Handle
	return c
}

// h returns the handle the server gave the account signed up with the
// nickname.
func (s *stack) h(nickname string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.handles[nickname]
	if !ok {
		s.t.Fatalf("no account signed up with the nickname %q", nickname)
	}
	return h
}

// verified signs up an adult whose age the operator has verified.
func (s *stack) verified(handle string) *client.Client {
	s.t.Helper()
	c := s.user(handle, 40, "")
	me, err := c.Me(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.admin.SetAgeAssurance(s.t.Context(), me.ID, "verified"); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// connect makes a and b contacts (a asks, b accepts).
func (s *stack) connect(a *client.Client, bHandle string, b *client.Client) {
	s.t.Helper()
	ctx := s.t.Context()
	req, err := a.RequestContact(ctx, bHandle)
	if err != nil {
		s.t.Fatalf("request %s: %v", bHandle, err)
	}
	if _, err := b.AcceptContact(ctx, req.ID); err != nil {
		s.t.Fatalf("accept: %v", err)
	}
}

// apiErr returns the status, code and message of an API error.
func apiErr(t testing.TB, err error) client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return *ae
}

// raw sends a request and returns the status and decoded error body.
func (s *stack) raw(method, path, token, ctype string, body io.Reader) (int, client.ErrorBody) {
	s.t.Helper()
	req, _ := http.NewRequestWithContext(s.t.Context(), method, s.url+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb client.ErrorBody
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &eb)
	return resp.StatusCode, eb
}

func TestStrangerAdultCannotReachMinor(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		teen := s.user("teen_ana", 15, "Bedford")
		stranger := s.user("stranger_bo", 35, "Cambridge")
		events, err := teen.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}

		// The answer for a handle nobody has.
		_, unknownReq := stranger.RequestContact(ctx, "no_such_person")
		_, unknownConv := stranger.CreateConversation(ctx, client.ConversationRequest{Members: []string{"no_such_person"}})
		_, unknownMsg := stranger.SendDirect(ctx, "no_such_person", "hello")
		_, unknownLook := stranger.Lookup(ctx, "no_such_person")
		want := apiErr(t, unknownReq)
		if want.Status != http.StatusNotFound || want.Code != "account_not_found" {
			t.Fatalf("unknown handle answer = %+v", want)
		}

		// The same requests to the minor get exactly that answer.
		_, errReq := stranger.RequestContact(ctx, s.h("teen_ana"))
		_, errConv := stranger.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_ana")}})
		_, errGroup := stranger.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_ana")}, Title: "hi"})
		_, errMsg := stranger.SendDirect(ctx, s.h("teen_ana"), "hello")
		_, errLook := stranger.Lookup(ctx, s.h("teen_ana"))
		for name, pair := range map[string][2]error{
			"contact request": {errReq, unknownReq},
			"conversation":    {errConv, unknownConv},
			"group":           {errGroup, unknownConv},
			"message":         {errMsg, unknownMsg},
			"lookup":          {errLook, unknownLook},
		} {
			if diff := cmp.Diff(apiErr(t, pair[1]), apiErr(t, pair[0])); diff != "" {
				t.Errorf("%s to a minor answered differently from an unknown handle (-unknown +minor):\n%s", name, diff)
			}
		}

		// Nothing appears on the minor's side.
		cs, err := teen.Contacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs.Incoming)+len(cs.Contacts) != 0 {
			t.Errorf("minor sees requests: %+v", cs)
		}
		convs, err := teen.Conversations(ctx)
		if err != nil || len(convs) != 0 {
			t.Errorf("minor sees conversations: %+v, %v", convs, err)
		}
		select {
		case ev := <-events:
			t.Errorf("minor got a live event: %+v", ev)
		case <-time.After(100 * time.Millisecond):
		}

		// The precise reason is recorded for the operator, as a risk signal.
		me, _ := stranger.Me(ctx)
		audit, err := s.admin.Audit(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range audit {
			if e.ActorID == me.ID && e.Reason == "stranger_contact_minor" {
				n++
			}
		}
		if n < 4 {
			t.Errorf("%d refusals recorded with reason stranger_contact_minor, want at least 4", n)
		}

		// Once the minor asks, the adult may answer.
		req, err := teen.RequestContact(ctx, s.h("stranger_bo"))
		if err != nil {
			t.Fatal(err)
		}
		if len(req.Notices) == 0 || req.Notices[0].Code != "support_minor_adds_adult" {
			t.Errorf("minor adding an adult sees no support notice: %+v", req.Notices)
		}
		if _, err := stranger.AcceptContact(ctx, req.ID); err != nil {
			t.Fatalf("adult cannot accept a minor's request: %v", err)
		}
		if _, err := stranger.SendDirect(ctx, s.h("teen_ana"), "hello"); err != nil {
			t.Fatalf("contacts cannot message: %v", err)
		}
	})
}

func TestEncryptionPolicy(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana := s.verified("ana_v")
		ben := s.verified("ben_v")
		cat := s.user("cat_unverified", 30, "")
		teen := s.user("teen_dev", 16, "")
		s.connect(ana, s.h("ben_v"), ben)
		s.connect(ana, s.h("cat_unverified"), cat)
		s.connect(teen, s.h("ana_v"), ana)

		for name, members := range map[string][]string{
			"with a minor":             {s.h("teen_dev")},
			"with an unverified adult": {s.h("cat_unverified")},
			"group with a minor":       {s.h("ben_v"), s.h("teen_dev")},
		} {
			_, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: members, E2EE: true, Title: map[bool]string{true: "g"}[len(members) > 1]})
			e := apiErr(t, err)
			if e.Status != http.StatusForbidden || e.Code != "e2ee_requires_verified_adults" {
				t.Errorf("E2EE %s: %+v", name, e)
			}
			for _, m := range members {
				if strings.Contains(e.Message, m) {
					t.Errorf("E2EE refusal names a member: %q", e.Message)
				}
			}
		}

		c, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ben_v")}, E2EE: true})
		if err != nil || !c.E2EE || c.Notice.Code != "e2ee" {
			t.Fatalf("verified adults: %+v, %v", c, err)
		}
		if _, err := ana.SendText(ctx, c.ID, "plain"); apiErr(t, err).Code != "e2ee_requires_envelope" {
			t.Errorf("plaintext in E2EE: %v", err)
		}
		if _, err := ana.SendEnvelope(ctx, c.ID, []byte("opaque-ciphertext"), []byte("tag")); err != nil {
			t.Errorf("envelope in E2EE: %v", err)
		}
		page, err := ben.History(ctx, c.ID, client.HistoryQuery{})
		if err != nil || len(page.Messages) != 1 || string(page.Messages[0].Envelope) != "opaque-ciphertext" {
			t.Errorf("envelope relayed: %+v %v", page, err)
		}

		plain, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_dev")}})
		if err != nil || plain.E2EE || plain.Notice.Code != "minor_present" ||
			plain.Notice.Text != "This chat includes a young person, so it is not end-to-end encrypted. Safeguard can check messages here to keep children safe." {
			t.Fatalf("conversation with a minor: %+v, %v", plain, err)
		}
		tv, err := teen.Conversation(ctx, plain.ID)
		if err != nil || tv.Notice.Code != "minor_present" {
			t.Errorf("the minor's own view lacks the notice: %+v %v", tv, err)
		}
		if _, err := ana.SendEnvelope(ctx, plain.ID, []byte("x"), nil); apiErr(t, err).Code != "envelope_requires_e2ee" {
			t.Errorf("envelope in a plain chat: %v", err)
		}
		un, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("cat_unverified")}})
		if err != nil || un.Notice.Code != "age_not_verified" {
			t.Errorf("unverified adult notice: %+v %v", un, err)
		}

		// A minor can never join an E2EE group; revocation removes an adult.
		g, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ben_v")}, E2EE: true, Title: "verified"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ana.AddMember(ctx, g.ID, s.h("teen_dev")); apiErr(t, err).Code != "e2ee_requires_verified_adults" {
			t.Errorf("minor added to E2EE group: %v", err)
		}
		benMe, _ := ben.Me(ctx)
		if _, err := s.admin.SetAgeAssurance(ctx, benMe.ID, "self-declared"); err != nil {
			t.Fatal(err)
		}
		if _, err := ben.Conversation(ctx, g.ID); apiErr(t, err).Status != http.StatusNotFound {
			t.Errorf("revoked adult still in the E2EE group: %v", err)
		}
		gv, err := ana.Conversation(ctx, g.ID)
		if err != nil || memberState(gv, s.h("ben_v")) != "removed" {
			t.Errorf("ben's membership after revocation: %+v %v", gv, err)
		}
	})
}

func memberState(c *client.Conversation, handle string) string {
	for _, m := range c.Members {
		if m.Handle == handle {
			return m.State
		}
	}
	return ""
}

func TestGroupsWithMinors(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		aunt := s.verified("aunt_eve")
		uncle := s.user("uncle_fin", 45, "")
		nephew := s.user("nephew_gus", 14, "")
		other := s.user("other_hal", 40, "")
		s.connect(nephew, s.h("aunt_eve"), aunt)
		s.connect(nephew, s.h("uncle_fin"), uncle)
		s.connect(aunt, s.h("uncle_fin"), uncle)
		s.connect(aunt, s.h("other_hal"), other)

		g, err := aunt.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("uncle_fin"), s.h("nephew_gus")}, Title: "Family"})
		if err != nil {
			t.Fatal(err)
		}
		if memberState(g, s.h("nephew_gus")) != "invited" || g.Notice.Code != "minor_present" {
			t.Fatalf("minor not invited or notice missing: %+v", g)
		}
		if _, err := aunt.SendText(ctx, g.ID, "before he joins"); err != nil {
			t.Fatal(err)
		}
		if _, err := nephew.History(ctx, g.ID, client.HistoryQuery{}); apiErr(t, err).Status != http.StatusNotFound {
			t.Errorf("invited minor reads history before accepting: %v", err)
		}
		if _, err := nephew.AcceptInvitation(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := aunt.AddMember(ctx, g.ID, s.h("other_hal")); apiErr(t, err).Code != "group_contacts_required" ||
			!strings.Contains(apiErr(t, err).Message, s.h("nephew_gus")+" and "+s.h("other_hal")+" are not contacts") {
			t.Errorf("adding an adult who is not the minor's contact: %v", err)
		}
		// Whoever starts a group is told which two people they named are not
		// contacts, or that they themselves are not a named person's contact.
		if _, err := nephew.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("aunt_eve"), s.h("other_hal")}, Title: "y"}); apiErr(t, err).Code != "group_contacts_required" ||
			!strings.Contains(apiErr(t, err).Message, "You and "+s.h("other_hal")+" are not contacts yet") {
			t.Errorf("a teen's group with an adult who is not her contact: %v", err)
		}
		if _, err := aunt.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("nephew_gus"), s.h("other_hal")}, Title: "z"}); apiErr(t, err).Code != "group_contacts_required" ||
			!strings.Contains(apiErr(t, err).Message, "are not contacts of each other") {
			t.Errorf("a group of two who are not contacts: %v", err)
		}
		if _, err := other.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("aunt_eve"), s.h("nephew_gus")}, Title: "x"}); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("stranger's group with the minor: %v", err)
		}
	})
}

func TestBlocking(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ivy := s.user("ivy_b", 30, "")
		jay := s.user("jay_b", 31, "")
		kim := s.user("kim_b", 32, "")
		s.connect(ivy, s.h("jay_b"), jay)
		s.connect(kim, s.h("ivy_b"), ivy)
		s.connect(kim, s.h("jay_b"), jay)
		direct, err := jay.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ivy_b")}})
		if err != nil {
			t.Fatal(err)
		}
		group, err := kim.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ivy_b"), s.h("jay_b")}, Title: "three"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ivy.Block(ctx, s.h("jay_b")); err != nil {
			t.Fatal(err)
		}
		if _, err := jay.SendText(ctx, direct.ID, "hi"); apiErr(t, err).Status != http.StatusForbidden {
			t.Errorf("blocked account messages the blocker: %v", err)
		}
		_, errReq := jay.RequestContact(ctx, s.h("ivy_b"))
		_, errUnknown := jay.RequestContact(ctx, "nobody_at_all")
		if diff := cmp.Diff(apiErr(t, errUnknown), apiErr(t, errReq)); diff != "" {
			t.Errorf("blocked account learns of the block:\n%s", diff)
		}
		if _, err := jay.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("kim_b"), s.h("ivy_b")}, Title: "new"}); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("blocked account adds the blocker to a group: %v", err)
		}
		if _, err := jay.SendText(ctx, group.ID, "from jay in the group"); err != nil {
			t.Fatal(err)
		}
		page, err := ivy.History(ctx, group.ID, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.Sender == s.h("jay_b") {
				t.Errorf("the blocker sees the blocked member's group message")
			}
		}
		page, _ = kim.History(ctx, group.ID, client.HistoryQuery{})
		if len(page.Messages) != 1 {
			t.Errorf("others do not see it: %d messages", len(page.Messages))
		}
	})
}

func TestChildWaitsForGuardian(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		c := client.New(s.url)
		a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: "lily_c", Password: pw, BirthDate: born(12), LocalAuthority: "Bedford"})
		if err != nil {
			t.Fatal(err)
		}
		if a.AgeBand != "child" || a.Status != "pending_guardian" || a.GuardianCode == "" || a.PoliceForce != "E23000026" {
			t.Fatalf("child sign-up: %+v", a)
		}
		if _, err := c.Login(ctx, a.Handle, pw); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RequestContact(ctx, "uncle_x"); apiErr(t, err).Code != "account_inactive" {
			t.Errorf("pending child acts: %v", err)
		}
		unverified := s.user("parent_unv", 40, "")
		if _, err := unverified.LinkGuardian(ctx, a.GuardianCode); apiErr(t, err).Code != "guardian_not_verified" {
			t.Errorf("unverified guardian: %v", err)
		}
		parent := s.verified("parent_ok")
		if _, err := parent.LinkGuardian(ctx, "AAAA-BBBB"); apiErr(t, err).Code != "invalid_code" {
			t.Errorf("wrong code: %v", err)
		}
		child, err := parent.LinkGuardian(ctx, strings.ToLower(strings.ReplaceAll(a.GuardianCode, "-", "")))
		if err != nil || child.Status != "active" {
			t.Fatalf("link: %+v %v", child, err)
		}
		if _, err := parent.LinkGuardian(ctx, a.GuardianCode); err == nil {
			t.Error("a code works twice")
		}

		// Each new contact of the child waits for the guardian.
		teen := s.user("teen_cousin", 14, "")
		req, err := c.RequestContact(ctx, s.h("teen_cousin"))
		if err != nil || req.State != "awaiting_guardian" {
			t.Fatalf("child's request: %+v %v", req, err)
		}
		if cs, _ := teen.Contacts(ctx); len(cs.Incoming) != 0 {
			t.Fatal("request reached the other side before the guardian approved")
		}
		reqs, err := parent.GuardianRequests(ctx)
		if err != nil || len(reqs) != 1 || reqs[0].Child != a.Handle || reqs[0].Other != s.h("teen_cousin") {
			t.Fatalf("guardian's requests: %+v %v", reqs, err)
		}
		if err := parent.GuardianDecide(ctx, reqs[0].ID, true); err != nil {
			t.Fatal(err)
		}
		cs, _ := teen.Contacts(ctx)
		if len(cs.Incoming) != 1 {
			t.Fatalf("after approval: %+v", cs)
		}
		if _, err := teen.AcceptContact(ctx, cs.Incoming[0].ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBadInput(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		tests := []struct {
			name   string
			body   string
			ctype  string
			status int
			code   string
		}{
			{"malformed JSON", `{"nickname":`, "application/json", 400, "invalid_json"},
			{"not an object", `[1,2]`, "application/json", 400, "invalid_json"},
			{"empty body", ``, "application/json", 400, "empty_body"},
			{"two objects", `{"nickname":"a"}{"nickname":"b"}`, "application/json", 400, "invalid_json"},
			{"unknown field", `{"nickname":"pat_q","password":"` + pw + `","birthdate":"2000-01-01"}`, "application/json", 400, "unknown_field"},
			{"missing nickname", `{"password":"` + pw + `","birth_date":"2000-01-01"}`, "application/json", 400, "missing_field"},
			{"missing birth date", `{"nickname":"pat_q","password":"` + pw + `"}`, "application/json", 400, "missing_field"},
			{"wrong type", `{"nickname":5,"password":"` + pw + `","birth_date":"2000-01-01"}`, "application/json", 400, "invalid_field"},
			{"future birth date", `{"nickname":"pat_q","password":"` + pw + `","birth_date":"` + time.Now().AddDate(1, 0, 0).Format(time.DateOnly) + `"}`, "application/json", 400, "invalid_birth_date"},
			{"impossible date", `{"nickname":"pat_q","password":"` + pw + `","birth_date":"2001-02-30"}`, "application/json", 400, "invalid_birth_date"},
			{"unknown local authority", `{"nickname":"pat_q","password":"` + pw + `","birth_date":"2000-01-01","local_authority":"Atlantis"}`, "application/json", 400, "unknown_local_authority"},
			{"unknown app", `{"nickname":"pat_q","password":"` + pw + `","birth_date":"2000-01-01","app":"nope"}`, "application/json", 400, "unknown_app"},
			{"bad nickname", `{"nickname":"a b","password":"` + pw + `","birth_date":"2000-01-01"}`, "application/json", 400, "invalid_handle"},
			{"short password", `{"nickname":"pat_q","password":"short","birth_date":"2000-01-01"}`, "application/json", 400, "invalid_password"},
			{"form instead of JSON", `handle=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
			{"10 MB body", `{"nickname":"pat_q","password":"` + strings.Repeat("x", 10<<20) + `"}`, "application/json", 413, "body_too_large"},
		}
		for _, tt := range tests {
			status, eb := s.raw("POST", "/api/v1/accounts", "", tt.ctype, strings.NewReader(tt.body))
			if status != tt.status || eb.Error.Code != tt.code || eb.Error.Message == "" {
				t.Errorf("%s: %d %+v, want %d %s", tt.name, status, eb.Error, tt.status, tt.code)
			}
		}
		// Nothing was stored half-way: the handle is still free.
		c := client.New(s.url)
		if _, err := c.Login(t.Context(), "pat_q", pw); apiErr(t, err).Code != "invalid_credentials" {
			t.Errorf("a refused sign-up left an account: %v", err)
		}
		first, err := c.SignUp(t.Context(), client.SignUpRequest{Nickname: "pat_q", Password: pw, BirthDate: "2000-01-01"})
		if err != nil {
			t.Fatalf("sign-up after refused sign-ups: %v", err)
		}
		// The same nickname in another case is the same nickname, with
		// another discriminator: never "taken".
		second, err := c.SignUp(t.Context(), client.SignUpRequest{Nickname: "PAT_Q", Password: pw, BirthDate: "2000-01-01"})
		if err != nil || strings.EqualFold(first.Handle, second.Handle) || safeguard.Nickname(first.Handle) != "pat_q" || safeguard.Nickname(second.Handle) != "PAT_Q" {
			t.Errorf("two sign-ups as pat_q: %+v, %+v, %v", first, second, err)
		}

		// Auth and the operator API.
		if st, eb := s.raw("GET", "/api/v1/me", "", "", nil); st != 401 || eb.Error.Code != "unauthenticated" {
			t.Errorf("no token: %d %+v", st, eb)
		}
		if st, _ := s.raw("GET", "/api/v1/me", "forged", "", nil); st != 401 {
			t.Errorf("forged token: %d", st)
		}
		if st, _ := s.raw("GET", "/api/v1/admin/accounts/1", "wrong", "", nil); st != 401 {
			t.Errorf("wrong operator token: %d", st)
		}
		if st, eb := s.raw("GET", "/api/v1/nope", "", "", nil); st != 404 || eb.Error.Code != "no_such_endpoint" {
			t.Errorf("unknown endpoint: %d %+v", st, eb)
		}
	})
}

func TestMessagesImagesAndEvents(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		mia := s.user("mia_m", 29, "")
		noa := s.user("noa_m", 28, "")
		outsider := s.user("out_m", 28, "")
		s.connect(mia, s.h("noa_m"), noa)
		c, err := mia.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("noa_m")}})
		if err != nil {
			t.Fatal(err)
		}
		again, err := noa.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("mia_m")}})
		if err != nil || again.ID != c.ID {
			t.Fatalf("one-to-one not reused: %v %v", again, err)
		}
		evctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, err := noa.Events(evctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i := range 7 {
			m, err := mia.SendText(ctx, c.ID, fmt.Sprintf("message %d", i))
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != "sent" {
				t.Errorf("sender sees status %q", m.Status)
			}
			ids = append(ids, m.ID)
		}
		for i := range 7 {
			select {
			case ev := <-events:
				if ev.Type != "message.created" || ev.Message == nil || ev.Message.Text != fmt.Sprintf("message %d", i) || ev.Message.Status != "delivered" {
					t.Fatalf("event %d: %+v", i, ev)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no live event %d", i)
			}
		}
		// Cursor pagination, newest first.
		page, err := noa.History(ctx, c.ID, client.HistoryQuery{Limit: 3})
		if err != nil || len(page.Messages) != 3 || page.Messages[0].ID != ids[6] || page.Next != ids[4] {
			t.Fatalf("first page: %+v %v", page, err)
		}
		page, err = noa.History(ctx, c.ID, client.HistoryQuery{Limit: 3, Before: page.Next})
		if err != nil || len(page.Messages) != 3 || page.Messages[0].ID != ids[3] {
			t.Fatalf("second page: %+v %v", page, err)
		}
		page, _ = noa.History(ctx, c.ID, client.HistoryQuery{After: ids[4]})
		if len(page.Messages) != 2 || page.Messages[0].ID != ids[5] {
			t.Fatalf("after: %+v", page)
		}
		if _, err := outsider.History(ctx, c.ID, client.HistoryQuery{}); apiErr(t, err).Status != 404 {
			t.Errorf("outsider reads history: %v", err)
		}
		if err := noa.MarkRead(ctx, c.ID, ids[6]); err != nil {
			t.Fatal(err)
		}
		if err := noa.MarkRead(ctx, c.ID, ids[2]); err != nil {
			t.Fatal(err)
		}
		marks, err := mia.ReadMarkers(ctx, c.ID)
		if err != nil || len(marks) != 1 || marks[0].MessageID != ids[6] {
			t.Errorf("read marker moved back or missing: %+v %v", marks, err)
		}

		// Images: stored encrypted, fetched by members only.
		img := texturedPNG(t)
		m, err := mia.SendImage(ctx, c.ID, "pic.png", "image/png", img, "look")
		if err != nil {
			t.Fatal(err)
		}
		got, ctype, err := noa.Media(ctx, m.MediaID)
		if err != nil || !bytes.Equal(got, img) || ctype != "image/png" {
			t.Fatalf("media: %d bytes %s %v", len(got), ctype, err)
		}
		if _, _, err := outsider.Media(ctx, m.MediaID); apiErr(t, err).Status != 404 {
			t.Errorf("outsider fetches media: %v", err)
		}
		if _, err := mia.SendImage(ctx, c.ID, "a.txt", "text/plain", []byte("hello"), ""); apiErr(t, err).Status != 415 {
			t.Errorf("text upload: %v", err)
		}
		if _, err := mia.SendImage(ctx, c.ID, "big.png", "image/png", make([]byte, messaging.DefaultMaxImageBytes+1), ""); apiErr(t, err).Status != 413 {
			t.Errorf("oversized upload: %v", err)
		}
	})
}

func TestConcurrentSenders(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		a := s.user("conc_a", 30, "")
		b := s.user("conc_b", 30, "")
		s.connect(a, s.h("conc_b"), b)
		c, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("conc_b")}})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		seen := map[int64]bool{}
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sender := a
				if w%2 == 1 {
					sender = b
				}
				for i := range 25 {
					m, err := sender.SendText(ctx, c.ID, fmt.Sprintf("w%d-%d", w, i))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					seen[m.ID] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Fatalf("%d distinct acknowledged IDs, want 200", len(seen))
		}
		total := 0
		q := client.HistoryQuery{Limit: 200}
		for {
			page, err := b.History(ctx, c.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page.Messages {
				if !seen[m.ID] {
					t.Errorf("unacknowledged message %d in history", m.ID)
				}
				total++
			}
			if page.Next == 0 {
				break
			}
			q.Before = page.Next
		}
		if total != 200 {
			t.Errorf("history holds %d messages, want 200", total)
		}
	})
}

func TestRateLimits(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, open(t), func(c *messaging.Config) {
				c.Limits = messaging.DefaultLimits
			})
			ctx := t.Context()
			s.user("rl_a", 30, "")
			c := client.New(s.url)
			var last error
			for range 10 {
				_, last = c.Login(ctx, s.h("rl_a"), "wrong password!")
			}
			if apiErr(t, last).Status != http.StatusTooManyRequests {
				t.Errorf("10 bad logins: %v", last)
			}
		})
	}
}

// texturedPNG makes a small harmless image with texture.
func texturedPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	seed := make([]byte, 64*48)
	rand.Read(seed)
	for y := range 48 {
		for x := range 64 {
			v := seed[y*64+x]
			img.Set(x, y, color.RGBA{v, byte(x * 4), byte(y * 5), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// failingScanner cannot check anything: the pipeline is down.
type failingScanner struct{}

func (failingScanner) Scan(context.Context, *messaging.Content) (messaging.Verdict, error) {
	return messaging.Verdict{}, errors.New("index unavailable")
}

// TestFailClosedTowardMinors: when content cannot be checked, a minor never
// receives it — it is held and a detection opens a case — while adults'
// messages go through; the sender sees the same either way.
func TestFailClosedTowardMinors(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			s := newScannedStack(t, st, nil, failingScanner{})
			ctx := t.Context()
			adult := s.user("fc_adult", 35, "")
			teen := s.user("fc_teen", 14, "")
			other := s.user("fc_other", 36, "")
			s.connect(teen, s.h("fc_adult"), adult)
			s.connect(other, s.h("fc_adult"), adult)
			withTeen, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("fc_teen")}})
			if err != nil {
				t.Fatal(err)
			}
			withAdult, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("fc_other")}})
			if err != nil {
				t.Fatal(err)
			}
			held, err := adult.SendImage(ctx, withTeen.ID, "p.png", "image/png", texturedPNG(t), "")
			if err != nil || held.Status != "sent" {
				t.Fatalf("sender's view of a held image: %+v %v", held, err)
			}
			if page, _ := teen.History(ctx, withTeen.ID, client.HistoryQuery{}); len(page.Messages) != 0 {
				t.Errorf("the minor received unchecked content: %+v", page.Messages)
			}
			if page, _ := adult.History(ctx, withTeen.ID, client.HistoryQuery{}); len(page.Messages) != 1 || page.Messages[0].Status != "sent" {
				t.Errorf("the sender's history differs: %+v", page)
			}
			if _, _, err := teen.Media(ctx, held.MediaID); apiErr(t, err).Status != 404 {
				t.Errorf("the minor fetches held media: %v", err)
			}
			if _, err := adult.SendText(ctx, withAdult.ID, "between adults"); err != nil {
				t.Fatal(err)
			}
			if page, _ := other.History(ctx, withAdult.ID, client.HistoryQuery{}); len(page.Messages) != 1 {
				t.Errorf("adults' message not delivered when the scanner fails: %+v", page)
			}
			var ds []*safeguard.Detection
			st.View(ctx, func(tx store.Tx) (err error) {
				ds, err = tx.Detections(ctx, store.DetectionQuery{MessageID: held.ID})
				return
			})
			if len(ds) != 1 || ds[0].Source != safeguard.ScanFailure || !ds[0].Held {
				t.Fatalf("detections of the held message: %+v", ds)
			}
		})
	}
}

// TestLogsHoldNoContent runs the server with debug logging and a
// panicking request, and checks that no message text, password, handle or
// image byte reaches the log.
func TestLogsHoldNoContent(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "log.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	key := make([]byte, media.KeySize)
	md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	b := bus.NewLocal()
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: db, Media: md, Notify: web.Notifier(b, log), Scanner: failingScanner{}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() }) // the queued refusals, before the store closes
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken}, svc, b, log, prometheus.NewRegistry()).Handler())
	defer srv.Close()
	s := &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: db}

	const canaryText, canaryHandle, canaryPassword = "CANARY-TEXT-7d1f", "canary_handle_9e2", "CANARY-PASSWORD-31ab"
	a := client.New(s.url)
	acct, err := a.SignUp(ctx, client.SignUpRequest{Nickname: canaryHandle, Password: canaryPassword, BirthDate: born(30)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(ctx, acct.Handle, canaryPassword); err != nil {
		t.Fatal(err)
	}
	a.Login(ctx, acct.Handle, canaryPassword+"wrong")
	teen := s.user("log_teen", 14, "")
	s.connect(teen, acct.Handle, a)
	c, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("log_teen")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendText(ctx, c.ID, canaryText); err != nil {
		t.Fatal(err)
	}
	img := texturedPNG(t)
	a.SendImage(ctx, c.ID, "x.png", "image/png", img, canaryText) // held: the scanner fails toward a minor
	stranger := s.user("log_stranger", 40, "")
	stranger.SendDirect(ctx, s.h("log_teen"), canaryText)
	if !strings.Contains(string(logs.Bytes()), "held toward a minor") {
		t.Fatalf("the test did not exercise the logging paths:\n%s", string(logs.Bytes()))
	}
	for _, canary := range []string{canaryText, canaryHandle, canaryPassword, s.h("log_teen"), string(img[20:40])} {
		if strings.Contains(string(logs.Bytes()), canary) {
			t.Errorf("the log holds %q:\n%s", canary, string(logs.Bytes()))
		}
	}
}

// TestApps: one backend, several apps; conversations and messages record
// the app they came through.
func TestApps(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		a := s.user("app_a", 30, "")
		b := s.user("app_b", 30, "")
		s.connect(a, s.h("app_b"), b)
		a.App = "kids"
		c, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("app_b")}})
		if err != nil || c.App != "kids" {
			t.Fatalf("conversation app: %+v %v", c, err)
		}
		m1, err := a.SendText(ctx, c.ID, "through kids")
		if err != nil {
			t.Fatal(err)
		}
		a.App = ""
		m2, err := a.SendText(ctx, c.ID, "through the account's app")
		if err != nil {
			t.Fatal(err)
		}
		a.App = "nope"
		if _, err := a.SendText(ctx, c.ID, "x"); apiErr(t, err).Code != "unknown_app" {
			t.Errorf("unknown app: %v", err)
		}
		s.st.View(ctx, func(tx store.Tx) error {
			for id, want := range map[int64]string{m1.ID: "kids", m2.ID: "chat"} {
				m, err := tx.Message(ctx, id)
				if err != nil || m.App != want {
					t.Errorf("message %d app = %v %v, want %s", id, m, err, want)
				}
			}
			return nil
		})
	})
}

func TestHealthAndMetrics(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		a := s.user("metrics_a", 30, "")
		b := s.user("metrics_b", 30, "")
		s.connect(a, s.h("metrics_b"), b)
		c, _ := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("metrics_b")}})
		if _, err := a.SendText(ctx, c.ID, "counted, never shown"); err != nil {
			t.Fatal(err)
		}
		get := func(path string) (int, string) {
			resp, err := http.Get(s.url + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		if code, body := get("/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
			t.Errorf("/healthz: %d %s", code, body)
		}
		if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"store":"ok"`) {
			t.Errorf("/readyz: %d %s", code, body)
		}
		// On the API listener, metrics are the operator's (see
		// attack_hardening_test.go).
		req, _ := http.NewRequest("GET", s.url+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code, body := resp.StatusCode, string(raw)
		if code != 200 || !strings.Contains(body, `safeguard_messages_total{kind="text"} 1`) ||
			!strings.Contains(body, `safeguard_http_requests_total{route="POST /api/v1/conversations/{id}/messages",status="201"} 1`) {
			t.Errorf("/metrics lacks the counts:\n%s", body)
		}
		for _, secret := range []string{s.h("metrics_a"), "counted, never shown"} {
			if strings.Contains(body, secret) {
				t.Errorf("/metrics holds %q", secret)
			}
		}
	})
}
