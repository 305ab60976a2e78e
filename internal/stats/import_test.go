package stats

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard"
)

// fixedNow is the import time of every test dataset.
var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func importString(t *testing.T, in string, opt ImportOptions) (*Dataset, error) {
	t.Helper()
	if opt.Now == nil {
		opt.Now = fixedNow
	}
	return Import(t.Context(), strings.NewReader(in), opt)
}

func importEast(t *testing.T) *Dataset {
	t.Helper()
	f, err := os.Open("testdata/east-of-england-2019.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Import(t.Context(), f, ImportOptions{
		Name: "east-of-england-2019", Period: "2019",
		Source: "NSPCC Freedom of Information requests to police forces, as published by the Bedford Independent",
		Now:    fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestImportEastOfEngland(t *testing.T) {
	d := importEast(t)
	if d.Layout != LayoutTable || d.ForceHeader != "police_force" {
		t.Errorf("layout %q, force header %q", d.Layout, d.ForceHeader)
	}
	wantCols := []Column{{Name: "total_online_offences", Total: true}, {Name: "facebook_or_messenger", Total: false}, {Name: "instagram", Total: false}, {Name: "whatsapp", Total: false}}
	if diff := cmp.Diff(wantCols, d.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	np := Value{}
	want := []Row{
		{Line: 2, Lines: []int{2}, Force: "Bedfordshire", ForceCode: "E23000026", Values: []Value{Num(193), Num(23), Num(50), Num(10)}},
		{Line: 3, Lines: []int{3}, Force: "Cambridgeshire", ForceCode: "E23000023", Values: []Value{Num(173), Num(29), Num(69), Num(8)}},
		{Line: 4, Lines: []int{4}, Force: "Essex", ForceCode: "E23000028", Values: []Value{np, np, np, np}},
		{Line: 5, Lines: []int{5}, Force: "Hertfordshire", ForceCode: "E23000027", Values: []Value{Num(94), Num(8), Num(28), Num(4)}},
		{Line: 6, Lines: []int{6}, Force: "Norfolk", ForceCode: "E23000024", Values: []Value{Num(204), Num(61), Num(52), Num(5)}},
		{Line: 7, Lines: []int{7}, Force: "Northamptonshire", ForceCode: "E23000022", Values: []Value{np, np, np, np}},
		{Line: 8, Lines: []int{8}, Force: "Suffolk", ForceCode: "E23000025", Values: []Value{Num(208), Num(41), Num(89), Num(5)}},
	}
	if diff := cmp.Diff(want, d.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantStated := []StatedTotal{{Line: 9, Label: "East Total", Values: []Value{Num(877), Num(162), Num(288), Num(32)}, Covers: []int{0, 1, 2, 3, 4, 5, 6}}}
	if diff := cmp.Diff(wantStated, d.StatedTotals); diff != "" {
		t.Errorf("stated totals (-want +got):\n%s", diff)
	}
	if !d.ImportedAt.Equal(fixedNow()) {
		t.Errorf("ImportedAt = %v", d.ImportedAt)
	}
}

func TestImportTolerates(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][]Value // per force row
	}{
		{"BOM and CRLF", "\ufeffForce,Total,App A\r\nEssex,10,3\r\nKent,5,n/a\r\n",
			[][]Value{{Num(10), Num(3)}, {Num(5), {}}}},
		{"quoted thousands and spaces", "Force , Total offences , App A\n  Essex  , \"1,234\" ,  12 \nKent,\" 2,000 \",N/A\n",
			[][]Value{{Num(1234), Num(12)}, {Num(2000), {}}}},
		{"blank lines and empty rows", "Force,Total,App\n\nEssex,1,1\n,,\nKent,2,–\n",
			[][]Value{{Num(1), Num(1)}, {Num(2), {}}}},
		{"trailing empty cells", "Force,Total,App,,\nEssex,1,1,,\nKent,2,-,,\n",
			[][]Value{{Num(1), Num(1)}, {Num(2), {}}}},
		{"every word for not provided", "Force,Total\nEssex,not provided\nKent,Not Provided\nSurrey,n/a\nSussex,N/A\nDorset,-\nWiltshire,–\nGwent,\n",
			[][]Value{{{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}}},
		{"force name variants", "Force,Total\nDevon & Cornwall,1\nMetropolitan Police Service,2\nCity of London,3\nAvon and Somerset Constabulary,4\nThames Valley,5\n",
			[][]Value{{Num(1)}, {Num(2)}, {Num(3)}, {Num(4)}, {Num(5)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := importString(t, tt.in, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got [][]Value
			for _, r := range d.Rows {
				got = append(got, r.Values)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportForceVariantsMapToCodes(t *testing.T) {
	d, err := importString(t, "Force,Total\nDevon & Cornwall,1\nMetropolitan Police Service,2\nCity of London,3\nAvon and Somerset Constabulary,4\nThames Valley,5\n", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.Rows {
		got = append(got, r.ForceCode)
	}
	want := []string{"E23000035", "E23000001", "E23000034", "E23000036", "E23000029"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name, in, code string
		msg            []string // substrings the message must hold
	}{
		{"empty file", "", "returns_empty", []string{"empty"}},
		{"only a BOM", "\ufeff", "returns_empty", []string{"empty"}},
		{"header only", "Force,Total,App\n", "returns_no_rows", []string{"header but no rows"}},
		{"header and blank lines", "Force,Total,App\n\n\n", "returns_no_rows", []string{"no rows"}},
		{"totals only", "Force,Total\nEast Total,5\n", "returns_no_rows", []string{"total rows but no police force rows"}},
		{"no number columns", "Force\nEssex\n", "returns_header", []string{"row 1", "number columns"}},
		{"empty header cell", "Force,,App\nEssex,1,2\n", "returns_header", []string{"row 1, column 2", "empty"}},
		{"value under no header", "Force,Total,\nEssex,1,2\n", "returns_ragged", []string{"row 2 has 3 cells", "header has 2"}},
		{"quoted cell never closed", "Force,Total\nEssex,\"1\nKent,2\n", "returns_csv", []string{"row 2, column 7", "never closed"}},
		{"text after a quote", "Force,Total\nEssex,\"1\" x\n", "returns_csv", []string{"row 2", "after a closing quote"}},
		{"duplicate header", "Force,App,app\nEssex,1,2\n", "returns_header", []string{"columns 2 and 3", `"app"`}},
		{"two total columns", "Force,Total,Total apps\nEssex,1,2\n", "returns_header", []string{"two total columns"}},
		{"unknown force", "Force,Total\nEssex,1\nGotham City,3\n", "returns_unknown_force", []string{"row 3", `"Gotham City"`}},
		{"row numbers count lines", "Force,Total\n\"Essex\nPolice\",1\nGotham,2\n", "returns_unknown_force", []string{"row 4", `"Gotham"`}},
		{"no force named", "Force,Total\nEssex,1\n,3\n", "returns_unknown_force", []string{"row 3", "empty"}},
		{"force twice", "Force,Total\nEssex,1\nKent,2\nEssex Police,3\n", "returns_duplicate_force", []string{"row 4", `"Essex Police"`, "row 2", `"Essex"`, "--sum"}},
		{"negative", "Force,Total,App\nEssex,1,-4\n", "returns_bad_cell", []string{"row 2", `"App"`, "negative", "-4"}},
		{"text in a number cell", "Force,Total,App\nEssex,1,lots\n", "returns_bad_cell", []string{"row 2", `"App"`, `"lots"`}},
		{"decimal", "Force,Total\nEssex,1.5\n", "returns_bad_cell", []string{"row 2", "whole number"}},
		{"too few cells", "Force,Total,App\nEssex,1,2\nKent,3\n", "returns_ragged", []string{"row 3 has 2 cells", "header has 3"}},
		{"too many cells", "Force,Total,App\nEssex,1,2,3\n", "returns_ragged", []string{"row 2 has 4 cells"}},
		{"bad quotes", "Force,Total\nEssex,\"1\n", "returns_csv", []string{"row"}},
		{"stray quote", "Force,Total\nEs\"sex,1\n", "returns_csv", []string{"row 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := importString(t, tt.in, ImportOptions{})
			if err == nil {
				t.Fatalf("Import = %+v, want an error", d)
			}
			if !errors.Is(err, safeguard.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if got := safeguard.ErrorCode(err); got != tt.code {
				t.Errorf("code = %q, want %q (%v)", got, tt.code, err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(safeguard.ErrorMessage(err), m) {
					t.Errorf("message %q does not contain %q", safeguard.ErrorMessage(err), m)
				}
			}
		})
	}
}

func TestImportSum(t *testing.T) {
	in := "Force,Total,App\nEssex,10,4\nKent,1,1\nEssex Police,\"1,000\",6\nEssex,5,0\n"
	d, err := importString(t, in, ImportOptions{Sum: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 2, Lines: []int{2, 4, 5}, Force: "Essex", ForceCode: "E23000028", Values: []Value{Num(1015), Num(10)}},
		{Line: 3, Lines: []int{3}, Force: "Kent", ForceCode: "E23000032", Values: []Value{Num(1), Num(1)}},
	}
	if diff := cmp.Diff(want, d.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	d, err = importString(t, "Force,Total\nEssex,n/a\nEssex,n/a\n", ImportOptions{Sum: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := d.Rows[0].Values[0]; v.State != NotProvided {
		t.Errorf("not provided + not provided = %v, want not provided", v)
	}

	_, err = importString(t, "Force,Total\nEssex,3\nEssex,n/a\n", ImportOptions{Sum: true})
	if safeguard.ErrorCode(err) != "returns_sum_mixed" || !strings.Contains(err.Error(), "row 3") || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("adding a figure to not provided: %v, want returns_sum_mixed naming rows 3 and 2", err)
	}
}

func TestImportStatedTotalsCover(t *testing.T) {
	in := `Force,Total
Essex,1
Kent,2
South East Total,3
Norfolk,10
Suffolk,20
East Total,30
Grand Total,33
`
	d, err := importString(t, in, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int
	for _, st := range d.StatedTotals {
		got = append(got, st.Covers)
	}
	want := [][]int{{0, 1}, {2, 3}, {0, 1, 2, 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("covers (-want +got):\n%s", diff)
	}
	if m := NewTable(d).Mismatches(); len(m) != 0 {
		t.Errorf("mismatches %+v, want none", m)
	}
}

func TestImportProgressAndCancel(t *testing.T) {
	in := "Force,Total\nEssex,1\nKent,2\n"
	var calls []int64
	_, err := importString(t, in, ImportOptions{Size: int64(len(in)), Progress: func(read, total int64) {
		if total != int64(len(in)) {
			t.Errorf("progress total = %d, want %d", total, len(in))
		}
		calls = append(calls, read)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != int64(len(in)) {
		t.Errorf("progress calls %v, want the last to be %d", calls, len(in))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] < calls[i-1] {
			t.Errorf("progress went back: %v", calls)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, strings.NewReader(in), ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a cancelled context = %v, want context.Canceled", err)
	}
}
