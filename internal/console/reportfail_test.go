package console_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
)

// A report decision with no reporting person's address configured does not
// leave the case "being filed" for ever: the case shows the report failed
// and why, a Retry button files it once the address is set, and the
// timeline has both.
func TestReportFailsThenRetriesInConsole(t *testing.T) {
	s := newStack(t)
	known, _, _, _ := s.story()
	s.builder.Reporter.Email = "" // reporting not configured
	b := s.as("mia", safeguard.RoleModerator)
	casePath := "/console/cases/" + strconv.FormatInt(known, 10)
	b.get(casePath)
	d := b.post(casePath+"/decide", url.Values{"decision": {"report"}, "reason": {"Known image sent to a 15-year-old."}})
	if d.code != http.StatusSeeOther || !strings.Contains(d.location, "done=report-failed") {
		t.Fatalf("decide: %d %q\n%s", d.code, d.location, d.body)
	}
	p := b.get(d.location)
	for _, want := range []string{"Report failed", "The reporting person&#39;s email address is not configured.", "Retry report", "the report could not be filed"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	if c := caseOf(t, s, known); c.Status != safeguard.CaseReportFailed {
		t.Fatalf("status %q, want report_failed", c.Status)
	}

	// Fixed: the address is configured, and the retry files the report.
	s.builder.Reporter.Email = "reports@safeguard.invalid"
	r := b.post(casePath+"/report-retry", nil)
	if r.code != http.StatusSeeOther || !strings.Contains(r.location, "done=retried") {
		t.Fatalf("retry: %d %q\n%s", r.code, r.location, r.body)
	}
	p = b.get(r.location)
	if strings.Contains(p.body, "Retry report") || !strings.Contains(p.body, "The report has been filed.") {
		t.Error("after the retry the page still offers a retry, or says nothing of the filing")
	}
	if c := caseOf(t, s, known); c.Status != safeguard.CaseReported || c.ReportReference == "" {
		t.Fatalf("after the retry: status %q, reference %q", c.Status, c.ReportReference)
	}
	v, err := s.cs.Case(t.Context(), known)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range v.Timeline {
		actions = append(actions, e.Action)
	}
	got := strings.Join(actions, ",")
	if !strings.Contains(got, "decided,report_failed,report_retried,reported") {
		t.Errorf("timeline %s lacks the failure, the retry and the filing in order", got)
	}
	if len(v.Reports) != 1 || !v.Reports[0].Test {
		t.Errorf("reports = %+v, want one, marked TEST", v.Reports)
	}
}

// With no reporting configured, a report decision exports the package and
// the case page says it awaits manual submission, with the package's path;
// recording the reference it was submitted under makes it reported.
func TestManualSubmissionInConsole(t *testing.T) {
	s := newStack(t, func(c *cases.Config, d *cases.Deps) {
		c.ManualSubmission = true
		d.Builder.Manual, d.Builder.Reporter.Email, d.Builder.ContactEmail = true, "", ""
	})
	known, _, _, _ := s.story()
	b := s.as("mia", safeguard.RoleModerator)
	casePath := "/console/cases/" + strconv.FormatInt(known, 10)
	b.get(casePath)
	d := b.post(casePath+"/decide", url.Values{"decision": {"report"}, "reason": {"Known image sent to a 15-year-old."}})
	if d.code != http.StatusSeeOther || !strings.Contains(d.location, "done=awaiting") {
		t.Fatalf("decide: %d %q\n%s", d.code, d.location, d.body)
	}
	v, err := s.cs.Case(t.Context(), known)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != safeguard.CaseAwaitingSubmission || v.ReportPackage == "" {
		t.Fatalf("status %q, package %q", v.Status, v.ReportPackage)
	}
	p := b.get(d.location)
	for _, want := range []string{"Awaiting manual submission", v.ReportPackage, "Mark as submitted"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	if r := b.post(casePath+"/report-submitted", url.Values{"reference": {"  "}}); r.code != http.StatusBadRequest {
		t.Errorf("submitted without a reference: %d", r.code)
	}
	r := b.post(casePath+"/report-submitted", url.Values{"reference": {"NCA-TEST-0042"}})
	if r.code != http.StatusSeeOther || !strings.Contains(r.location, "done=submitted") {
		t.Fatalf("report-submitted: %d %q\n%s", r.code, r.location, r.body)
	}
	p = b.get(r.location)
	if !strings.Contains(p.body, "Submitted by hand, reference NCA-TEST-0042") || strings.Contains(p.body, "Mark as submitted") {
		t.Error("after the submission the page does not show the report made by hand, or still offers to mark it")
	}
	if c := caseOf(t, s, known); c.Status != safeguard.CaseReported {
		t.Errorf("status %q, want reported", c.Status)
	}
}
