package web_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/bus"
	sge2ee "github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// ageClock is the clock of the age tests: real time moved by an offset,
// shared by the messaging service, the e2ee service and the web server.
type ageClock struct{ offsetClock }

func (c *ageClock) At(t time.Time) (<-chan time.Time, func() bool) {
	tm := time.NewTimer(t.Sub(c.Now()))
	return tm.C, tm.Stop
}

// ageStack is an e2ee stack whose every service runs on one clock the test
// moves, with the messaging service at hand to run the birthday job.
type ageStack struct {
	*e2eeStack
	msg   *messaging.Service
	clock *ageClock
}

func newAgeStack(t *testing.T, st store.Store) *ageStack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	clock := &ageClock{}
	ring := franking.NewKeyRing(franking.KeyRingConfig{Now: clock.Now})
	b := bus.NewLocal()
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	_, evKey, _ := ed25519.GenerateKey(rand.Reader)
	vault := evidence.New(items, evKey, clock.Now)
	svc, err := sge2ee.New(sge2ee.Config{Limits: &sge2ee.Limits{}, MaxBlobBytes: 4 << 20},
		sge2ee.Deps{Store: st, Media: md, Evidence: vault, Keys: ring, Notify: web.E2EENotifier(b, nil), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Limits: testLimits, Apps: []string{"chat"}}
	msvc, err := messaging.New(cfg, messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Relay: svc, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { msvc.Close() })
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken}, msvc, b, nil, prometheus.NewRegistry(),
		web.WithE2EE(svc), web.WithClock(clock)).Handler())
	t.Cleanup(func() {
		b.Close()
		srv.Close()
	})
	return &ageStack{
		e2eeStack: &e2eeStack{stack: &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st},
			md: md, vault: vault, items: items, svc: svc, ring: ring, clock: &clock.offsetClock, b: b},
		msg: msvc, clock: clock,
	}
}

// eachAge runs fn as a subtest on every back-end.
func eachAge(t *testing.T, fn func(t *testing.T, s *ageStack)) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			st, _, _ := be.open(t)
			fn(t, newAgeStack(t, st))
		})
	}
}

// turning returns the date of birth of someone who turns years old in days
// days, by the stack's clock.
func (s *ageStack) turning(years, days int) string {
	return s.clock.Now().AddDate(-years, 0, days).Format(time.DateOnly)
}

// ageNotice reads a stream up to the next account.age_changed event and
// checks its notice.
func ageNotice(t *testing.T, events <-chan client.Event, what, code string) client.Event {
	t.Helper()
	evs := eventsUntil(t, events, what, func(ev client.Event) bool { return ev.Type == "account.age_changed" })
	ev := evs[len(evs)-1]
	if ev.Notice == nil || ev.Notice.Code != code || ev.Notice.Text == "" {
		t.Fatalf("%s: notice %+v, want %s", what, ev.Notice, code)
	}
	return ev
}

func contactHandles(t *testing.T, c *client.Client) []string {
	t.Helper()
	cs, err := c.Contacts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range cs.Contacts {
		out = append(out, k.Handle)
	}
	return out
}

