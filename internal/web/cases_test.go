package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// bankScanner stands in for the image scanner: an image whose SHA-256 is in
// its test bank is held, and the detection and its outbox event are written
// in the message's transaction. Swap it for the real scanner by building
// the stack with that scanner instead.
type bankScanner struct{ bank map[[32]byte]string }

func (b bankScanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
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
			Severity: "critical", Category: "csam_known", Summary: "test bank match",
			Detail: []byte(`{"bank":"test-bank","entry":"` + entry + `","distance":0}`)}
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

// caseStack is a running server with the cases service.
type caseStack struct {
	*stack
	cs        *cases.Service
	items     media.Store
	pub       ed25519.PublicKey
	reportDir string
	alerts    *alerts
}

type alerts struct {
	mu   sync.Mutex
	got  []cases.Alert
	fail int // fail this many requests first
}

func newCaseStack(t *testing.T, st store.Store, scanner messaging.Scanner) *caseStack {
	t.Helper()
	return newCaseStackWith(t, st, scanner, nil)
}

// newCaseStackWith is newCaseStack with the cases service's configuration
// and dependencies changed by tweak first (nil: as they are).
func newCaseStackWith(t *testing.T, st store.Store, scanner messaging.Scanner, tweak func(*cases.Config, *cases.Deps)) *caseStack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	items, _ := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	al := &alerts{fail: 1}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		al.mu.Lock()
		defer al.mu.Unlock()
		if al.fail > 0 {
			al.fail--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var a cases.Alert
		json.NewDecoder(r.Body).Decode(&a)
		al.got = append(al.got, a)
	}))
	t.Cleanup(hook.Close)
	b := bus.NewLocal()
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Apps: []string{"chat"}},
		messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Scanner: scanner})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() }) // the queued refusals, before the store closes
	reportDir := filepath.Join(t.TempDir(), "reports")
	cfg := cases.Config{TestReports: true, HoldOnMatch: true, PrepareDir: reportDir}
	deps := cases.Deps{Store: st, Media: md, Vault: evidence.New(items, priv, nil), Builder: lawreporttest.Builder(),
		Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: web.Notifier(b, nil), Lookup: svc,
		Alerter: &cases.Webhook{URL: hook.URL, Wait: func(context.Context, int64Duration) error { return nil }}}
	if tweak != nil {
		tweak(&cfg, &deps)
	}
	cs, err := cases.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken, SupportContact: testSupportContact}, svc, b, nil, prometheus.NewRegistry(), web.WithCases(cs)).Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	s := &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st}
	return &caseStack{stack: s, cs: cs, items: items, pub: pub, reportDir: reportDir, alerts: al}
}

func (s *caseStack) process(t *testing.T) int {
	t.Helper()
	n, err := s.cs.Process(t.Context())
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return n
}

func (s *caseStack) cases(t *testing.T) []client.Case {
	t.Helper()
	cs, err := s.admin.AdminCases(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func eachCase(t *testing.T, fn func(t *testing.T, s *caseStack)) {
	img := lawreporttest.Image(7)
	scanner := bankScanner{bank: map[[32]byte]string{sha256.Sum256(img): "test-entry-0001"}}
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newCaseStack(t, open(t), scanner))
		})
	}
}

