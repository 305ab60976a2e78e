package stats

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard"
)

func importIncidentsSample(t *testing.T) *Dataset {
	t.Helper()
	f, err := os.Open("testdata/incidents-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Import(t.Context(), f, ImportOptions{Name: "incidents-sample", Source: "synthetic test data", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestImportIncidents(t *testing.T) {
	d := importIncidentsSample(t)
	if d.Layout != LayoutIncidents {
		t.Fatalf("layout = %q, want incidents", d.Layout)
	}
	if d.Period != "2019-01-04 to 2019-12-31" {
		t.Errorf("period = %q, want the range of the dates", d.Period)
	}
	wantCols := []Column{{Name: "total", Total: true}, {Name: "Facebook", Total: false}, {Name: "Instagram", Total: false}, {Name: "Snapchat", Total: false}, {Name: "WhatsApp", Total: false}, {Name: NotRecordedColumn, Total: false}}
	if diff := cmp.Diff(wantCols, d.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	want := []Row{
		{Line: 2, Lines: []int{2}, Force: "Bedfordshire Police", ForceCode: "E23000026", Values: []Value{Num(4), Num(0), Num(2), Num(1), Num(0), Num(1)}},
		{Line: 6, Lines: []int{6}, Force: "Hertfordshire Constabulary", ForceCode: "E23000027", Values: []Value{Num(4), Num(1), Num(1), Num(0), Num(1), Num(1)}},
		{Line: 10, Lines: []int{10}, Force: "Suffolk", ForceCode: "E23000025", Values: []Value{Num(3), Num(0), Num(1), Num(2), Num(0), Num(0)}},
	}
	if diff := cmp.Diff(want, d.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// The given period wins over the dates.
	d, err := importString(t, "force,date,app\nEssex,2020-01-01,X\n", ImportOptions{Period: "2020"})
	if err != nil || d.Period != "2020" {
		t.Errorf("period = %q, %v; want the given one", d.Period, err)
	}
}

func TestDetectIncidents(t *testing.T) {
	tests := []struct {
		header []string
		want   incidentColumns
		ok     bool
	}{
		{[]string{"force", "date", "app"}, incidentColumns{0, 1, 2}, true},
		{[]string{"Offence ID", "Date recorded", "Police Force", "Platform"}, incidentColumns{2, 1, 3}, true},
		{[]string{"police_force", "online_method", "offence_date"}, incidentColumns{0, 2, 1}, true},
		{[]string{"police_force", "total_online_offences", "instagram"}, incidentColumns{}, false},
		{[]string{"force", "date"}, incidentColumns{}, false},
		{[]string{"happened", "updated", "force"}, incidentColumns{}, false},
	}
	for _, tt := range tests {
		got, ok := detectIncidents(tt.header)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("detectIncidents(%q) = %+v, %v; want %+v, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestImportIncidentsErrors(t *testing.T) {
	tests := []struct {
		name, in, code string
		msg            []string
	}{
		{"header only", "force,date,app\n", "returns_no_rows", []string{"no rows"}},
		{"unknown force", "force,date,app\nEssex,2019-01-01,X\nAtlantis,2019-01-02,X\n", "returns_unknown_force", []string{"row 3", `"Atlantis"`}},
		{"empty force", "force,date,app\n,2019-01-01,X\n", "returns_unknown_force", []string{"row 2", "empty"}},
		{"bad date", "force,date,app\nEssex,2019-02-30,X\n", "returns_bad_date", []string{"row 2", `"2019-02-30"`}},
		{"no date", "force,date,app\nEssex,,X\n", "returns_bad_date", []string{"row 2", `""`}},
		{"words for a date", "force,date,app\nEssex,last tuesday,X\n", "returns_bad_date", []string{"row 2"}},
		{"ragged", "force,date,app\nEssex,2019-01-01\n", "returns_ragged", []string{"row 2 has 2 cells"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := importString(t, tt.in, ImportOptions{})
			if got := safeguard.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q, want %q (%v)", got, tt.code, err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(safeguard.ErrorMessage(err), m) {
					t.Errorf("message %q does not contain %q", safeguard.ErrorMessage(err), m)
				}
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"2019-03-14", 20190314, true},
		{" 2019-03-14 ", 20190314, true},
		{"2019-03-14T10:00:00Z", 20190314, true},
		{"2019-03-14 10:00", 20190314, true},
		{"14/03/2019", 20190314, true},
		{"2020-02-29", 20200229, true},
		{"2019-02-29", 0, false},
		{"1900-02-29", 0, false},
		{"2000-02-29", 20000229, true},
		{"2019-13-01", 0, false},
		{"2019-00-10", 0, false},
		{"2019-04-31", 0, false},
		{"03/14/2019", 0, false},
		{"2019-3-14", 0, false},
		{"2019-03-14x", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseDate(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
