package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// TestCaseListAndShow reads the demo's cases from the command line: both
// commands write the API's wire types, field for field.
func TestCaseListAndShow(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo story takes a few seconds")
	}
	dir := t.TempDir()
	if out, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", dir, "--argon2-memory", "64", "--argon2-time", "1"); code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	flags := []string{"--db", filepath.Join(dir, "safeguard.db"), "--media", filepath.Join(dir, "media"),
		"--evidence-dir", filepath.Join(dir, "evidence"), "--report-dir", filepath.Join(dir, "reports")}
	strict := func(name, s string, v any) {
		t.Helper()
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, s)
		}
	}

	out, errOut, code := runCmd(t, nil, append([]string{"case", "list", "--json"}, flags...)...)
	if code != 0 {
		t.Fatalf("case list: exit %d\n%s", code, errOut)
	}
	var list struct {
		Cases []client.Case `json:"cases"`
	}
	strict("case list --json", out, &list)
	if len(list.Cases) == 0 || list.Cases[0].ID == 0 || list.Cases[0].Status == "" {
		t.Fatalf("case list --json: %+v", list)
	}

	id := list.Cases[0].ID
	out, errOut, code = runCmd(t, nil, append([]string{"case", "show", strconv.FormatInt(id, 10)}, flags...)...)
	if code != 0 {
		t.Fatalf("case show: exit %d\n%s", code, errOut)
	}
	var v client.CaseView
	strict("case show", out, &v)
	if v.Case.ID != id || len(v.Timeline) == 0 || len(v.Occurrences) == 0 {
		t.Errorf("case show %d: %+v", id, v)
	}
}
