package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runRisk(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), append([]string{"risk"}, args...), func(string) string { return "" }, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRiskReplay(t *testing.T) {
	big := strings.Repeat("blah ", 220_000) // about 1 MB
	input := strings.Join([]string{
		`{"id":"ok","members":[{"id":"a","age_band":"adult","declared_age":34,"connected":false},{"id":"c","age_band":"child","declared_age":12,"connected":false}],"messages":[{"from":"a","t":0,"text":"hey"},{"from":"a","t":5,"text":"snd me a p1c"}]}`,
		`{"id":"broken",`,
		``,
		`{"id":"safe","members":[{"id":"a","age_band":"adult","connected":true,"future_field":1},{"id":"c","age_band":"teen","connected":true}],"messages":[{"from":"a","t":0,"text":"send me a photo of your homework"}]}`,
		`{"id":"big","members":[{"id":"a","age_band":"adult"},{"id":"c","age_band":"teen"}],"messages":[{"from":"a","t":0,"text":"` + big + `"}]}`,
	}, "\n")
	code, stdout, stderr := runRisk(t, input, "replay", "--input", "-")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "-:2: not a JSON object") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr = %q, want one report for line 2", stderr)
	}
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		got = append(got, m)
	}
	if len(got) != 3 {
		t.Fatalf("%d output lines, want 3", len(got))
	}
	if got[0]["id"] != "ok" || got[0]["alert"] != true || got[0]["alert_index"] != 1.0 || got[0]["severity"] != "high" {
		t.Errorf("first result = %v", got[0])
	}
	if got[1]["alert"] != false || got[1]["alert_index"] != nil || got[1]["severity"] != "none" {
		t.Errorf("safe result = %v", got[1])
	}
	if got[2]["id"] != "big" {
		t.Errorf("1 MB message result = %v", got[2])
	}
}

func TestRiskReplayBadRules(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	rules := "version: 1\nrules:\n  - id: x\n    description: d\n    category: c\n    severity: low\n    mode: enforce\n    expr: signals.nope.count > 0\n"
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runRisk(t, "", "replay", "--rules", path, "--input", "-")
	if code != 1 || !strings.Contains(stderr, path+":8:19: rule x: unknown signal \"nope\"") {
		t.Errorf("exit %d, stderr %q: want the file:line:col of the unknown signal", code, stderr)
	}
}

func TestRiskScore(t *testing.T) {
	code, stdout, stderr := runRisk(t, "", "score", "--input", "../../internal/risk/testdata/corpus/heldout.jsonl", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m struct {
		F05           float64 `json:"f0_5"`
		HardNegatives int     `json:"hard_negatives"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatal(err)
	}
	if m.F05 < 0.85 || m.HardNegatives == 0 {
		t.Errorf("score on held-out = %+v", m)
	}
}

func TestRiskUsage(t *testing.T) {
	if code, _, stderr := runRisk(t, "", "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown subcommand: exit %d, %q", code, stderr)
	}
	if code, stdout, _ := runRisk(t, "", "help"); code != 0 || !strings.Contains(stdout, "replay") {
		t.Errorf("help: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runRisk(t, "", "replay"); code != 2 || !strings.Contains(stderr, "--input is required") {
		t.Errorf("no input: exit %d, %q", code, stderr)
	}
}
