package web_test

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec/ncmectest"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// flakyNCMEC is NCMEC's API (the local fake) behind a switch: while down,
// every call is answered 500.
type flakyNCMEC struct {
	*httptest.Server
	fake *ncmectest.Server
	down atomic.Bool
}

func newFlakyNCMEC(t *testing.T) *flakyNCMEC {
	f := &flakyNCMEC{fake: ncmectest.NewServer("safeguard-test", "synthetic-password")}
	t.Cleanup(f.fake.Close)
	target, _ := url.Parse(f.fake.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			http.Error(w, "internal server error", http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Server.Close)
	return f
}

// knownImageCase makes a priority 1 case: a known image sent by an adult
// to a 15-year-old contact. It returns the case's id.
func knownImageCase(t *testing.T, s *caseStack) int64 {
	t.Helper()
	ctx := t.Context()
	teen := s.user("teen_ana", 15, "Bedford")
	adult := s.user("adult_bo", 35, "Cambridge")
	s.connect(teen, s.h("adult_bo"), adult)
	conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_ana")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adult.SendImage(ctx, conv.ID, "beach.png", "image/png", lawreporttest.Image(7), ""); err != nil {
		t.Fatal(err)
	}
	s.process(t)
	cs := s.cases(t)
	if len(cs) != 1 || cs[0].Priority != 1 {
		t.Fatalf("queue = %+v, want one priority 1 case", cs)
	}
	return cs[0].ID
}

func timeline(v *client.CaseView) string {
	var actions []string
	for _, e := range v.Timeline {
		actions = append(actions, e.Action)
	}
	return strings.Join(actions, ",")
}

// failureAlerts counts the on-call alerts of a failed report for case id.
func (s *caseStack) failureAlerts(id int64) []cases.Alert {
	s.alerts.mu.Lock()
	defer s.alerts.mu.Unlock()
	var out []cases.Alert
	for _, a := range s.alerts.got {
		if a.Kind == cases.AlertReportFailed && a.CaseID == id {
			out = append(out, a)
		}
	}
	return out
}

// A report that cannot be filed — no reporting person's address configured,
// or NCMEC answering 500 — leaves the case "report failed" with the reason,
// tells on-call (priority 1), and the retry through the operator API, once
// fixed, files it; the timeline shows both. On every store.
func TestReportFailsThenRetries(t *testing.T) {
	img := lawreporttest.Image(7)
	scanner := bankScanner{bank: map[[32]byte]string{sha256.Sum256(img): "test-entry-0001"}}
	for name, open := range stores(t) {
		t.Run(name+"/no-email", func(t *testing.T) {
			t.Parallel()
			var builder *lawreport.Builder
			s := newCaseStackWith(t, open(t), scanner, func(_ *cases.Config, d *cases.Deps) {
				builder = d.Builder
				builder.Reporter.Email = ""
			})
			s.alerts.mu.Lock()
			s.alerts.fail = 0
			s.alerts.mu.Unlock()
			id := knownImageCase(t, s)
			checkFailThenRetry(t, s, id, "The reporting person's email address is not configured.", func() {
				builder.Reporter.Email = "reports@safeguard.invalid"
			}, "file-export")
		})
		t.Run(name+"/ncmec-500", func(t *testing.T) {
			t.Parallel()
			api := newFlakyNCMEC(t)
			api.down.Store(true)
			s := newCaseStackWith(t, open(t), scanner, func(_ *cases.Config, d *cases.Deps) {
				d.Submitter = &ncmec.Submitter{Client: &ncmec.Client{BaseURL: api.URL, Username: "safeguard-test", Password: "synthetic-password"},
					Store: &ncmec.MemoryStore{}}
			})
			s.alerts.mu.Lock()
			s.alerts.fail = 0
			s.alerts.mu.Unlock()
			id := knownImageCase(t, s)
			checkFailThenRetry(t, s, id, "HTTP 500", func() { api.down.Store(false) }, "ncmec")
			if got := len(api.fake.Finished()); got != 1 {
				t.Errorf("NCMEC holds %d finished reports, want 1", got)
			} else if !strings.Contains(string(api.fake.Finished()[0].XML), lawreport.TestMarker) {
				t.Error("the report NCMEC received is not marked TEST")
			}
		})
	}
}

