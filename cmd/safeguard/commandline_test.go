package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// exampleArgs splits a command's example into arguments as a shell would
// (double quotes group; a $(…) substitution stands for a public key).
func exampleArgs(t *testing.T, example string) []string {
	t.Helper()
	var args []string
	var cur strings.Builder
	inQuote, inSubst, started := false, false, false
	for _, r := range example {
		switch {
		case inSubst:
			if r == ')' {
				inSubst = false
				cur.WriteString(strings.Repeat("ab", 32))
			}
		case r == '"':
			inQuote, started = !inQuote, true
		case r == '$' && !inQuote:
			inSubst, started = true, true
		case r == ' ' && !inQuote:
			if started {
				args = append(args, cur.String())
			}
			cur.Reset()
			started = false
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if started {
		args = append(args, cur.String())
	}
	if inQuote || inSubst {
		t.Fatalf("example %q: unbalanced quote or $(", example)
	}
	return args
}

// leafFlags runs the leaf's -h and returns the flags its help lists, each
// with whether it takes a value.
func leafFlags(t *testing.T, name string) map[string]bool {
	t.Helper()
	out, errOut, code := runCmd(t, nil, append(strings.Fields(name), "-h")...)
	if code != 0 {
		t.Fatalf("%s -h: exit %d: %s", name, code, errOut)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z0-9-]+)( \S+)?$`).FindAllStringSubmatch(out, -1) {
		flags[m[1]] = m[2] != ""
	}
	if len(flags) == 0 && name != "version" {
		t.Fatalf("%s -h lists no flags:\n%s", name, out)
	}
	return flags
}

// splitExample splits a leaf's example (after the command's name) into its
// flags, with their values, and its positional arguments.
func splitExample(t *testing.T, name string, c *command) (flags, pos []string) {
	t.Helper()
	args := exampleArgs(t, c.example)
	words := strings.Fields(name)
	if len(args) < len(words) || !slices.Equal(args[:len(words)], words) {
		t.Fatalf("%s: the example %q does not start with the command", name, c.example)
	}
	takesValue := leafFlags(t, name)
	args = args[len(words):]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			pos = append(pos, a)
			continue
		}
		f, _, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		v, ok := takesValue[f]
		if !ok {
			t.Fatalf("%s: the example gives --%s, which -h does not list", name, f)
		}
		flags = append(flags, a)
		if v && !hasValue {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, pos
}

// inEmptyDir runs the command line in a new empty working directory and
// returns what it printed, its exit code, and the files it left there.
func inEmptyDir(t *testing.T, args []string) (out, errOut string, code int, left []string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	out, errOut, code = runCmd(t, nil, args...)
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if path != dir {
			rel, _ := filepath.Rel(dir, path)
			left = append(left, rel)
		}
		return nil
	})
	return out, errOut, code, left
}

// TestCommandTable: every leaf says what it does with the data and has an
// example that starts with its name.
func TestCommandTable(t *testing.T) {
	n := 0
	leaves(commands, "", func(name string, c *command) {
		n++
		if c.access == 0 {
			t.Errorf("%s: no access (reads, writes, serves or local)", name)
		}
		if c.run == nil || c.summary == "" || c.example == "" {
			t.Errorf("%s: want a run, a summary and an example", name)
		}
		if !strings.HasPrefix(c.example, name) {
			t.Errorf("%s: the example %q does not start with the command", name, c.example)
		}
	})
	if n < 30 {
		t.Errorf("%d leaf commands; the walk misses some", n)
	}
}

// TestReadOnlyCommandsCreateNothing runs every command that only reads (or
// works on given files only), as its example and with the default data
// directory, in an empty directory: nothing is created there, and a missing
// database or key is an error that says so.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	leaves(commands, "", func(name string, c *command) {
		if c.access != reads && c.access != local {
			return
		}
		if name == "chat" {
			return // a terminal session with a server; it touches no data directory
		}
		flags, pos := splitExample(t, name, c)
		withoutData := []string{}
		for i := 0; i < len(flags); i++ {
			if flags[i] == "--data" {
				i++
				continue
			}
			withoutData = append(withoutData, flags[i])
		}
		for _, args := range [][]string{
			append(append(strings.Fields(name), flags...), pos...),
			append(append(strings.Fields(name), withoutData...), pos...),
		} {
			_, errOut, code, left := inEmptyDir(t, args)
			if len(left) > 0 {
				t.Errorf("%s: created %v", strings.Join(args, " "), left)
			}
			if c.access == reads && (code == 0 || !strings.Contains(errOut, "there is no ")) {
				t.Errorf("%s in an empty directory: exit %d, %q; want an error that says what is missing", strings.Join(args, " "), code, errOut)
			}
		}
	})
}

// TestFlagsEitherSide runs every leaf's example with its flags before, after
// and among its arguments, each in a fresh directory: the outcome is the
// same. A leaf whose example has no arguments refuses a stray one on either
// side.
func TestFlagsEitherSide(t *testing.T) {
	leaves(commands, "", func(name string, c *command) {
		flags, pos := splitExample(t, name, c)
		cmd := strings.Fields(name)
		if len(pos) == 0 {
			for _, args := range [][]string{
				append(append(slices.Clone(cmd), "stray"), flags...),
				append(append(slices.Clone(cmd), flags...), "stray"),
			} {
				_, errOut, code, _ := inEmptyDir(t, args)
				if code != 2 || !strings.Contains(errOut, `unexpected argument "stray"`) {
					t.Errorf("%s: exit %d, %q; want the stray argument refused", strings.Join(args, " "), code, errOut)
				}
			}
			return
		}
		if c.access == serves || name == "chat" {
			t.Fatalf("%s: a long-running command with positional arguments is not covered here", name)
		}
		orders := [][]string{
			append(append(slices.Clone(cmd), flags...), pos...),
			append(append(slices.Clone(cmd), pos...), flags...),
			append(append(append(slices.Clone(cmd), pos[0]), flags...), pos[1:]...),
		}
		out0, err0, code0, left0 := inEmptyDir(t, orders[0])
		out0 = generated.ReplaceAllString(out0, "PASSWORD")
		for _, args := range orders[1:] {
			out, errOut, code, left := inEmptyDir(t, args)
			out = generated.ReplaceAllString(out, "PASSWORD")
			if out != out0 || errOut != err0 || code != code0 || !slices.Equal(left, left0) {
				t.Errorf("%s:\n  exit %d, %q, %q, left %v\nflags first:\n  exit %d, %q, %q, left %v",
					strings.Join(args, " "), code, out, errOut, left, code0, out0, err0, left0)
			}
		}
	})
}

// generated is a generated password, different on every run.
var generated = regexp.MustCompile(`[a-zA-Z2-9]{4}(-[a-zA-Z2-9]{4}){4}`)

// ownFlags names flags that are one action's own, with the commands that
// have them: no other command's help may list them.
var ownFlags = map[string][]string{
	"decision":            {"case decide"},
	"reason":              {"case decide", "account unverify", "account suspend", "account unsuspend", "account delete", "account guardian", "account birth-date"},
	"method":              {"account verify", "account birth-date"},
	"band":                {"account find"},
	"senior":              {"case decide", "case report-retry", "case report-submitted"},
	"reference":           {"case report-submitted", "account preserve", "account export"},
	"agency":              {"account preserve"},
	"days":                {"account preserve"},
	"extend":              {"account preserve"},
	"package":             {"evidence verify"},
	"draft":               {"report export"},
	"role":                {"moderator add", "moderator role"},
	"password-stdin":      {"moderator add", "moderator password"},
	"case":                {"report export"},
	"out":                 {"report export", "account export"},
	"now":                 {"evidence retain"},
	"reset":               {"demo"},
	"suspend-on-match":    {"serve", "demo"},
	"nudity-shadow":       {"serve", "demo"},
	"nudity-repeats":      {"serve", "demo"},
	"nudity-porn":         {"serve", "demo", "nudity classify"},
	"oncall-webhook":      {"serve", "demo"},
	"cases-interval":      {"serve", "demo"},
	"content-retention":   {"serve", "demo", "evidence retain", "account delete"},
	"reference-retention": {"serve", "demo", "evidence retain", "account delete"},
	"ncmec-url":           {"serve", "demo", "case decide", "case report-retry", "report export"},
	"evidence-pubkey":     {"serve", "demo", "evidence verify", "case decide", "case report-retry", "case report-submitted", "report export", "evidence retain", "account export"},
	"media":               {"serve", "demo", "case decide", "case report-retry", "case report-submitted", "report export", "evidence retain", "account export", "files import"},
	"nats": {"serve", "case decide", "case report-retry", "case report-submitted", "report export", "evidence verify",
		"evidence retain", "account export", "files import"},
	"kek-file": {"serve", "keys import", "keys rotate-franking", "files import", "case decide", "case report-retry", "case report-submitted",
		"report export", "evidence verify", "evidence retain", "evidence pubkey", "account export"},
	"nats-replicas": {"serve"},
	"old":           {"keys rotate-kek"},
	"new":           {"keys rotate-kek"},
}

// TestLeafHelp: -h, --help and help print the same help on stdout, with the
// usage and the example, and list no flag that is another command's own.
func TestLeafHelp(t *testing.T) {
	leaves(commands, "", func(name string, c *command) {
		var first string
		for _, h := range []string{"-h", "--help", "help"} {
			out, errOut, code := runCmd(t, nil, append(strings.Fields(name), h)...)
			if code != 0 || errOut != "" || !strings.HasPrefix(out, "Usage: safeguard "+name) || !strings.Contains(out, "Example:\n  safeguard "+c.example) {
				t.Errorf("%s %s: exit %d, stderr %q, stdout:\n%s", name, h, code, errOut, out)
			}
			if first == "" {
				first = out
			} else if out != first {
				t.Errorf("%s %s differs from -h", name, h)
			}
		}
		for f := range leafFlags(t, name) {
			if owners, ok := ownFlags[f]; ok && !slices.Contains(owners, name) {
				t.Errorf("%s -h lists --%s, which is %v's own", name, f, owners)
			}
		}
	})
}

// TestGroupHelp: a group's help lists its commands once each, on stdout.
func TestGroupHelp(t *testing.T) {
	for _, c := range commands {
		if len(c.subs) == 0 {
			continue
		}
		out, _, code := runCmd(t, nil, c.name, "help")
		if code != 0 {
			t.Errorf("%s help: exit %d", c.name, code)
		}
		for _, s := range c.subs {
			if n := len(regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(s.name)+` `).FindAllString(out, -1)); n != 1 {
				t.Errorf("%s help lists %s %d times:\n%s", c.name, s.name, n, out)
			}
		}
	}
}

// TestActionFlagsNotFromEnvironment: what a command is to do comes from its
// command line only. A stray SAFEGUARD_REASON and SAFEGUARD_DECISION do not
// decide a case, nor SAFEGUARD_ROLE make a moderator.
func TestActionFlagsNotFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SAFEGUARD_DATA": dir, "SAFEGUARD_REASON": "stray", "SAFEGUARD_DECISION": "ban",
		"SAFEGUARD_SENIOR": "true", "SAFEGUARD_ROLE": "admin"}
	_, errOut, code := runCmd(t, env, "case", "decide", "1")
	if code != 2 || !strings.Contains(errOut, "--decision and --reason are required") {
		t.Errorf("case decide with SAFEGUARD_REASON and SAFEGUARD_DECISION: exit %d, %q; want both required", code, errOut)
	}
	_, errOut, code = runCmd(t, env, "case", "decide", "1", "--decision", "ban")
	if code != 2 || !strings.Contains(errOut, "--decision and --reason are required") {
		t.Errorf("case decide with SAFEGUARD_REASON: exit %d, %q; want --reason required", code, errOut)
	}
	_, errOut, code = runCmd(t, env, "moderator", "add", "bob")
	if code != 2 || !strings.Contains(errOut, "--role") {
		t.Errorf("moderator add with SAFEGUARD_ROLE: exit %d, %q; want --role required", code, errOut)
	}
	out, _, _ := runCmd(t, nil, "case", "decide", "-h")
	for _, v := range []string{"SAFEGUARD_REASON", "SAFEGUARD_DECISION", "SAFEGUARD_SENIOR", "SAFEGUARD_MODERATOR"} {
		if strings.Contains(out, v) {
			t.Errorf("case decide -h offers $%s", v)
		}
	}
	if !strings.Contains(out, "[$SAFEGUARD_DATA]") {
		t.Errorf("case decide -h does not offer $SAFEGUARD_DATA:\n%s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("refused commands created %v", entries)
	}
}

// TestURLMatchDBAfterURL: `url match URL --db X` matches against X.
func TestURLMatchDBAfterURL(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "lists.db")
	list := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(list, []byte("example.com/bad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCmd(t, nil, "url", "import", list, "--name", "test", "--db", db); code != 0 {
		t.Fatalf("url import: exit %d: %s", code, errOut)
	}
	out, errOut, code := runCmd(t, nil, "url", "match", "https://example.com/bad", "--db", db)
	if code != 0 || !strings.Contains(out, "listed: \"test\"") || strings.Contains(out, "--db") {
		t.Errorf("url match URL --db X: exit %d, %q, %q; want the URL listed in X", code, out, errOut)
	}
}

// TestDemoHelpDoesNotStart: `safeguard demo help` prints the demo's help.
func TestDemoHelpDoesNotStart(t *testing.T) {
	out, _, code := runCmd(t, nil, "demo", "help")
	if code != 0 || !strings.Contains(out, "--dir") || strings.Contains(out, "server at") {
		t.Errorf("demo help: exit %d:\n%s", code, out)
	}
}
