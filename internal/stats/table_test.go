package stats

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTableEastOfEngland(t *testing.T) {
	tb := NewTable(importEast(t))
	if diff := cmp.Diff([]Value{Num(872), Num(162), Num(288), Num(32)}, tb.Computed); diff != "" {
		t.Errorf("computed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{5, 5, 5, 5}, tb.Providing); diff != "" {
		t.Errorf("providing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Essex", "Northamptonshire"}, tb.SilentNames()); diff != "" {
		t.Errorf("not provided (-want +got):\n%s", diff)
	}
	// Checked by hand: 193+173+94+204+208 = 872, but the source states 877;
	// the app columns agree (162, 288, 32).
	want := []Check{{Label: "East Total", Line: 9, Column: "total_online_offences", Stated: 877, Computed: 872, Forces: 5, Covered: 7}}
	if diff := cmp.Diff(want, tb.Mismatches()); diff != "" {
		t.Errorf("mismatches (-want +got):\n%s", diff)
	}
	if len(tb.Checks) != 4 {
		t.Errorf("%d checks, want one per column", len(tb.Checks))
	}
	w := tb.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "stated 877") || !strings.Contains(w[0], "computed 872") {
		t.Errorf("warnings = %q, want one naming 877 and 872", w)
	}
	words := "share of all online child sexual offences recorded by the 5 forces that provided figures"
	wantShares := []Share{
		{Column: "facebook_or_messenger", Count: 162, Of: 872, Forces: 5, Percent: 100 * 162.0 / 872, Denominator: words, ShownCount: Num(162), ShownOf: Num(872)},
		{Column: "instagram", Count: 288, Of: 872, Forces: 5, Percent: 100 * 288.0 / 872, Denominator: words, ShownCount: Num(288), ShownOf: Num(872)},
		{Column: "whatsapp", Count: 32, Of: 872, Forces: 5, Percent: 100 * 32.0 / 872, Denominator: words, ShownCount: Num(32), ShownOf: Num(872)},
	}
	if diff := cmp.Diff(wantShares, tb.Shares); diff != "" {
		t.Errorf("shares (-want +got):\n%s", diff)
	}
}

func TestSharesCoverTheSameForces(t *testing.T) {
	// Kent gave a total but no app figures; Surrey gave app figures but no
	// total. Neither may enter a share, whose count and denominator must
	// come from the same forces.
	in := "Force,Total,App A,App B\nEssex,100,10,20\nKent,50,n/a,5\nSurrey,n/a,7,7\n"
	d, err := importString(t, in, ImportOptions{Measure: "widgets"})
	if err != nil {
		t.Fatal(err)
	}
	tb := NewTable(d)
	want := []Share{
		{Column: "App A", Count: 10, Of: 100, Forces: 1, Percent: 10, Denominator: "share of all widgets recorded by the 1 force that provided figures", ShownCount: Num(10), ShownOf: Num(100)},
		{Column: "App B", Count: 25, Of: 150, Forces: 2, Percent: 100 * 25.0 / 150, Denominator: "share of all widgets recorded by the 2 forces that provided figures", ShownCount: Num(25), ShownOf: Num(150)},
	}
	if diff := cmp.Diff(want, tb.Shares); diff != "" {
		t.Errorf("shares (-want +got):\n%s", diff)
	}
	if len(tb.Silent) != 0 {
		t.Errorf("silent = %v; every force gave something", tb.Silent)
	}
	var out strings.Builder
	if err := tb.Render(&out, FormatText); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "method was recorded") {
		t.Errorf("text speaks of the charity's denominator:\n%s", out.String())
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w.Denominator) {
			t.Errorf("text does not name %q:\n%s", w.Denominator, out.String())
		}
	}
}

func TestTableWithoutTotalColumn(t *testing.T) {
	d, err := importString(t, "Force,App A,App B\nEssex,1,2\nKent,n/a,n/a\n", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tb := NewTable(d)
	if len(tb.Shares) != 0 {
		t.Errorf("shares %+v without a total column", tb.Shares)
	}
	for _, f := range Formats {
		var b strings.Builder
		if err := tb.Render(&b, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestTableColumnNobodyProvided(t *testing.T) {
	d, err := importString(t, "Force,Total,App\nEssex,1,n/a\nKent,2,n/a\nRegion total,3,4\n", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tb := NewTable(d)
	if v := tb.Computed[1]; v.State != NotProvided {
		t.Errorf("computed total of a column nobody provided = %v, want not provided", v)
	}
	m := tb.Mismatches()
	if len(m) != 1 || m[0].Column != "App" || m[0].Forces != 0 {
		t.Fatalf("mismatches %+v, want the App column against no force", m)
	}
	if !strings.Contains(m[0].Warning(), "no force") {
		t.Errorf("warning %q does not say no force provided a figure", m[0].Warning())
	}
}

func TestTableSuppress(t *testing.T) {
	tb := NewTable(suppressedDataset())
	tb.Suppress(SuppressBelow)
	got := map[string][]string{}
	for i, r := range tb.Dataset.Rows {
		for _, v := range tb.Cells[i] {
			got[r.Force] = append(got[r.Force], v.String())
		}
	}
	want := map[string][]string{
		"Essex":   {"40", "<3", "0", "12"},
		"Kent":    {"3", "<3", "3", "0"},
		"Norfolk": {"not provided", "not provided", "not provided", "not provided"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cells (-want +got):\n%s", diff)
	}
	// App A's total is 2 over two cells of 1: shown as <3 it would give
	// them away (two counts of at least 1 below 3), so it is withheld.
	if c := tb.Computed; c[1].String() != "withheld" || c[0].String() != "43" || c[2].String() != "3" {
		t.Errorf("computed = %v; want App A's total withheld, others shown", c)
	}
	// The dataset itself keeps the true counts.
	if v := tb.Dataset.Rows[0].Values[1]; v != Num(1) {
		t.Errorf("Suppress changed the dataset: %v", v)
	}
}
