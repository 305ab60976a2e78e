package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const eastFile = "../../internal/stats/testdata/east-of-england-2019.csv"

// runStats runs the binary's run with the given arguments and environment.
func runStats(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := statsNow
	statsNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	t.Cleanup(func() { statsNow = old })
	var out, errb bytes.Buffer
	code = run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestStatsReturnsEastOfEngland(t *testing.T) {
	code, out, errOut := runStats(t, nil, "stats", "returns", eastFile, "--period", "2019")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, force := range []string{"Bedfordshire", "Cambridgeshire", "Essex", "Hertfordshire", "Norfolk", "Northamptonshire", "Suffolk"} {
		if !strings.Contains(out, "\n"+force+" ") {
			t.Errorf("no row for %s in:\n%s", force, out)
		}
	}
	for _, want := range []string{
		"Not provided: Essex, Northamptonshire",
		"Computed total (5 of 7 forces)                    872                    162           288            32",
		"Each app as a share of all online child sexual offences recorded by the 5 forces that provided figures:",
		"facebook_or_messenger  162 of 872   18.6%",
		"Period:   2019",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, out)
		}
	}
	wantWarn := "safeguard stats returns: warning: stated total does not agree with the rows: East Total (row 9), total_online_offences: stated 877, computed 872"
	if !strings.Contains(errOut, wantWarn) {
		t.Errorf("stderr = %q, want the mismatch warning", errOut)
	}
	if strings.Count(errOut, "warning:") != 1 {
		t.Errorf("stderr has %d warnings, want 1 (the app columns agree):\n%s", strings.Count(errOut, "warning:"), errOut)
	}
}

func TestStatsReturnsStrict(t *testing.T) {
	code, _, errOut := runStats(t, nil, "stats", "returns", "--strict", eastFile)
	if code != 1 || !strings.Contains(errOut, "--strict") {
		t.Errorf("--strict: exit %d, stderr %q; want 1", code, errOut)
	}
	// --strict is what this command is to do: the environment never sets it.
	code, _, _ = runStats(t, map[string]string{"SAFEGUARD_STRICT": "true"}, "stats", "returns", eastFile)
	if code != 0 {
		t.Errorf("SAFEGUARD_STRICT=true: exit %d, want 0 (the environment sets no action's flag)", code)
	}
	// A file whose totals agree passes --strict.
	ok := filepath.Join(t.TempDir(), "ok.csv")
	os.WriteFile(ok, []byte("Force,Total\nEssex,1\nKent,2\nTotal,3\n"), 0o644)
	if code, _, errOut := runStats(t, nil, "stats", "returns", ok, "--strict"); code != 0 || errOut != "" {
		t.Errorf("agreeing totals with --strict: exit %d, stderr %q", code, errOut)
	}
}

func TestStatsReturnsFormats(t *testing.T) {
	tests := []struct{ format, want string }{
		{"markdown", "| Bedfordshire | 193 | 23 | 50 | 10 |"},
		{"csv", "force,Essex,E23000028,4,not provided,not provided,not provided,not provided"},
		{"json", `"not provided"`},
		{"html", "<svg"},
		{"text", "East Total (stated, row 9)"},
	}
	for _, tt := range tests {
		code, out, errOut := runStats(t, nil, "stats", "returns", eastFile, "--format", tt.format)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("--format %s: exit %d, stderr %q, stdout without %q", tt.format, code, errOut, tt.want)
		}
	}
	if code, _, errOut := runStats(t, nil, "stats", "returns", eastFile, "--format", "pdf"); code != 2 || !strings.Contains(errOut, "unknown format") {
		t.Errorf("--format pdf: exit %d, stderr %q; want 2", code, errOut)
	}
}

func TestStatsReturnsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dup := write("dup.csv", "Force,Total\nEssex,1\nEssex,2\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", []string{"stats", "returns"}, 2, "want one FILE"},
		{"two files", []string{"stats", "returns", dup, dup}, 2, "want one FILE"},
		{"missing file", []string{"stats", "returns", filepath.Join(dir, "nope.csv")}, 1, "no such file"},
		{"unknown force", []string{"stats", "returns", write("u.csv", "Force,Total\nGotham,1\n")}, 1, `row 2: unknown police force "Gotham"`},
		{"duplicate", []string{"stats", "returns", dup}, 1, "row 3"},
		{"empty", []string{"stats", "returns", write("e.csv", "")}, 1, "empty"},
		{"unknown subcommand", []string{"stats", "frobnicate"}, 2, `unknown command "frobnicate"`},
		{"no subcommand", []string{"stats"}, 2, "Usage: safeguard stats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runStats(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
	if code, out, errOut := runStats(t, nil, "stats", "returns", dup, "--sum", "--format", "csv"); code != 0 || !strings.Contains(out, "force,Essex,E23000028,2 3,3") {
		t.Errorf("--sum: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
}

func TestStatsReturnsProgressAndStdin(t *testing.T) {
	code, _, errOut := runStats(t, nil, "stats", "returns", eastFile, "--progress")
	if code != 0 || !strings.Contains(errOut, "100%") || !strings.Contains(errOut, "346 B of 346 B") {
		t.Errorf("--progress: exit %d, stderr %q", code, errOut)
	}
	// Without --progress and with a buffer for stderr: no bar.
	if _, _, errOut := runStats(t, nil, "stats", "returns", eastFile); strings.Contains(errOut, "%") {
		t.Errorf("progress drawn on a non-terminal: %q", errOut)
	}

	body, err := os.ReadFile(eastFile)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code = run(t.Context(), []string{"stats", "returns", "-"}, func(string) string { return "" }, bytes.NewReader(body), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "Dataset:  stdin") {
		t.Errorf("stdin: exit %d, stderr %q", code, errb.String())
	}
}

func TestStatsHelpListsReturns(t *testing.T) {
	code, out, _ := runStats(t, nil, "stats", "-h")
	if code != 0 || !strings.Contains(out, "returns") {
		t.Errorf("stats -h: exit %d, stdout %q", code, out)
	}
	code, out, _ = runStats(t, nil, "-h")
	if code != 0 || !strings.Contains(out, "stats") {
		t.Errorf("-h: exit %d, stdout %q", code, out)
	}
}