// checkFailThenRetry decides case id for a report, which fails with a
// reason containing why; then fix, a retry, and a report filed to
// destination.
func checkFailThenRetry(t *testing.T, s *caseStack, id int64, why string, fix func(), destination string) {
	t.Helper()
	ctx := t.Context()
	v, err := s.admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod_a", Decision: "report", Reason: "known image to a child"})
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	if v.Case.Status != "report_failed" || !strings.Contains(v.ReportFailure, why) {
		t.Fatalf("after deciding: status %q, failure %q; want report_failed, %q", v.Case.Status, v.ReportFailure, why)
	}
	if len(v.Reports) != 0 {
		t.Errorf("a failed filing recorded reports: %+v", v.Reports)
	}
	if a := s.failureAlerts(id); len(a) != 1 || a[0].Priority != 1 || !a[0].Test || !strings.Contains(a[0].Failure, why) {
		t.Errorf("on-call alerts of the failure = %+v, want one", a)
	}
	// Deciding again is refused; closing is refused until it is filed.
	if _, err := s.admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod_a", Decision: "report", Reason: "again"}); apiErr(t, err).Code != "already_decided" {
		t.Errorf("a second decision: %v", err)
	}
	if _, err := s.admin.AdminCaseAction(ctx, id, "close", client.CaseAction{Moderator: "mod_a", Reason: "done"}); apiErr(t, err).Code != "report_not_filed" {
		t.Errorf("closing with the report not filed: %v", err)
	}
	// Retrying before the fix fails again, with the same reason.
	if v, err = s.admin.AdminCaseAction(ctx, id, "report-retry", client.CaseAction{Moderator: "mod_a"}); err != nil || v.Case.Status != "report_failed" {
		t.Fatalf("retry before the fix: %v, status %q", err, v.Case.Status)
	}
	fix()
	if v, err = s.admin.AdminCaseAction(ctx, id, "report-retry", client.CaseAction{Moderator: "mod_b"}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if v.Case.Status != "reported" || v.ReportFailure != "" || len(v.Reports) != 1 || v.Reports[0].Destination != destination || !v.Reports[0].Test {
		t.Fatalf("after the retry: status %q, failure %q, reports %+v", v.Case.Status, v.ReportFailure, v.Reports)
	}
	got := timeline(v)
	for _, want := range []string{"decided,report_failed,oncall_alerted", "report_retried,report_failed", "report_retried,reported"} {
		if !strings.Contains(got, want) {
			t.Errorf("timeline %s lacks %s", got, want)
		}
	}
	if _, err := s.admin.AdminCaseAction(ctx, id, "report-retry", client.CaseAction{Moderator: "mod_b"}); apiErr(t, err).Code != "report_not_failed" {
		t.Errorf("a retry of a filed report: %v", err)
	}
	// A follow-up that failed with nothing new left to file: the retry
	// settles the case as reported, not failed for ever.
	err = s.st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		c.Status = safeguard.CaseReportFailed
		return tx.UpdateCase(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = s.admin.AdminCaseAction(ctx, id, "report-retry", client.CaseAction{Moderator: "mod_b"}); err != nil || v.Case.Status != "reported" || len(v.Reports) != 1 {
		t.Fatalf("retry with nothing new: %v, status %q, reports %d", err, v.Case.Status, len(v.Reports))
	}
}

// recorder keeps the log records written at ERROR.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// With no on-call webhook, a priority 1 report that fails is an ERROR in the
// log, which says that nobody was alerted.
func TestReportFailureLoggedWithoutWebhook(t *testing.T) {
	img := lawreporttest.Image(7)
	scanner := bankScanner{bank: map[[32]byte]string{sha256.Sum256(img): "test-entry-0001"}}
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			s := newCaseStackWith(t, open(t), scanner, func(_ *cases.Config, d *cases.Deps) {
				d.Builder.Reporter.Email = ""
				d.Alerter = nil
				d.Log = slog.New(rec)
			})
			id := knownImageCase(t, s)
			v, err := s.admin.AdminCaseAction(t.Context(), id, "decide", client.CaseAction{Moderator: "mod_a", Decision: "report", Reason: "known image to a child"})
			if err != nil || v.Case.Status != "report_failed" {
				t.Fatalf("decide: %v", err)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			got := strings.Join(rec.msgs, "\n")
			for _, want := range []string{"cases: law-enforcement report failed", "no on-call webhook is configured"} {
				if !strings.Contains(got, want) {
					t.Errorf("ERROR log lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(timeline(v), "oncall") {
				t.Errorf("timeline %s records an alert nobody received", timeline(v))
			}
		})
	}
}
