package main

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readmeServeTable reads the README's table of serve flags: each flag named in
// a row's first column, with the default its second column gives ("" for an
// empty cell); a default written in words (not in backticks) is left out.
func readmeServeTable(t *testing.T) (defaults map[string]string, named map[string]bool) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## Configuration (`safeguard serve`)")
	if !ok {
		t.Fatal("README has no section for the serve flags")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	defaults, named = map[string]string{}, map[string]bool{}
	flagRE := regexp.MustCompile("`--([a-z0-9-]+)`")
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `--") {
			continue
		}
		cols := splitRow(line)
		if len(cols) < 3 {
			t.Fatalf("README row %q: want three columns", line)
		}
		var flags []string
		for _, m := range flagRE.FindAllStringSubmatch(cols[0], -1) {
			flags = append(flags, m[1])
			named[m[1]] = true
		}
		values := splitOutsideTicks(cols[1])
		if len(values) != len(flags) {
			if strings.TrimSpace(cols[1]) == "" {
				continue // no defaults given for the row
			}
			t.Errorf("README row for %v gives %d defaults", flags, len(values))
			continue
		}
		for i, v := range values {
			if d, ok := tickedValue(v); ok {
				defaults[flags[i]] = d
			}
		}
	}
	return defaults, named
}

// splitRow splits a Markdown table row on the bars that are not escaped.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	var cols []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cols = append(cols, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cols, strings.TrimSpace(cur.String()))
}

// splitOutsideTicks splits a cell on the commas outside backticks.
func splitOutsideTicks(cell string) []string {
	var parts []string
	in := false
	start := 0
	for i, r := range cell {
		switch {
		case r == '`':
			in = !in
		case r == ',' && !in:
			parts = append(parts, strings.TrimSpace(cell[start:i]))
			start = i + 1
		}
	}
	return append(parts, strings.TrimSpace(cell[start:]))
}

// tickedValue returns the value of one default: "" for an empty part, the
// text in backticks when what is left is a unit, and false for words.
func tickedValue(part string) (string, bool) {
	if part == "" {
		return "", true
	}
	m := regexp.MustCompile("^`([^`]*)`( (KiB|MiB|bytes))?$").FindStringSubmatch(part)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// sameDefault compares a documented default with the flag's own: durations
// and N/DURATION limits by value, anything else as text.
func sameDefault(doc, code string) bool {
	if doc == code {
		return true
	}
	if a, err := time.ParseDuration(doc); err == nil {
		b, err := time.ParseDuration(code)
		return err == nil && a == b
	}
	an, ad, ok1 := strings.Cut(doc, "/")
	bn, bd, ok2 := strings.Cut(code, "/")
	if ok1 && ok2 {
		a, errA := strconv.Atoi(an)
		b, errB := strconv.Atoi(bn)
		return errA == nil && errB == nil && a == b && sameDefault(ad, bd)
	}
	return false
}

// TestReadmeServeFlags keeps the README's table of serve flags true: every
// flag is in it, and every default it gives is the one the code uses.
func TestReadmeServeFlags(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c serveConfig
	bindServeFlags(fs, &c, true)
	defaults, named := readmeServeTable(t)
	usageDefault := regexp.MustCompile(`\(default ([^)]+)\)`)
	fs.VisitAll(func(f *flag.Flag) {
		if !named[f.Name] {
			t.Errorf("README: --%s is missing from the serve table", f.Name)
			return
		}
		doc, ok := defaults[f.Name]
		if !ok {
			return
		}
		code := f.DefValue
		if code == "" {
			if m := usageDefault.FindStringSubmatch(f.Usage); m != nil {
				code = m[1]
			}
		}
		if !sameDefault(doc, code) {
			t.Errorf("README: --%s defaults to %q, the code to %q", f.Name, doc, code)
		}
	})
	for name := range named {
		if fs.Lookup(name) == nil {
			t.Errorf("README: the serve table names --%s, which serve has not", name)
		}
	}
}

// readmeSection returns the README's text from the heading to the next
// heading of the same level.
func readmeSection(t *testing.T, file, heading string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), heading+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", file, heading)
	}
	level := heading[:strings.Index(heading, " ")+1]
	if i := strings.Index(section, "\n"+level); i >= 0 {
		section = section[:i]
	}
	return section
}

