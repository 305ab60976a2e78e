package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestURLCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	list := write("list.txt", "# synthetic\nhttps://Bad.Example/a/page.html\nworse.example\nhost.example/dir/\nworse.example\n")
	env := map[string]string{"SAFEGUARD_DB": db, "USER": "ops"}

	out, errOut, code := runCmd(t, env, "url", "import", "--name", "iwf", "--source", "IWF URL List", list)
	if code != 0 || !strings.HasPrefix(out, `imported list "iwf" (id 1): 3 entries, sha256 `) {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	_, errOut, code = runCmd(t, env, "url", "import", "--name", "iwf", list)
	if code != 1 || !strings.Contains(errOut, "add --replace") {
		t.Errorf("second import: %d %q", code, errOut)
	}
	bad := write("bad.txt", "ok.example\nftp://x.example/a\nbad one\n")
	_, errOut, code = runCmd(t, env, "url", "import", "--name", "other", bad)
	if code != 1 || !strings.Contains(errOut, "nothing imported") || !strings.Contains(errOut, bad+":2: Only web addresses") ||
		!strings.Contains(errOut, bad+":3: unexpected text") {
		t.Errorf("bad file: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"url", "import", list}, {"url", "import", "--name", "x"}, {"url", "remove"}, {"url", "match"}, {"url", "match", "ftp://x"}, {"url", "nonsense"}} {
		if _, errOut, code := runCmd(t, env, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, errOut)
		}
	}

	out, _, code = runCmd(t, env, "url", "list")
	if code != 0 || !strings.Contains(out, "iwf") || !strings.Contains(out, "IWF URL List") || strings.Contains(out, "other") {
		t.Errorf("list: %d\n%s", code, out)
	}
	out, _, _ = runCmd(t, env, "url", "list", "--json")
	var l urlListJSON
	if err := json.Unmarshal([]byte(out), &l); err != nil || l.Name != "iwf" || l.Entries != 3 || l.ImportedBy != "ops" || len(l.SHA256) != 64 {
		t.Errorf("list --json: %q %v", out, err)
	}

	out, _, code = runCmd(t, env, "url", "match", "WWW.bad.example/a/page.html?utm_source=1", "sub.worse.example/x", "host.example/dirt")
	want := "bad.example/a/page.html\tlisted: \"iwf\" url entry \"bad.example/a/page.html\" (line 2)\n" +
		"sub.worse.example/x\tlisted: \"iwf\" domain entry \"worse.example\" (line 3)\n" +
		"host.example/dirt\tnot listed\n"
	if code != 0 || out != want {
		t.Errorf("match: %d\n%s\nwant\n%s", code, out, want)
	}

	out, _, code = runCmd(t, env, "url", "import", "--name", "iwf", "--replace", write("new.txt", "new.example\n"))
	if code != 0 || !strings.Contains(out, "1 entries") {
		t.Errorf("replace: %d %q", code, out)
	}
	out, _, code = runCmd(t, env, "url", "remove", "iwf")
	if code != 0 || out != "removed list \"iwf\" (1 entries)\n" {
		t.Errorf("remove: %d %q", code, out)
	}
	_, errOut, code = runCmd(t, env, "url", "remove", "iwf")
	if code != 1 || !strings.Contains(errOut, `no URL list named "iwf"`) {
		t.Errorf("remove twice: %d %q", code, errOut)
	}
	out, _, _ = runCmd(t, env, "url", "list")
	if out != "no URL lists\n" {
		t.Errorf("list after removal: %q", out)
	}
	out, _, code = runCmd(t, env, "url", "-h")
	if code != 0 || !strings.Contains(out, "import") {
		t.Errorf("url -h: %d %q", code, out)
	}
}

func TestServeRiskFlags(t *testing.T) {
	helpOut, _, _ := runCmd(t, nil, "serve", "-h")
	for _, want := range []string{"--risk-rules", "SAFEGUARD_RISK_RULES", "(default default)", "--risk-lexicon"} {
		if !strings.Contains(helpOut, want) {
			t.Errorf("serve -h lacks %q", want)
		}
	}
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("version: 1\nrules:\n  - id: x\n    description: d\n    category: c\n    severity: low\n    mode: enforce\n    expr: signals.nope.count > 0\n"), 0o600)
	env := map[string]string{"SAFEGUARD_ADDR": "127.0.0.1:0", "SAFEGUARD_DATA": dir, "SAFEGUARD_DB": filepath.Join(dir, "x.db"), "SAFEGUARD_MEDIA": filepath.Join(dir, "media")}
	_, errOut, code := runCmd(t, env, "serve", "--risk-rules", "default,"+rules)
	if code != 1 || !strings.Contains(errOut, rules+":8:19: rule x: unknown signal") {
		t.Errorf("serve with a bad rules file: %d %q", code, errOut)
	}
}
