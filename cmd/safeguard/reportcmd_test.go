package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec/ncmectest"
)

// TestServeRefusesIncompleteReporting: once any reporting setting is given,
// serve does not start without all that filing needs, and says which flags
// are missing.
func TestServeRefusesIncompleteReporting(t *testing.T) {
	dir := t.TempDir()
	base := []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--db", filepath.Join(dir, "safeguard.db"),
		"--media", filepath.Join(dir, "media"), "--evidence-dir", filepath.Join(dir, "evidence")}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		missing []string
		present []string
	}{
		{"email only", []string{"--report-email", "reports@safeguard.invalid"}, nil,
			[]string{"--report-org"}, []string{"missing --report-email", "--ncmec-user,"}},
		{"organisation only", []string{"--report-org", "Safeguard Test Ltd"}, nil,
			[]string{"--report-email"}, []string{"--ncmec-url,"}},
		{"ncmec without credentials", []string{"--report-email", "reports@safeguard.invalid", "--report-org", "Safeguard Test Ltd",
			"--ncmec-url", "http://127.0.0.1:1"}, nil, []string{"--ncmec-user", "$SAFEGUARD_NCMEC_PASSWORD"}, []string{"missing --report-email"}},
		{"ncmec user only", []string{"--ncmec-user", "sg"}, map[string]string{"SAFEGUARD_NCMEC_PASSWORD": "synthetic"},
			[]string{"--report-email", "--report-org", "--ncmec-url"}, []string{"$SAFEGUARD_NCMEC_PASSWORD,"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCmd(t, tc.env, append(base, tc.args...)...)
			if code == 0 || !strings.Contains(errOut, "reporting is configured but incomplete") {
				t.Fatalf("serve started, or said something else: exit %d\n%s", code, errOut)
			}
			line := errOut[strings.Index(errOut, "missing"):]
			line = line[:strings.Index(line, "(")]
			for _, m := range tc.missing {
				if !strings.Contains(line, m) {
					t.Errorf("the error does not name %s: %s", m, line)
				}
			}
			for _, p := range tc.present {
				if strings.Contains(line, p) {
					t.Errorf("the error names %q, which is given: %s", p, line)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "safeguard.db")); err == nil {
		t.Error("serve opened the database before refusing its configuration")
	}
}

// TestReportCommands runs the report commands on the demo's cases: export
// needs a decided case or --draft (stamped DRAFT), a report decision with no
// reporting configured awaits manual submission until report-submitted, and
// a filing that fails is retried with report-retry. Every report is TEST.
func TestReportCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo story takes a few seconds")
	}
	dir := t.TempDir()
	if out, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", dir, "--argon2-memory", "64", "--argon2-time", "1"); code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	// No --report-dir: packages go to the data directory's "reports". The
	// commands that file a report mark it TEST; export, which has no
	// --test-reports, marks it TEST because the demo's data is test data.
	cmd := func(env map[string]string, args ...string) (string, string, int) {
		t.Helper()
		flags := []string{"--data", dir}
		switch strings.Join(args[:2], " ") {
		case "case decide", "case report-retry":
			flags = append(flags, "--test-reports")
		}
		return runCmd(t, env, append(args, flags...)...)
	}
	show := func(id string) client.CaseView {
		t.Helper()
		out, errOut, code := cmd(nil, "case", "show", id)
		if code != 0 {
			t.Fatalf("case show %s: exit %d\n%s", id, code, errOut)
		}
		var v client.CaseView
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	out, errOut, code := cmd(nil, "case", "list", "--json")
	if code != 0 {
		t.Fatalf("case list: exit %d\n%s", code, errOut)
	}
	var list struct {
		Cases []client.Case `json:"cases"`
	}
	json.Unmarshal([]byte(out), &list)
	if len(list.Cases) < 2 {
		t.Fatalf("the demo left %d cases, want at least 2", len(list.Cases))
	}
	// The priority 1 case's package was prepared when it opened, with the
	// demo's reporter, in reports/prepared: the package of the decision is
	// built afresh, with no reporting person.
	manual, failing := strconv.FormatInt(list.Cases[0].ID, 10), strconv.FormatInt(list.Cases[1].ID, 10)

	t.Run("export needs a decision or --draft", func(t *testing.T) {
		exp := filepath.Join(t.TempDir(), "export")
		_, errOut, code := cmd(nil, "report", "export", "--case", manual, "--out", exp)
		if code != 1 || !strings.Contains(errOut, "not decided for a law-enforcement report") || !strings.Contains(errOut, "--draft") {
			t.Fatalf("export of an undecided case: exit %d\n%s", code, errOut)
		}
		if _, err := os.Stat(exp); err == nil {
			t.Error("a refused export wrote a package")
		}
		out, errOut, code := cmd(nil, "report", "export", "--case", manual, "--out", exp, "--draft")
		if code != 0 || !strings.Contains(out, "(DRAFT)") || !strings.Contains(out, "(TEST)") {
			t.Fatalf("export --draft: exit %d\n%s\n%s", code, out, errOut)
		}
		ents, _ := os.ReadDir(exp)
		if len(ents) != 1 || !strings.Contains(ents[0].Name(), "-DRAFT-") || !strings.HasPrefix(ents[0].Name(), "SG-TEST-") {
			t.Fatalf("export directory: %v, want one named TEST and DRAFT", ents)
		}
		readme, _ := os.ReadFile(filepath.Join(exp, ents[0].Name(), lawreport.ExportReadme))
		if !strings.HasPrefix(string(readme), "[DRAFT] ") && !strings.Contains(string(readme), "[TEST] [DRAFT] ") {
			t.Errorf("the draft's README is not stamped DRAFT:\n%s", readme)
		}
		if v := show(manual); !strings.Contains(timeline(v), "draft_exported") || v.Case.Status != "open" {
			t.Errorf("after a draft export: status %q, timeline %s", v.Case.Status, timeline(v))
		}
	})

	t.Run("manual submission", func(t *testing.T) {
		out, errOut, code := cmd(nil, "case", "decide", manual, "--decision", "report", "--reason", "synthetic test report", "--senior")
		if code != 0 || !strings.Contains(out, "awaiting manual submission") {
			t.Fatalf("decide: exit %d\n%s\n%s", code, out, errOut)
		}
		v := show(manual)
		if v.Case.Status != "awaiting_submission" || !strings.HasPrefix(v.ReportPackage, filepath.Join(dir, "reports")) {
			t.Fatalf("after deciding: status %q, package %q (want under %s)", v.Case.Status, v.ReportPackage, filepath.Join(dir, "reports"))
		}
		if !strings.Contains(out, v.ReportPackage) {
			t.Errorf("decide does not say where the package is:\n%s", out)
		}
		readme, err := os.ReadFile(filepath.Join(v.ReportPackage, lawreport.ExportReadme))
		if err != nil || !strings.Contains(string(readme), "[TEST]") || !strings.Contains(string(readme), "No reporting person is configured") {
			t.Errorf("the package's README: %v\n%s", err, readme)
		}
		// Decided: now it exports without --draft, and that is recorded.
		if out, errOut, code := cmd(nil, "report", "export", "--case", manual, "--out", t.TempDir()); code != 0 || strings.Contains(out, "DRAFT") {
			t.Errorf("export of a decided case: exit %d\n%s\n%s", code, out, errOut)
		}
		if _, errOut, code := cmd(nil, "case", "report-submitted", manual); code != 2 || !strings.Contains(errOut, "--reference") {
			t.Errorf("report-submitted without a reference: exit %d\n%s", code, errOut)
		}
		out, errOut, code = cmd(nil, "case", "report-submitted", manual, "--reference", "NCA-TEST-0001", "--senior")
		if code != 0 || !strings.Contains(out, "reported") {
			t.Fatalf("report-submitted: exit %d\n%s\n%s", code, out, errOut)
		}
		v = show(manual)
		if v.Case.Status != "reported" || len(v.Reports) != 1 || v.Reports[0].Destination != "manual" || v.Reports[0].ReceiptID != "NCA-TEST-0001" || !v.Reports[0].Test {
			t.Fatalf("after report-submitted: status %q, reports %+v", v.Case.Status, v.Reports)
		}
		for _, want := range []string{"decided,report_exported", ",exported,", "report_submitted"} {
			if !strings.Contains(","+timeline(v)+",", want) {
				t.Errorf("timeline %s lacks %s", timeline(v), want)
			}
		}
		if _, errOut, code := cmd(nil, "case", "report-submitted", manual, "--reference", "again", "--senior"); code == 0 || !strings.Contains(errOut, "no report awaiting submission") {
			t.Errorf("a second report-submitted: exit %d\n%s", code, errOut)
		}
	})

	t.Run("report-retry", func(t *testing.T) {
		fake := ncmectest.NewServer("safeguard-test", "synthetic-password")
		defer fake.Close()
		target, _ := url.Parse(fake.URL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		var up atomic.Bool
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !up.Load() {
				http.Error(w, "internal server error", http.StatusInternalServerError)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		defer api.Close()
		env := map[string]string{"SAFEGUARD_NCMEC_PASSWORD": "synthetic-password"}
		ncmecFlags := []string{"--report-email", "reports@safeguard.invalid", "--report-org", "Safeguard Test Ltd",
			"--ncmec-url", api.URL, "--ncmec-user", "safeguard-test", "--report-dir", filepath.Join(t.TempDir(), "reports")}
		out, errOut, code := cmd(env, append([]string{"case", "decide", failing, "--decision", "report", "--reason", "synthetic test report", "--senior"}, ncmecFlags...)...)
		if code != 1 || !strings.Contains(out, "report_failed") || !strings.Contains(errOut, "HTTP 500") || !strings.Contains(errOut, "report-retry") {
			t.Fatalf("decide against a failing NCMEC: exit %d\n%s\n%s", code, out, errOut)
		}
		if v := show(failing); v.Case.Status != "report_failed" || !strings.Contains(v.ReportFailure, "HTTP 500") {
			t.Fatalf("after the failure: status %q, failure %q", v.Case.Status, v.ReportFailure)
		}
		up.Store(true)
		out, errOut, code = cmd(env, append([]string{"case", "report-retry", failing, "--senior"}, ncmecFlags...)...)
		if code != 0 || !strings.Contains(out, "filed: ncmec") {
			t.Fatalf("report-retry: exit %d\n%s\n%s", code, out, errOut)
		}
		v := show(failing)
		if v.Case.Status != "reported" || len(v.Reports) != 1 || v.Reports[0].Destination != "ncmec" {
			t.Fatalf("after the retry: status %q, reports %+v", v.Case.Status, v.Reports)
		}
		if !strings.Contains(timeline(v), "report_failed") || !strings.Contains(timeline(v), "report_retried,reported") {
			t.Errorf("timeline %s lacks the failure and the retry", timeline(v))
		}
		if f := fake.Finished(); len(f) != 1 || !strings.Contains(string(f[0].XML), lawreport.TestMarker) {
			t.Errorf("NCMEC finished %d reports, want one marked TEST", len(f))
		}
	})
}

func timeline(v client.CaseView) string {
	var actions []string
	for _, e := range v.Timeline {
		actions = append(actions, e.Action)
	}
	return strings.Join(actions, ",")
}