// TestReadmeCommands keeps the README's table of commands true: every leaf
// command has a row, every row names a command, and every flag a row gives
// is one of that command's.
func TestReadmeCommands(t *testing.T) {
	section := readmeSection(t, "../../README.md", "## Commands")
	names := map[string]*command{}
	leaves(commands, "", func(name string, c *command) { names[name] = c })
	documented := map[string]bool{}
	flagRE := regexp.MustCompile(`--([a-z0-9-]+)`)
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `safeguard ") {
			continue
		}
		for _, seg := range strings.Split(splitRow(line)[0], "·") {
			seg = strings.Trim(strings.TrimSpace(seg), "`")
			words := strings.Fields(strings.TrimPrefix(seg, "safeguard "))
			name := ""
			for n := min(2, len(words)); n > 0 && name == ""; n-- {
				if names[strings.Join(words[:n], " ")] != nil {
					name = strings.Join(words[:n], " ")
				}
			}
			if name == "" {
				t.Errorf("README: %q names no command", seg)
				continue
			}
			documented[name] = true
			own := leafFlags(t, name)
			for _, m := range flagRE.FindAllStringSubmatch(seg, -1) {
				if _, ok := own[m[1]]; !ok {
					t.Errorf("README: %q gives --%s, which %s has not", seg, m[1], name)
				}
			}
		}
	}
	for name := range names {
		if !documented[name] {
			t.Errorf("README: safeguard %s has no row in the commands table", name)
		}
	}
}

// TestDataDirectoryLayoutDocumented: the README's picture of the data
// directory and docs/storage.md's table name every part of it, and only
// those.
func TestDataDirectoryLayoutDocumented(t *testing.T) {
	readme := readmeSection(t, "../../README.md", "### Data directory")
	for _, name := range layoutNames {
		if !strings.Contains(readme, name) {
			t.Errorf("README: the data directory lacks %s", name)
		}
	}
	storage := readmeSection(t, "../../docs/storage.md", "## The data directory")
	var table []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(storage, -1) {
		table = append(table, strings.TrimSuffix(m[1], "/"))
	}
	if !slices.Equal(table, layoutNames) {
		t.Errorf("docs/storage.md lays out %v; the code %v", table, layoutNames)
	}
}

// TestReadmeExamplesAfterDemo runs the README's commands after the demo,
// as written, in an empty directory: each succeeds.
func TestReadmeExamplesAfterDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo story takes a few seconds")
	}
	section := readmeSection(t, "../../README.md", "### Data directory")
	_, block, ok := strings.Cut(section, "After the demo, these work as written")
	if !ok {
		t.Fatal("README: no examples after the demo")
	}
	_, block, _ = strings.Cut(block, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	// The lines that build the binary and go to the directory outside the
	// repository are the shell's; here that directory is a test's own.
	t.Chdir(t.TempDir())
	subst := regexp.MustCompile(`\$\(\./safeguard ([^)]*)\)`)
	cat := regexp.MustCompile(`\$\(cat ([^)]*)\)`)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		if strings.HasPrefix(line, "mkdir ") || strings.HasPrefix(line, "go build ") || strings.HasPrefix(line, "cd ") {
			if strings.Contains(line, "/work/") || !strings.Contains(line, "/tmp/") {
				t.Errorf("README example %q does not go outside the repository", line)
			}
			continue
		}
		cmd, ok := strings.CutPrefix(line, "./safeguard ")
		if !ok {
			t.Fatalf("README example %q does not run ./safeguard", line)
		}
		cmd, into, redirect := strings.Cut(cmd, " > ")
		cmd = subst.ReplaceAllStringFunc(cmd, func(s string) string {
			out, errOut, code := runCmd(t, nil, exampleArgs(t, subst.FindStringSubmatch(s)[1])...)
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", s, code, errOut)
			}
			return strings.TrimSpace(out)
		})
		cmd = cat.ReplaceAllStringFunc(cmd, func(s string) string {
			b, err := os.ReadFile(cat.FindStringSubmatch(s)[1])
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			return strings.TrimSpace(string(b))
		})
		out, errOut, code := runCmd(t, nil, exampleArgs(t, cmd)...)
		if code != 0 {
			t.Errorf("README: %s: exit %d\n%s\n%s", line, code, out, errOut)
		}
		if redirect {
			if err := os.WriteFile(strings.TrimSpace(into), []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		n++
	}
	if n < 5 {
		t.Errorf("README: %d examples after the demo", n)
	}
}