func TestKnownImageToTeenIsReported(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		teen := s.user("teen_ana", 15, "Bedford")
		adult := s.user("adult_bo", 35, "Cambridge")
		s.connect(teen, s.h("adult_bo"), adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_ana")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adult.SendText(ctx, conv.ID, "hello (synthetic)"); err != nil {
			t.Fatal(err)
		}
		m, err := adult.SendImage(ctx, conv.ID, "beach.png", "image/png", lawreporttest.Image(7), "")
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != "sent" {
			t.Errorf("the sender sees %q, want an ordinary send", m.Status)
		}
		page, err := teen.History(ctx, conv.ID, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, pm := range page.Messages {
			if pm.Kind == "image" {
				t.Fatal("the teen received the held image")
			}
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		cs := s.cases(t)
		if len(cs) != 1 || cs[0].Priority != 1 || cs[0].Category != "csam_known" {
			t.Fatalf("queue = %+v", cs)
		}
		id := cs[0].ID
		// The queue searched by the young person's handle, the case and the
		// category; a search that names nothing lists nothing.
		for q, want := range map[string]int{"@" + s.h("teen_ana"): 1, fmt.Sprintf("#%d", id): 1, "csam known": 1, "grooming": 0} {
			if found, err := s.admin.AdminSearchCases(ctx, q); err != nil || len(found) != want {
				t.Errorf("search %q: %d cases, %v; want %d", q, len(found), err, want)
			}
		}
		var apiErr *client.APIError
		if _, err := s.admin.AdminSearchCases(ctx, "a\x01"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.Code != "invalid_text" {
			t.Errorf("a search with a control character: %v", err)
		}
		if len(s.alerts.got) != 1 || s.alerts.got[0].CaseID != id || s.alerts.got[0].Priority != 1 {
			t.Errorf("on-call alerts (after one failed attempt) = %+v", s.alerts.got)
		}
		if b, _ := json.Marshal(s.alerts.got); bytes.Contains(b, []byte(s.h("teen_ana"))) || bytes.Contains(b, []byte(s.h("adult_bo"))) {
			t.Errorf("an alert names people: %s", b)
		}
		// The adult sender is held silently by policy: their own view of
		// their account is unchanged, and what they send next is held.
		if me, err := adult.Me(ctx); err != nil || me.Status != "active" {
			t.Errorf("the sender's own view after a match: %+v %v", me, err)
		}
		if m, err := adult.SendText(ctx, conv.ID, "are you there? (synthetic)"); err != nil || m.Status != "sent" {
			t.Fatalf("a held sender's next message: %+v %v", m, err)
		}
		if page, err := teen.History(ctx, conv.ID, client.HistoryQuery{}); err != nil {
			t.Fatal(err)
		} else if len(page.Messages) != 1 {
			t.Fatalf("the teen sees %d messages, want only the one before the match", len(page.Messages))
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections after the held message, want 1", n)
		}
		if cs := s.cases(t); len(cs) != 1 {
			t.Fatalf("the held message opened a case of its own: %v", cs)
		}

		// A moderator decides to report.
		if _, err := s.admin.AdminCaseAction(ctx, id, "claim", client.CaseAction{Moderator: "mod_a"}); err != nil {
			t.Fatal(err)
		}
		view, err := s.admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod_a", Decision: "report", Reason: "known image to a child"})
		if err != nil {
			t.Fatal(err)
		}
		if view.Case.Status != "reported" || len(view.Reports) != 1 {
			t.Fatalf("after deciding: %+v", view)
		}
		var actions []string
		for _, e := range view.Timeline {
			actions = append(actions, e.Action)
		}
		for _, want := range []string{"opened", "assessed", "sender_held", "oncall_alerted", "package_prepared", "claimed", "decided", "reported"} {
			if !strings.Contains(strings.Join(actions, ","), want) {
				t.Errorf("timeline %v lacks %q", actions, want)
			}
		}

		// Export the package and check it.
		out := filepath.Join(t.TempDir(), "export")
		pkg, rec, err := s.cs.Export(ctx, id, out, "mod_a", false)
		if err != nil {
			t.Fatal(err)
		}
		nca, err := os.ReadFile(filepath.Join(rec.ID, lawreport.ExportNCA))
		if err != nil {
			t.Fatal(err)
		}
		if err := lawreport.ValidateNCA(nca); err != nil {
			t.Fatalf("NCA report invalid: %v", err)
		}
		for _, want := range []string{`"test": true`, "E23000026", "E23000023", "Bedfordshire", "Cambridgeshire"} {
			if !bytes.Contains(nca, []byte(want)) {
				t.Errorf("NCA report lacks %s", want)
			}
		}
		if !pkg.Test || pkg.Priority.Level != 1 {
			t.Errorf("package test=%v priority=%d", pkg.Test, pkg.Priority.Level)
		}
		if f, ok := pkg.PrimaryForce(); !ok || f.Code != "E23000026" {
			t.Errorf("primary force %v", f)
		}
		if _, err := exec.LookPath("xmllint"); err == nil {
			cmd := exec.Command("xmllint", "--noout", "--schema", "../lawreport/schema/cyber_tipline.xsd", filepath.Join(rec.ID, lawreport.ExportNCMEC))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("xmllint: %v\n%s", err, b)
			}
		} else if os.Getenv("CI") != "" {
			t.Error("xmllint is not installed")
		}

		// The vault verifies; after retention a year on, it still does.
		r, err := evidence.Verify(ctx, s.st, s.pub, s.items)
		if err != nil || !r.OK() || r.Items == 0 {
			t.Fatalf("verify: %+v, %v", r, err)
		}
		var c *safeguard.Case
		s.st.View(ctx, func(tx store.Tx) (err error) { c, err = tx.Case(ctx, id); return })
		res, err := s.cs.Vault.Retain(ctx, s.st, evidence.Retention{}, c.ReportedAt.Add(evidence.ContentPeriod))
		if err != nil || res.Deleted == 0 {
			t.Fatalf("retention: %+v, %v", res, err)
		}
		if r, err := evidence.Verify(ctx, s.st, s.pub, s.items); err != nil || !r.OK() || r.Tombstones != int64(res.Deleted) {
			t.Fatalf("verify after retention: %+v, %v", r, err)
		}

		// No tipping off: the suspect's appeal is answered as if there were
		// nothing to appeal.
		status, body := s.raw("POST", "/api/v1/appeals", loginToken(t, s.stack, s.h("teen_ana")), "application/json",
			strings.NewReader(fmt.Sprintf(`{"case_id":%d,"text":"not mine"}`, id)))
		if status != http.StatusNotFound || body.Error.Code != "nothing_to_appeal" {
			t.Errorf("appeal by someone else: %d %+v", status, body)
		}
	})
}

