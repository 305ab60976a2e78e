package stats

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard/internal/golden"
)

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got)
}

// extension is the golden file suffix of each format.
var extension = map[Format]string{
	FormatText: "txt", FormatMarkdown: "md", FormatCSV: "csv", FormatJSON: "json", FormatHTML: "html",
}

// suppressedDataset is a synthetic table of the platform's own counts with
// small cells, a zero and a force without figures.
func suppressedDataset() *Dataset {
	return &Dataset{
		Name: "synthetic-own-cases", Period: "2026-Q1", Source: "synthetic test data",
		ImportedAt: fixedNow(), Layout: LayoutTable, Measure: "cases opened by the platform",
		ForceHeader: "police_force",
		Columns:     []Column{{Name: "cases", Total: true}, {Name: "App A", Total: false}, {Name: "App B", Total: false}, {Name: "App C", Total: false}},
		Rows: []Row{
			{Line: 2, Lines: []int{2}, Force: "Essex", ForceCode: "E23000028", Values: []Value{Num(40), Num(1), Num(0), Num(12)}},
			{Line: 3, Lines: []int{3}, Force: "Kent", ForceCode: "E23000032", Values: []Value{Num(3), Num(1), Num(3), Num(0)}},
			{Line: 4, Lines: []int{4}, Force: "Norfolk", ForceCode: "E23000024", Values: []Value{{}, {}, {}, {}}},
		},
	}
}

func TestGolden(t *testing.T) {
	suppressed := NewTable(suppressedDataset())
	suppressed.Suppress(SuppressBelow)
	tables := map[string]*Table{
		"east-of-england-2019": NewTable(importEast(t)),
		"incidents-sample":     NewTable(importIncidentsSample(t)),
		"suppressed":           suppressed,
	}
	for name, tb := range tables {
		for _, f := range Formats {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				if err := tb.Render(&b, f); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, name+"."+extension[f], b.Bytes())
			})
		}
	}
}

func TestEastOfEnglandText(t *testing.T) {
	var b strings.Builder
	if err := NewTable(importEast(t)).Render(&b, FormatText); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, force := range []string{"Bedfordshire", "Cambridgeshire", "Essex", "Hertfordshire", "Norfolk", "Northamptonshire", "Suffolk"} {
		if !strings.Contains(out, force) {
			t.Errorf("no row for %s", force)
		}
	}
	for _, want := range []string{
		"Not provided: Essex, Northamptonshire",
		"Computed total (5 of 7 forces)",
		"share of all online child sexual offences recorded by the 5 forces that provided figures",
		"162 of 872   18.6%", "288 of 872   33.0%", "32 of 872    3.7%",
		"Warning: stated total does not agree with the rows: East Total (row 9), total_online_offences: stated 877, computed 872",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text does not contain %q:\n%s", want, out)
		}
	}
	// Not provided is never zero: Essex's row has no 0 in it.
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Essex") && strings.Contains(line, " 0") {
			t.Errorf("Essex shown with a zero: %q", line)
		}
	}
}

func TestJSONKeepsStatesApart(t *testing.T) {
	var b bytes.Buffer
	tb := NewTable(suppressedDataset())
	tb.Suppress(SuppressBelow)
	if err := tb.Render(&b, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Forces []struct {
			Force  string
			Values []Value
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]State{}
	for _, f := range doc.Forces {
		for _, v := range f.Values {
			got[f.Force] = append(got[f.Force], v.State)
		}
	}
	want := map[string][]State{
		"Essex":   {Count, Suppressed, Count, Count},
		"Kent":    {Count, Suppressed, Count, Count},
		"Norfolk": {NotProvided, NotProvided, NotProvided, NotProvided},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states read back (-want +got):\n%s", diff)
	}
}

func TestHTMLEscapesSourceText(t *testing.T) {
	in := "Force,<b>Total</b>,\"<script>alert(1)</script>\"\nEssex,1,1\n"
	d, err := importString(t, in, ImportOptions{Name: "<i>x</i>", Source: "a & b"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := NewTable(d).Render(&b, FormatHTML); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<b>", "<i>x"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("HTML contains %q unescaped", bad)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if got, err := ParseFormat(strings.ToUpper(string(f))); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("pdf"); err == nil || !strings.Contains(err.Error(), "text, markdown, csv, json, html") {
		t.Errorf("ParseFormat(pdf) = %v, want an error listing the formats", err)
	}
}
