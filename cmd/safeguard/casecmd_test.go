package main

import (
	"encoding/json"
	"io/fs"
	"os"
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
	flags := []string{"--data", dir}
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

// TestEvidenceOnDemoData pins the demo's evidence key with evidence pubkey
// and verifies its evidence through --data; an evidence directory that is
// not the log's is told apart from tampering, and a missing one is named.
func TestEvidenceOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo story takes a few seconds")
	}
	dir := t.TempDir()
	out, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", dir, "--argon2-memory", "64", "--argon2-time", "1")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "safeguard case list --data "+dir) || !strings.Contains(out, "safeguard evidence pubkey --data "+dir) {
		t.Errorf("the demo does not say how to read its data:\n%s", out)
	}
	pub, errOut, code := runCmd(t, nil, "evidence", "pubkey", "--data", dir)
	pub = strings.TrimSpace(pub)
	if code != 0 || len(pub) != 64 {
		t.Fatalf("evidence pubkey: exit %d, %q, %s", code, pub, errOut)
	}
	out, errOut, code = runCmd(t, nil, "evidence", "verify", "--data", dir, "--evidence-pubkey", pub)
	if code != 0 || !strings.Contains(out, "evidence log verified") {
		t.Fatalf("evidence verify: exit %d\n%s\n%s", code, out, errOut)
	}

	// Another directory with the same data key: readable, but holding none
	// of the log's items.
	other := filepath.Join(t.TempDir(), "evidence")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, "evidence.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other+".key", key, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCmd(t, nil, "evidence", "verify", "--data", dir, "--evidence-dir", other, "--evidence-pubkey", pub)
	if code != 1 || !strings.Contains(errOut, "not this log's evidence directory") || strings.Contains(out, "missing, with no tombstone") {
		t.Errorf("verify against another directory: exit %d\n%s\n%s", code, out, errOut)
	}

	// One item gone from the right directory is tampering, named by entry.
	var gone string
	filepath.WalkDir(filepath.Join(dir, "evidence"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && gone == "" {
			gone = p
		}
		return nil
	})
	if gone == "" {
		t.Fatal("the demo kept no evidence item")
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCmd(t, nil, "evidence", "verify", "--data", dir, "--evidence-pubkey", pub)
	if code != 1 || !strings.Contains(out, "missing, with no tombstone") || strings.Contains(errOut, "not this log's") {
		t.Errorf("verify with an item deleted: exit %d\n%s\n%s", code, out, errOut)
	}

	_, errOut, code = runCmd(t, nil, "evidence", "verify", "--data", dir, "--evidence-dir", filepath.Join(dir, "nowhere"), "--evidence-pubkey", pub)
	if code != 1 || !strings.Contains(errOut, "there is no evidence directory at") {
		t.Errorf("verify against a missing directory: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("verify made the missing evidence directory")
	}
}
