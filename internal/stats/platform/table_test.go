package platform

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

// grid returns a dataset's rows as label and counts, then the computed
// totals, as shown.
func shown(t *stats.Table) map[string][]string {
	out := map[string][]string{}
	for i, r := range t.Dataset.Rows {
		for _, v := range t.Cells[i] {
			out[r.Force] = append(out[r.Force], v.String())
		}
	}
	for _, v := range t.Computed {
		out["total"] = append(out["total"], v.String())
	}
	return out
}

func columns(d *stats.Dataset) []string {
	var out []string
	for _, c := range d.Columns {
		out = append(out, c.Name)
	}
	return out
}

func TestTableCounts(t *testing.T) {
	tests := []struct {
		by    By
		count Count
		cols  []string
		want  map[string][]string
	}{
		{ByForce, CountCases, []string{"cases", ColumnReported}, map[string][]string{
			"Bedfordshire": {"6", "1"}, "Cambridgeshire": {"6", "1"}, NotRecorded: {"1", "0"}, "total": {"13", "2"}}},
		{ByApp, CountCases, []string{"cases", "chat", "kids"}, map[string][]string{
			"Bedfordshire": {"6", "4", "2"}, "Cambridgeshire": {"6", "5", "1"}, NotRecorded: {"1", "1", "0"}, "total": {"13", "10", "3"}}},
		{BySource, CountCases, []string{"cases", "image match", "URL match", "risk alert", "user report", "franking report", "scan failure", "new image"}, map[string][]string{
			"Bedfordshire":   {"6", "3", "0", "2", "1", "0", "0", "0"},
			"Cambridgeshire": {"6", "1", "1", "0", "4", "0", "0", "0"},
			NotRecorded:      {"1", "0", "0", "0", "1", "0", "0", "0"},
			"total":          {"13", "4", "1", "2", "6", "0", "0", "0"}}},
		{ByPriority, CountCases, []string{"cases", "priority 1", "priority 2", "priority 3"}, map[string][]string{
			"Bedfordshire": {"6", "3", "2", "1"}, "Cambridgeshire": {"6", "1", "1", "4"}, NotRecorded: {"1", "0", "0", "1"}, "total": {"13", "4", "3", "6"}}},
		{ByForce, CountReports, []string{"reports"}, map[string][]string{
			"Bedfordshire": {"1"}, "Cambridgeshire": {"1"}, "total": {"2"}}},
		{ByPriority, CountReports, []string{"reports", "priority 1", "priority 2", "priority 3"}, map[string][]string{
			"Bedfordshire": {"1", "1", "0", "0"}, "Cambridgeshire": {"1", "0", "0", "1"}, "total": {"2", "1", "0", "1"}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.count)+"/"+string(tt.by), func(t *testing.T) {
			d := Table(fixture(), Query{Period: q3, By: tt.by, Count: tt.count, Apps: []string{"chat", "kids"}, Now: countedAt})
			if diff := cmp.Diff(tt.cols, columns(d)); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, shown(stats.NewTable(d))); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if d.Partition != (tt.by != ByForce) || d.Layout != stats.LayoutPlatform {
				t.Errorf("partition %v, layout %s", d.Partition, d.Layout)
			}
			// The areas come in name order, "not recorded" last.
			var rows []string
			for _, r := range d.Rows {
				rows = append(rows, r.Force)
			}
			if rows[0] != "Bedfordshire" || rows[1] != "Cambridgeshire" {
				t.Errorf("rows %v", rows)
			}
		})
	}
}

func TestTableWords(t *testing.T) {
	tb := stats.NewTable(Table(fixture(), Query{Period: q3, By: ByApp, Apps: []string{"chat", "kids"}, Now: countedAt}))
	tb.Suppress(stats.SuppressBelow)
	var b strings.Builder
	if err := tb.Render(&b, stats.FormatText); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Cases the platform opened, by police force area and app",
		"Police force area",
		"Total (3 police force areas)",
		"share of all cases the platform opened in 2026-Q3 (the platform's own records, not crimes recorded by the police)",
		"Cases opened from 1 July to 30 September 2026 (UTC)",
		"Counted: 2026-10-02 09:00 UTC",
		"<3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	for _, never := range []string{"recorded by the", "forces that provided figures", "not provided"} {
		if strings.Contains(strings.ReplaceAll(out, "not crimes recorded by the police", ""), never) {
			t.Errorf("platform text speaks of police-recorded data (%q):\n%s", never, out)
		}
	}
}

func TestTableEmptyPeriod(t *testing.T) {
	d := Table(nil, Query{Period: q3, By: BySource, Now: countedAt})
	tb := stats.NewTable(d)
	if len(d.Rows) != 0 || tb.Computed[0] != stats.Num(0) {
		t.Errorf("no cases: rows %v, total %v; want no rows and 0", d.Rows, tb.Computed[0])
	}
	for _, f := range stats.Formats {
		var b strings.Builder
		if err := tb.Render(&b, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseByAndCount(t *testing.T) {
	for in, want := range map[string]By{"": ByForce, "force": ByForce, "APP": ByApp, "source": BySource, "priority": ByPriority} {
		if got, err := ParseBy(in); err != nil || got != want {
			t.Errorf("ParseBy(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseBy("colour"); err == nil {
		t.Error("ParseBy(colour) accepted")
	}
	for in, want := range map[string]Count{"": CountCases, "cases": CountCases, "Reports": CountReports} {
		if got, err := ParseCount(in); err != nil || got != want {
			t.Errorf("ParseCount(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseCount("people"); err == nil {
		t.Error("ParseCount(people) accepted")
	}
}

// TestFootnoteIsASentence renders what `safeguard stats platform` prints
// with small counts suppressed, split three ways that each leave some
// shares out: the last line, under the shares, is a sentence, and no share
// reads as bare codes such as "<3 of withheld  suppressed".
func TestFootnoteIsASentence(t *testing.T) {
	sentence := regexp.MustCompile(`^[A-Z"].*[a-z0-9)]\.$`)
	for _, by := range []By{ByForce, ByApp, BySource} {
		tb := stats.NewTable(Table(fixture(), Query{Period: q3, By: by, Apps: []string{"chat", "kids"}, Now: countedAt}))
		tb.Suppress(stats.SuppressBelow)
		var b strings.Builder
		if err := tb.Render(&b, stats.FormatText); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if last := lines[len(lines)-1]; !sentence.MatchString(last) || strings.Contains(last, "  ") {
			t.Errorf("by %s: the text ends %q, not a sentence:\n%s", by, last, b.String())
		}
		for _, l := range lines {
			if strings.Contains(l, "of withheld") || strings.HasSuffix(l, "suppressed") || strings.Contains(l, "(s)") {
				t.Errorf("by %s: %q", by, l)
			}
		}
	}
}