// loginToken logs handle in again and returns its token.
func loginToken(t *testing.T, s *stack, handle string) string {
	t.Helper()
	c := client.New(s.url)
	if _, err := c.Login(t.Context(), handle, pw); err != nil {
		t.Fatal(err)
	}
	return c.Token
}

func TestUserReports(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		teen := s.user("teen_cy", 14, "Bedford")
		adult := s.user("adult_di", 40, "Cambridge")
		other := s.user("adult_ed", 41, "Cambridge")
		s.connect(teen, s.h("adult_di"), adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_cy")}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := adult.SendText(ctx, conv.ID, "(synthetic) send me a photo")
		if err != nil {
			t.Fatal(err)
		}
		reasons, err := teen.ReportReasons(ctx)
		if err != nil || len(reasons) < 5 {
			t.Fatalf("reasons: %v %v", reasons, err)
		}
		rec, err := teen.Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "asked_for_photos", Note: "scared"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Notices) != 1 || rec.Notices[0].Code != "support_reported" || rec.BlockHandle != s.h("adult_di") {
			t.Errorf("a minor's receipt: %+v", rec)
		}
		again, err := teen.Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "asked_for_photos"})
		if err != nil || again.ID != rec.ID {
			t.Errorf("double submission: %+v, %v", again, err)
		}
		// Someone who cannot see the message gets exactly not found.
		_, errHidden := other.Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "something_else"})
		_, errNone := other.Report(ctx, client.ReportRequest{MessageID: m.ID + 1000, Reason: "something_else"})
		if a, b := apiErr(t, errHidden), apiErr(t, errNone); a != b || a.Status != http.StatusNotFound {
			t.Errorf("hidden %+v, missing %+v", a, b)
		}
		// An adult worried about a child sees the NSPCC helpline.
		adultRec, err := other.Report(ctx, client.ReportRequest{Account: s.h("adult_di"), Reason: "something_else"})
		if err != nil {
			t.Fatal(err)
		}
		_ = adultRec
		if _, err := other.Report(ctx, client.ReportRequest{Account: s.h("teen_cy"), Reason: "something_else"}); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("report of a minor a stranger cannot see: %v", err)
		}
		if n := s.process(t); n != 2 {
			t.Fatalf("processed %d, want 2 (the double submission is one)", n)
		}
		cs := s.cases(t)
		if len(cs) != 2 {
			t.Fatalf("cases: %v", cs)
		}
		var grooming client.Case
		for _, c := range cs {
			if c.Category == "grooming" {
				grooming = c
			}
		}
		if grooming.ID == 0 || grooming.Priority != 2 || grooming.Occurrences != 1 {
			t.Fatalf("the teen's report: %+v", grooming)
		}
		// A decision the sender can appeal, decided by another moderator.
		id := grooming.ID
		if _, err := s.admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod_a", Decision: "suspend", Reason: "asked a child for photos"}); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Appeal(ctx, client.AppealRequest{CaseID: id, Text: "x"}); apiErr(t, err).Code != "nothing_to_appeal" {
			t.Errorf("appeal by someone else: %v", err)
		}
		// Suspended, the adult can still log in, see why, and appeal —
		// and do nothing else.
		if _, err := adult.Login(ctx, s.h("adult_di"), pw); err != nil {
			t.Fatalf("a suspended account cannot log in to appeal: %v", err)
		}
		if me, err := adult.Me(ctx); err != nil || me.Status != "suspended" {
			t.Errorf("suspended account's own view: %+v %v", me, err)
		}
		if ds, err := adult.Appealable(ctx); err != nil || len(ds) != 1 || ds[0].CaseID != id || ds[0].Decision != "suspend" {
			t.Errorf("appealable decisions: %+v %v", ds, err)
		}
		// The appeals page says why, and that this decision is the one to
		// appeal; the moderator's own note stays theirs.
		if ap, err := adult.Appeals(ctx); err != nil || ap.Suspension == nil || !ap.Suspension.Appealable || ap.Suspension.CaseID != id ||
			ap.Suspension.By != "moderator" || strings.Contains(ap.Suspension.Reason, "photos") || ap.Suspension.HowToContest == "" {
			t.Errorf("the suspension as its account sees it: %+v %v", ap.Suspension, err)
		}
		if _, err := adult.Contacts(ctx); apiErr(t, err).Code != "account_suspended" {
			t.Errorf("a suspended account reaches the rest of the API: %v", err)
		}
		ap, err := adult.Appeal(ctx, client.AppealRequest{CaseID: id, Text: "it was a joke"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.admin.AdminDecideAppeal(ctx, ap.ID, client.CaseAction{Moderator: "mod_a", Reason: "stands"}); apiErr(t, err).Code != "same_moderator" {
			t.Errorf("appeal decided by the same moderator: %v", err)
		}
		if _, err := s.admin.AdminDecideAppeal(ctx, ap.ID, client.CaseAction{Moderator: "mod_b", Reason: "stands"}); err != nil {
			t.Errorf("appeal decided by another moderator: %v", err)
		}
	})
}

