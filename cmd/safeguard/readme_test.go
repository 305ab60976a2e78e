package main

import (
	"flag"
	"os"
	"regexp"
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
