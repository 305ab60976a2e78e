package console_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
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