type int64Duration = time.Duration

// TestMinorSenderIsSafeguarded: a young person who shares a known image is a
// child to safeguard first — support, no suspension, a senior review — and
// the NCMEC report carries the minor-to-minor annotation.
func TestMinorSenderIsSafeguarded(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		sender := s.user("teen_sender", 15, "Bedford")
		friend := s.user("teen_friend", 14, "Cambridge")
		s.connect(sender, s.h("teen_friend"), friend)
		conv, err := sender.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_friend")}})
		if err != nil {
			t.Fatal(err)
		}
		evctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, err := sender.Events(evctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := sender.SendImage(ctx, conv.ID, "me.png", "image/png", lawreporttest.Image(7), "")
		if err != nil || m.Status != "sent" {
			t.Fatalf("send: %+v %v", m, err)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d, want 1", n)
		}
		cs := s.cases(t)
		if len(cs) != 1 || !cs[0].MinorSender || !cs[0].SeniorReview {
			t.Fatalf("the case does not follow the minor-as-sender path: %+v", cs)
		}
		id := cs[0].ID
		if me, err := sender.Me(ctx); err != nil || me.Status != "active" {
			t.Errorf("a young sender was suspended as a suspect: %+v %v", me, err)
		}
		deadline := time.After(5 * time.Second)
	wait:
		for {
			select {
			case ev := <-events:
				if ev.Notice != nil && ev.Notice.Code == "support_minor_sender" {
					break wait
				}
			case <-deadline:
				t.Error("the young sender was shown no support")
				break wait
			}
		}
		if _, err := s.admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod_a", Decision: "report", Reason: "r"}); apiErr(t, err).Code != "senior_review_required" {
			t.Errorf("a moderator who is not senior decided a minor sender's case: %v", err)
		}
		if _, err := s.admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "senior_b", Senior: true, Decision: "report", Reason: "shared among teens; safeguard both"}); err != nil {
			t.Fatal(err)
		}
		_, rec, err := s.cs.Export(ctx, id, filepath.Join(t.TempDir(), "export"), "senior_b", false)
		if err != nil {
			t.Fatal(err)
		}
		x, err := os.ReadFile(filepath.Join(rec.ID, lawreport.ExportNCMEC))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(x, []byte("<minorToMinorInteraction>true</minorToMinorInteraction>")) {
			t.Errorf("the NCMEC report lacks the minor-to-minor annotation:\n%s", x)
		}
	})
}

// TestReportedTeenNotToldOfAPhoto: a young person whose text someone
// reported gets a case as a minor sender, and no notice: there is no photo
// that was stopped, and they are not told they were reported.
func TestReportedTeenNotToldOfAPhoto(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		teen := s.user("rt_teen", 15, "Bedford")
		adult := s.user("rt_adult", 40, "Bedford")
		s.connect(teen, s.h("rt_adult"), adult)
		conv, err := teen.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("rt_adult")}})
		if err != nil {
			t.Fatal(err)
		}
		evctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, err := teen.Events(evctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := teen.SendText(ctx, conv.ID, "see you at practice")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adult.Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "something_else"}); err != nil {
			t.Fatal(err)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d, want 1", n)
		}
		if cs := s.cases(t); len(cs) != 1 || !cs[0].MinorSender {
			t.Fatalf("the cases: %+v", cs)
		}
		if _, err := adult.SendText(ctx, conv.ID, "ok see you there"); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-events:
				if ev.Notice != nil {
					t.Fatalf("the reported teen was shown %q", ev.Notice.Code)
				}
				if ev.Type == "message.created" && ev.Message != nil && ev.Message.Text == "ok see you there" {
					return
				}
			case <-deadline:
				t.Fatal("the next message never reached the teen's stream")
			}
		}
	})
}
