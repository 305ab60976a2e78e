package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/police"
)

func TestStatsImportListShowDelete(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stats.db")
	code, out, errOut := runStats(t, nil, "stats", "import", eastFile, "--db", db, "--name", "east-2019", "--period", "2019", "--source", "NSPCC FOI requests")
	if code != 0 || !strings.Contains(out, `stored "east-2019": 7 forces × 4 columns, period 2019`) {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "stated 877, computed 872") {
		t.Errorf("import does not warn about the stated total: %q", errOut)
	}
	// The name is taken: refused with a way out, or replaced.
	code, _, errOut = runStats(t, nil, "stats", "import", eastFile, "--db", db, "--name", "east-2019")
	if code != 1 || !strings.Contains(errOut, `a dataset named "east-2019" is stored already`) || !strings.Contains(errOut, "--replace") {
		t.Errorf("import twice: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runStats(t, nil, "stats", "import", eastFile, "--db", db, "--name", "east-2019", "--period", "2019", "--replace"); code != 0 {
		t.Errorf("--replace: exit %d, %q", code, errOut)
	}
	// SAFEGUARD_DB stands for --db.
	env := map[string]string{"SAFEGUARD_DB": db}
	code, out, _ = runStats(t, env, "stats", "list")
	if code != 0 || !strings.Contains(out, "east-2019  2019    table   7       4") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	code, out, _ = runStats(t, env, "stats", "list", "--json")
	var list struct {
		Datasets []struct {
			Name   string `json:"name"`
			Forces int    `json:"forces"`
		} `json:"datasets"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list.Datasets) != 1 || list.Datasets[0].Forces != 7 {
		t.Errorf("list --json: exit %d, %v\n%s", code, err, out)
	}
	// show prints what returns prints for the same file.
	code, shown, _ := runStats(t, env, "stats", "show", "east-2019", "--format", "csv")
	_, direct, _ := runStats(t, nil, "stats", "returns", eastFile, "--period", "2019", "--format", "csv")
	if code != 0 || shown != direct {
		t.Errorf("show differs from returns:\n%s\n---\n%s", shown, direct)
	}
	if code, _, _ := runStats(t, env, "stats", "show", "east-2019", "--strict"); code != 1 {
		t.Errorf("show --strict with a mismatched stated total: exit %d, want 1", code)
	}
	if code, _, errOut := runStats(t, env, "stats", "show", "west"); code != 1 || !strings.Contains(errOut, `no dataset named "west"`) {
		t.Errorf("show missing: exit %d, %q", code, errOut)
	}
	if code, out, _ := runStats(t, env, "stats", "delete", "east-2019"); code != 0 || out != "deleted \"east-2019\"\n" {
		t.Errorf("delete: exit %d, %q", code, out)
	}
	if code, _, errOut := runStats(t, env, "stats", "delete", "east-2019"); code != 1 || !strings.Contains(errOut, "no dataset named") {
		t.Errorf("delete twice: exit %d, %q", code, errOut)
	}
	if code, out, _ := runStats(t, env, "stats", "list"); code != 0 || !strings.Contains(out, "no datasets stored") {
		t.Errorf("empty list: %q", out)
	}
	// Bad input is refused before anything is stored.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("Force,Total\nGotham,1\n"), 0o644)
	if code, _, errOut := runStats(t, env, "stats", "import", bad); code != 1 || !strings.Contains(errOut, `row 2: unknown police force "Gotham"`) {
		t.Errorf("bad file: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{{"stats", "import"}, {"stats", "show"}, {"stats", "delete", "a", "b"}, {"stats", "list", "x"}} {
		if code, _, _ := runStats(t, env, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// writeIncidents writes an incident-level file of n offences: every force
// in turn, dates through 2019, a few apps and some with none recorded.
func writeIncidents(t testing.TB, path string, n int) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	forces := police.Forces()
	apps := []string{"Instagram", "Facebook", "Snapchat", "WhatsApp", "", "Kik"}
	w.WriteString("police_force,offence_date,app\n")
	for i := range n {
		fmt.Fprintf(w, "%s,2019-%02d-%02d,%s\n", forces[i%len(forces)].Name, 1+i%12, 1+i%28, apps[(i/7)%len(apps)])
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(path)
	return fi.Size()
}

func TestStatsImportIncidentsWithProgress(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "incidents.csv")
	writeIncidents(t, file, 20000)
	db := filepath.Join(dir, "stats.db")
	code, out, errOut := runStats(t, nil, "stats", "import", file, "--db", db, "--progress")
	want := fmt.Sprintf(`stored "incidents": %d forces × 7 columns, period 2019-01-01 to 2019-12-28 (incidents,`, len(police.Forces()))
	if code != 0 || !strings.Contains(out, want) ||
		!strings.Contains(out, "20000 rows") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "incidents [##############################] 100%") {
		t.Errorf("no progress bar on stderr: %q", errOut)
	}
	code, out, _ = runStats(t, nil, "stats", "show", "incidents", "--db", db, "--format", "json")
	var tb struct {
		Computed struct {
			Values []json.RawMessage `json:"values"`
		} `json:"computed_total"`
	}
	if err := json.Unmarshal([]byte(out), &tb); code != 0 || err != nil || string(tb.Computed.Values[0]) != "20000" {
		t.Errorf("stored dataset's total: exit %d, %v, %s", code, err, tb.Computed.Values)
	}
}

// BenchmarkStatsImport imports an incident-level file of one million
// offences into a fresh SQLite store, the whole command, and reports rows
// per second.
func BenchmarkStatsImport(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	file := filepath.Join(dir, "incidents-1m.csv")
	size := writeIncidents(b, file, rows)
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		db := filepath.Join(dir, fmt.Sprintf("bench-%d.db", i))
		var out, errb strings.Builder
		code := run(b.Context(), []string{"stats", "import", file, "--db", db, "--progress"}, func(string) string { return "" },
			strings.NewReader(""), &out, &errb)
		if code != 0 || !strings.Contains(out.String(), "1000000 rows") {
			b.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestStatsPlatformCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stats.db")
	env := map[string]string{"SAFEGUARD_DB": db, "SAFEGUARD_APPS": "chat,kids"}
	if code, _, errOut := runStats(t, env, "stats", "import", eastFile, "--name", "east-2019", "--period", "2019"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"stats", "platform", "--period", "2026-Q3"}, 0, "Cases the platform opened, by police force area"},
		{[]string{"stats", "platform", "--period", "2026-Q3", "--by", "app", "--format", "csv"}, 0, "row_type,police_force_area,ons_code,source_rows,cases,chat,kids"},
		{[]string{"stats", "platform", "--period", "2026", "--count", "reports", "--format", "json"}, 0, `"measure": "reports the platform made to law enforcement"`},
		{[]string{"stats", "platform", "--period", "2026-07", "--unsuppressed"}, 0, "INTERNAL — unsuppressed figures for operators, not for publication"},
		{[]string{"stats", "compare", "--period", "2019", "--returns", "east-2019"}, 0, "recorded by the police: total_online_offences"},
		{[]string{"stats", "impact", "--period", "2026-Q3", "--format", "markdown"}, 0, "# What each encryption policy would have cost"},
		{[]string{"transparency", "--period", "2026-Q3", "--format", "markdown"}, 0, "None configured"},
		{[]string{"transparency", "--period", "2026-Q3"}, 0, "<!doctype html>"},
		{[]string{"stats", "platform"}, 2, "--period is required"},
		{[]string{"stats", "platform", "--period", "2026-Q7"}, 2, `period "2026-Q7"`},
		{[]string{"stats", "platform", "--period", "2026", "--by", "colour"}, 2, `by "colour"`},
		{[]string{"stats", "platform", "--period", "2026", "--count", "people"}, 2, `count "people"`},
		{[]string{"stats", "impact", "--period", "2026", "--format", "csv"}, 2, "unknown format"},
		{[]string{"transparency", "--period", "2026", "--format", "text"}, 2, "use one of html, markdown, json"},
		{[]string{"stats", "platform", "--period", "2026", "--encryption", "some"}, 2, `--encryption "some"`},
		{[]string{"stats", "compare", "--period", "2019"}, 2, "--returns NAME is required"},
		{[]string{"stats", "compare", "--period", "2020", "--returns", "east-2019"}, 1, `covers "2019", not 2020`},
		{[]string{"stats", "compare", "--period", "2019", "--returns", "west"}, 1, `No dataset named "west"`},
	}
	for _, tt := range tests {
		code, out, errOut := runStats(t, env, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, want %d and %q\n%s%s", tt.args, code, tt.code, tt.want, out, errOut)
		}
	}
}