func has(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestTeenTurns18: a teen who was the contact and fellow group member of a
// 15-year-old turns 18. The birthday job finds her, once; the contact and
// the group stay (the group rule holds: they are contacts), and she is told
// in words. From that day she counts as an adult: she can no longer ask a
// young person she does not know, and end-to-end encryption waits for an
// age check made as an adult.
func TestTeenTurns18(t *testing.T) {
	eachAge(t, func(t *testing.T, s *ageStack) {
		ctx := t.Context()
		tess := s.register(client.SignUpRequest{Nickname: "tess", Password: pw, BirthDate: s.turning(18, 2)})
		yan := s.user("yan", 15, "")
		s.user("zoe", 14, "")
		vic := s.verified("vic")
		s.connect(tess, s.h("yan"), yan)
		g, err := tess.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("yan")}, Title: "Year 11 maths"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := yan.AcceptInvitation(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		// An operator checked her age while she was 17.
		if _, err := s.admin.AdminAccountChange(ctx, s.h("tess"), "verify", client.OperatorChange{Method: "school ID seen", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		events := stream(t, tess)

		s.clock.Advance(3 * 24 * time.Hour)
		if n, err := s.msg.SettleAges(ctx); err != nil || n != 1 {
			t.Fatalf("the birthday job: %d accounts, %v; want 1", n, err)
		}
		if n, err := s.msg.SettleAges(ctx); err != nil || n != 0 {
			t.Fatalf("the birthday job again: %d accounts, %v; want 0", n, err)
		}
		ageNotice(t, events, "the new adult is told", messaging.NoticeAgeNow18)

		if !has(contactHandles(t, yan), s.h("tess")) {
			t.Error("the 15-year-old lost her contact on the other's 18th birthday")
		}
		gv, err := yan.Conversation(ctx, g.ID)
		if err != nil || memberState(gv, s.h("tess")) != "joined" || memberState(gv, s.h("yan")) != "joined" || gv.Notice.Code != "minor_present" {
			t.Fatalf("the group after the birthday: %+v %v", gv, err)
		}
		if _, err := tess.SendText(ctx, g.ID, "homework is on page 12"); err != nil {
			t.Errorf("the new adult writes to the group of her contact: %v", err)
		}
		if e := apiErr(t, func() error { _, err := tess.RequestContact(ctx, s.h("zoe")); return err }()); e.Code != "account_not_found" {
			t.Errorf("a new adult asks a 14-year-old she does not know: %+v", e)
		}
		d, err := s.admin.AdminAccountDetail(ctx, s.h("tess"))
		if err != nil || d.AgeBand != "adult" || d.AgeAssurance != "self-declared" {
			t.Fatalf("the new adult as the operator sees her: %+v %v", d, err)
		}
		e2ee := client.ConversationRequest{Members: []string{s.h("vic")}, E2EE: true}
		if e := apiErr(t, func() error { _, err := tess.CreateConversation(ctx, e2ee); return err }()); e.Code != "e2ee_requires_verified_adults" {
			t.Errorf("end-to-end encryption before an adult age check: %+v", e)
		}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("tess"), "verify", client.OperatorChange{Method: "passport checked", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		if c, err := tess.CreateConversation(ctx, e2ee); err != nil || !c.E2EE {
			t.Errorf("end-to-end encryption after the check: %+v %v", c, err)
		}
		_ = vic
		audit := auditActions(t, s.stack)
		for _, want := range []string{`age_band.changed birthday {"from":"teen","to":"adult"}`, `"method":"turned 18"`} {
			if !strings.Contains(audit, want) {
				t.Errorf("the audit log lacks %s:\n%s", want, audit)
			}
		}
	})
}

// TestChildTurns13: a child's contact request waits for her guardian; the
// day she turns 13 her next request does not, and the one still waiting
// goes on to the other side. She is told; her guardian keeps the view of her
// contacts the guardian had.
func TestChildTurns13(t *testing.T) {
	eachAge(t, func(t *testing.T, s *ageStack) {
		ctx := t.Context()
		kid := client.New(s.url)
		a, err := kid.SignUp(ctx, client.SignUpRequest{Nickname: "kit", Password: pw, BirthDate: s.turning(13, 2)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kid.Login(ctx, a.Handle, pw); err != nil {
			t.Fatal(err)
		}
		mum := s.verified("kit_mum")
		if _, err := mum.LinkGuardian(ctx, a.GuardianCode); err != nil {
			t.Fatal(err)
		}
		pia := s.user("pia", 14, "")
		s.user("ros", 14, "")
		first, err := kid.RequestContact(ctx, s.h("pia"))
		if err != nil || first.State != "awaiting_guardian" {
			t.Fatalf("a 12-year-old's request: %+v %v", first, err)
		}
		events := stream(t, kid)

		s.clock.Advance(3 * 24 * time.Hour)
		next, err := kid.RequestContact(ctx, s.h("ros"))
		if err != nil || next.State != "pending" {
			t.Fatalf("her next request after her 13th birthday: %+v %v; want pending", next, err)
		}
		ageNotice(t, events, "she is told", messaging.NoticeAgeNow13)
		in, err := pia.Contacts(ctx)
		if err != nil || len(in.Incoming) != 1 || in.Incoming[0].Handle != a.Handle || in.Incoming[0].State != "pending" {
			t.Fatalf("the request that waited reaches the other side: %+v %v", in, err)
		}
		if reqs, err := mum.GuardianRequests(ctx); err != nil || len(reqs) != 0 {
			t.Errorf("requests still wait for the guardian: %+v %v", reqs, err)
		}
		if _, err := pia.AcceptContact(ctx, in.Incoming[0].ID); err != nil {
			t.Fatal(err)
		}
		cs, err := mum.GuardianContacts(ctx)
		if err != nil || len(cs) != 1 || cs[0].Handle != s.h("pia") {
			t.Errorf("the guardian's view of her contacts: %+v %v", cs, err)
		}
		if n, err := s.msg.SettleAges(ctx); err != nil || n != 0 {
			t.Errorf("the job after her own request applied the change: %d, %v", n, err)
		}
		if audit := auditActions(t, s.stack); !strings.Contains(audit, `age_band.changed birthday {"from":"child","to":"teen"}`) {
			t.Errorf("the audit log lacks the change:\n%s", audit)
		}
	})
}

// TestAdultCorrectedTo15: an operator corrects an adult's date of birth to
// a 15-year-old's. Her end-to-end encrypted chat with two adults refuses
// the next envelope, every member is told, and the contact an adult asked
// her for ends while the one she asked for stays; audited, operator only.
func TestAdultCorrectedTo15(t *testing.T) {
	eachAge(t, func(t *testing.T, s *ageStack) {
		ctx := t.Context()
		amy, bo, cy := s.adult("amy", 1), s.adult("bob", 1), s.adult("cyd", 1)
		s.connect(bo.api, amy.handle, amy.api) // bo asked amy
		s.connect(amy.api, cy.handle, cy.api)  // amy asked cy
		s.connect(bo.api, cy.handle, cy.api)
		g := s.group(bo, "Book club", amy, cy)
		if _, err := bo.devs[0].Send(ctx, g.ID, "chapter three tonight"); err != nil {
			t.Fatal(err)
		}
		streams := map[string]<-chan client.Event{}
		for _, p := range []*person{amy, bo, cy} {
			streams[p.handle] = stream(t, p.api)
		}

		if e := apiErr(t, func() error {
			_, err := amy.api.CorrectBirthDate(ctx, amy.handle, client.OperatorChange{BirthDate: born(15), Method: "x", Reason: "x", By: "amy"})
			return err
		}()); e.Status != http.StatusUnauthorized && e.Status != http.StatusForbidden {
			t.Errorf("an account corrects its own date of birth: %+v", e)
		}
		for _, c := range []struct {
			change client.OperatorChange
			code   string
		}{
			{client.OperatorChange{BirthDate: born(15), Reason: "TEST", By: "amir"}, "missing_method"},
			{client.OperatorChange{BirthDate: born(15), Method: "passport checked", By: "amir"}, "missing_reason"},
			{client.OperatorChange{BirthDate: born(15), Method: "passport checked", Reason: "TEST"}, "missing_by"},
			{client.OperatorChange{BirthDate: "2099-01-01", Method: "passport checked", Reason: "TEST", By: "amir"}, "invalid_birth_date"},
		} {
			if e := apiErr(t, func() error { _, err := s.admin.CorrectBirthDate(ctx, amy.handle, c.change); return err }()); e.Code != c.code {
				t.Errorf("%+v: %+v, want %s", c.change, e, c.code)
			}
		}
		fix := client.OperatorChange{BirthDate: born(15), Method: "passport checked", Reason: "TEST parent wrote in with her passport", By: "amir"}
		a, err := s.admin.CorrectBirthDate(ctx, amy.handle, fix)
		if err != nil || a.AgeBand != "teen" {
			t.Fatalf("the correction: %+v %v", a, err)
		}
		if d, err := s.admin.AdminAccountDetail(ctx, amy.handle); err != nil || d.BirthDate != born(15) || d.BirthDateCorrected == nil ||
			d.BirthDateCorrected.To != born(15) || d.BirthDateCorrected.Method != fix.Method || d.BirthDateCorrected.By != "amir" ||
			d.BirthDateCorrected.Reason != fix.Reason || d.BirthDateCorrected.At.IsZero() {
			t.Errorf("the operator's view after the correction: %+v %v", d, err)
		}
		if e := apiErr(t, func() error { _, err := s.admin.CorrectBirthDate(ctx, amy.handle, fix); return err }()); e.Code != "birth_date_unchanged" {
			t.Errorf("the same correction twice: %+v", e)
		}

		_, err = bo.devs[0].Send(ctx, g.ID, "and chapter four")
		if e := apiErr(t, err); e.Status != http.StatusConflict || e.Code != "e2ee_ended" {
			t.Errorf("the next envelope: %+v", e)
		}
		toldAge := false
		for _, p := range []*person{amy, bo, cy} {
			evs := eventsUntil(t, streams[p.handle], p.handle+" is told", func(ev client.Event) bool { return ev.Type == "conversation.e2ee_ended" })
			for _, ev := range evs {
				if p == amy && ev.Type == "account.age_changed" {
					toldAge = ev.Notice != nil && ev.Notice.Code == messaging.NoticeAgeCorrectedMinor
				}
			}
			ev := evs[len(evs)-1]
			if ev.Notice == nil || ev.Notice.Code != "e2ee_ended" || ev.Conversation == nil || ev.Conversation.ID != g.ID ||
				!strings.Contains(ev.Notice.Text, "can no longer be end-to-end encrypted") {
				t.Errorf("%s: %+v", p.handle, ev)
			}
			if c, err := p.api.Conversation(ctx, g.ID); err != nil || c.Notice.Code != "e2ee_ended" {
				t.Errorf("%s sees the chat: %+v %v", p.handle, c, err)
			}
		}
		if !toldAge {
			ageNotice(t, streams[amy.handle], "she is told", messaging.NoticeAgeCorrectedMinor)
		}

		if got := contactHandles(t, amy.api); len(got) != 1 || got[0] != cy.handle {
			t.Errorf("her contacts after the correction: %v; want only the adult she asked", got)
		}
		if e := apiErr(t, func() error { _, err := bo.api.Lookup(ctx, amy.handle); return err }()); e.Code != "account_not_found" {
			t.Errorf("the adult whose request ended looks her up: %+v", e)
		}
		if code, _ := s.stack.raw(http.MethodPost, "/api/v1/me/birth-date", amy.api.Token, "application/json",
			strings.NewReader(`{"birth_date":"1990-01-01"}`)); code != http.StatusNotFound {
			t.Errorf("a self-service change of the date of birth: %d", code)
		}
		audit := auditActions(t, s.stack)
		for _, want := range []string{`birth_date.corrected operator`, `"method":"passport checked"`, `"reason":"TEST parent wrote in with her passport"`,
			`"by":"amir"`, `age_band.changed correction {"from":"adult","to":"teen"}`, "contact.ended age_corrected", "conversation.e2ee_ended age_corrected"} {
			if !strings.Contains(audit, want) {
				t.Errorf("the audit log lacks %s:\n%s", want, audit)
			}
		}
	})
}

// TestTeenCorrectedToAdult: a 15-year-old is found to be an adult. Every
// contact with a young person ends, and he is removed from the group he
// shared with one; the young person is told, without a name or blame.
func TestTeenCorrectedToAdult(t *testing.T) {
	eachAge(t, func(t *testing.T, s *ageStack) {
		ctx := t.Context()
		max := s.user("max", 15, "")
		ivy := s.user("ivy", 14, "")
		s.connect(ivy, s.h("max"), max)
		g, err := max.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ivy")}, Title: "Chess club"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ivy.AcceptInvitation(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		ivyEvents, maxEvents := stream(t, ivy), stream(t, max)
		if _, err := s.admin.CorrectBirthDate(ctx, s.h("max"), client.OperatorChange{BirthDate: born(30), Method: "driving licence seen",
			Reason: "TEST report from a parent", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		ev := ageNotice(t, ivyEvents, "the young person is told", messaging.NoticeContactEndedForAge)
		if ev.Account != nil {
			t.Errorf("the notice names the other side: %+v", ev.Account)
		}
		ageNotice(t, maxEvents, "he is told", messaging.NoticeAgeCorrectedAdult)
		if got := contactHandles(t, ivy); has(got, s.h("max")) {
			t.Errorf("the contact stays: %v", got)
		}
		gv, err := ivy.Conversation(ctx, g.ID)
		if err != nil || memberState(gv, s.h("max")) != "removed" || memberState(gv, s.h("ivy")) != "joined" {
			t.Fatalf("the group: %+v %v", gv, err)
		}
		if audit := auditActions(t, s.stack); !strings.Contains(audit, "conversation.member_removed age_changed") {
			t.Errorf("the audit log lacks the removal:\n%s", audit)
		}
	})
}

// TestChildCorrectedToTeen: an operator corrects a 12-year-old's date of
// birth to a 14-year-old's. She is told that she is 13 or older here now
// (not that she is under 18 now: she already was), and her guardian is told
// that a date of birth was corrected.
func TestChildCorrectedToTeen(t *testing.T) {
	eachAge(t, func(t *testing.T, s *ageStack) {
		ctx := t.Context()
		kid := client.New(s.url)
		a, err := kid.SignUp(ctx, client.SignUpRequest{Nickname: "tam", Password: pw, BirthDate: s.turning(13, 200)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kid.Login(ctx, a.Handle, pw); err != nil {
			t.Fatal(err)
		}
		dad := s.verified("tam_dad")
		if _, err := dad.LinkGuardian(ctx, a.GuardianCode); err != nil {
			t.Fatal(err)
		}
		kidEvents, dadEvents := stream(t, kid), stream(t, dad)
		acc, err := s.admin.CorrectBirthDate(ctx, a.Handle, client.OperatorChange{BirthDate: s.turning(14, -10), Method: "birth certificate seen",
			Reason: "TEST typed wrong at sign-up", By: "amir"})
		if err != nil || acc.AgeBand != "teen" {
			t.Fatalf("the correction: %+v %v", acc, err)
		}
		ev := ageNotice(t, kidEvents, "she is told", messaging.NoticeAgeCorrectedTeen)
		if strings.Contains(ev.Notice.Text, "under 18") || !strings.Contains(ev.Notice.Text, "13 or older") {
			t.Errorf("her notice: %q", ev.Notice.Text)
		}
		if ev := ageNotice(t, dadEvents, "her guardian is told", messaging.NoticeGuardianAgeCorrect); ev.Account != nil {
			t.Errorf("the guardian's event carries an account: %+v", ev.Account)
		}
		acc, err = s.admin.CorrectBirthDate(ctx, a.Handle, client.OperatorChange{BirthDate: s.turning(13, 100), Method: "birth certificate seen",
			Reason: "TEST the first correction was wrong", By: "amir"})
		if err != nil || acc.AgeBand != "child" {
			t.Fatalf("the correction back: %+v %v", acc, err)
		}
		ageNotice(t, kidEvents, "she is told again", messaging.NoticeAgeCorrectedChild)
		ageNotice(t, dadEvents, "her guardian is told again", messaging.NoticeGuardianAgeCorrect)
	})
}

// TestAdultCorrectedToMinorLeavesPlainChat: an adult corrected to a minor
// leaves each plain 1:1 chat with an adult whose contact ended, as any
// contact who goes: the adult sees a membership change, never a notice that
// a young person is there, in the chat, the list and the export.
func TestAdultCorrectedToMinorLeavesPlainChat(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		x, y := s.user("lpc_x", 30, ""), s.user("lpc_y", 30, "")
		s.connect(x, s.h("lpc_y"), y) // x asked y: ends when y is a minor
		c, err := x.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("lpc_y")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.admin.CorrectBirthDate(ctx, s.h("lpc_y"), client.OperatorChange{BirthDate: born(15), Method: "passport checked",
			Reason: "TEST", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		check := func(where string, cv client.Conversation) {
			if cv.Notice.Code == "minor_present" {
				t.Errorf("%s: the adult is told a young person is there: %+v", where, cv.Notice)
			}
			for _, m := range cv.Members {
				if m.Handle == s.h("lpc_y") && m.State == "joined" {
					t.Errorf("%s: the corrected minor is still listed as joined: %+v", where, cv.Members)
				}
			}
		}
		got, err := x.Conversation(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		check("GET /conversations/{id}", *got)
		list, err := x.Conversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range list {
			if cv.ID == c.ID {
				check("GET /conversations", cv)
			}
		}
		var buf strings.Builder
		if err := x.ExportTo(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "minor_present") {
			t.Error("the export tells the adult a young person is there")
		}
	})
}

// TestEndedE2EEChatMakesWayForPlain: once an end-to-end encrypted 1:1 chat
// takes no more messages ("You can start a new chat."), a new plain 1:1
// chat of the same two can be started; the ended one stays as it was.
func TestEndedE2EEChatMakesWayForPlain(t *testing.T) {
	eachAge(t, func(t *testing.T, s *ageStack) {
		ctx := t.Context()
		amy, bo := s.adult("eca", 1), s.adult("ecb", 1)
		s.connect(amy.api, bo.handle, bo.api) // amy asked bo: stays when she is a minor
		enc, err := amy.api.CreateConversation(ctx, client.ConversationRequest{Members: []string{bo.handle}, E2EE: true})
		if err != nil || !enc.E2EE {
			t.Fatalf("the encrypted chat: %+v %v", enc, err)
		}
		if _, err := amy.api.CreateConversation(ctx, client.ConversationRequest{Members: []string{bo.handle}}); apiErr(t, err).Status != http.StatusConflict {
			t.Errorf("a plain chat beside a working encrypted one: %v", err)
		}
		if _, err := s.admin.CorrectBirthDate(ctx, amy.handle, client.OperatorChange{BirthDate: born(15), Method: "passport checked",
			Reason: "TEST", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		plain, err := amy.api.CreateConversation(ctx, client.ConversationRequest{Members: []string{bo.handle}})
		if err != nil || plain.E2EE || plain.ID == enc.ID {
			t.Fatalf("a new plain chat after the encrypted one ended: %+v %v", plain, err)
		}
		if again, err := amy.api.CreateConversation(ctx, client.ConversationRequest{Members: []string{bo.handle}}); err != nil || again.ID != plain.ID {
			t.Errorf("asked again, the plain chat: %+v %v", again, err)
		}
		if c, err := bo.api.Conversation(ctx, enc.ID); err != nil || c.Notice.Code != "e2ee_ended" {
			t.Errorf("the ended chat: %+v %v", c, err)
		}
	})
}
