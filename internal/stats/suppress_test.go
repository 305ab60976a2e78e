package stats

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ownCounts is a platform-style dataset: the platform's own counts by force,
// with the given columns and rows of counts (no "not provided").
func ownCounts(partition bool, cols []Column, rows ...[]int64) *Dataset {
	d := &Dataset{Name: "own", Period: "2026-Q3", Layout: LayoutPlatform, Measure: "cases the platform opened",
		Columns: cols, Partition: partition}
	forces := []struct{ name, code string }{{"Bedfordshire", "E23000026"}, {"Cambridgeshire", "E23000023"},
		{"Essex", "E23000028"}, {"Hertfordshire", "E23000027"}, {"Kent", "E23000032"}, {"Norfolk", "E23000024"}}
	for i, r := range rows {
		vs := make([]Value, len(r))
		for j, n := range r {
			vs[j] = Num(n)
		}
		d.Rows = append(d.Rows, Row{Force: forces[i].name, ForceCode: forces[i].code, Values: vs})
	}
	return d
}

func shownGrid(t *Table) [][]string {
	var out [][]string
	for _, row := range t.Cells {
		var r []string
		for _, v := range row {
			r = append(r, v.String())
		}
		out = append(out, r)
	}
	var r []string
	for _, v := range t.Computed {
		r = append(r, v.String())
	}
	return append(out, r)
}

func TestSuppressSecondary(t *testing.T) {
	one := []Column{{Name: "cases"}}
	split := []Column{{Name: "cases", Total: true}, {Name: "chat"}, {Name: "kids"}}
	tests := []struct {
		name      string
		partition bool
		cols      []Column
		rows      [][]int64
		want      [][]string // force rows, then the computed total row
	}{
		{
			// The leak Suppress used to have: 13 - 5 - 7 gives the 1 away.
			// The next-smallest cell, 5, is withheld with it.
			name: "one small cell in a column with a published total",
			cols: one, rows: [][]int64{{1}, {5}, {7}},
			want: [][]string{{"<3"}, {"withheld"}, {"7"}, {"13"}},
		},
		{
			// 1 + 3 = 4: with the 3 withheld, the <3 may be 1 or 2.
			name: "the only other cell is just above the threshold",
			cols: one, rows: [][]int64{{1}, {3}},
			want: [][]string{{"<3"}, {"withheld"}, {"4"}},
		},
		{
			// 2 = 1 + 1: two counts of at least 1 under a total below 3
			// can only be 1 and 1. Nothing is left to hide, so the total
			// is shown as withheld, which says nothing of its size.
			name: "a small total over two small cells",
			cols: one, rows: [][]int64{{1}, {1}, {0}},
			want: [][]string{{"<3"}, {"<3"}, {"0"}, {"withheld"}},
		},
		{
			// Two cells of 2 add up to 4: both must be 2. Nothing else is
			// shown to withhold, so the total is.
			name: "two small cells whose sum pins them",
			cols: one, rows: [][]int64{{2}, {2}, {0}},
			want: [][]string{{"<3"}, {"<3"}, {"0"}, {"withheld"}},
		},
		{
			name: "two small cells whose sum does not pin them",
			cols: one, rows: [][]int64{{1}, {2}, {9}},
			want: [][]string{{"<3"}, {"<3"}, {"9"}, {"12"}},
		},
		{
			name: "a small total hides its column already",
			cols: one, rows: [][]int64{{1}, {0}},
			want: [][]string{{"<3"}, {"0"}, {"<3"}},
		},
		{
			name: "nothing small, nothing hidden",
			cols: one, rows: [][]int64{{0}, {4}},
			want: [][]string{{"0"}, {"4"}, {"4"}},
		},
		{
			// Rows add up too when the columns split the total: in
			// Bedfordshire 6 = 5 + 1 would give the kids' 1 away, and in
			// the kids column 1 + 4 = 5 would. The chat cell beside it and
			// the kids cell below are withheld, then Cambridgeshire's chat
			// to protect that one.
			name: "a partition protects rows as well as columns", partition: true,
			cols: split, rows: [][]int64{{6, 5, 1}, {10, 6, 4}},
			want: [][]string{{"6", "withheld", "<3"}, {"10", "withheld", "withheld"}, {"16", "11", "5"}},
		},
		{
			name: "without a partition the rows are not sums", partition: false,
			cols: split, rows: [][]int64{{6, 5, 1}, {10, 6, 4}},
			want: [][]string{{"6", "5", "<3"}, {"10", "6", "withheld"}, {"16", "11", "5"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := NewTable(ownCounts(tt.partition, tt.cols, tt.rows...))
			tb.Suppress(SuppressBelow)
			if diff := cmp.Diff(tt.want, shownGrid(tb)); diff != "" {
				t.Errorf("shown (-want +got):\n%s", diff)
			}
			if n := auditGroups(tb); n != "" {
				t.Errorf("a hidden figure can be worked out: %s", n)
			}
		})
	}
}

// auditGroups works out, by trying every possibility, what a reader learns
// from each published sum: for every column (and, in a partition, every
// row) whose total is shown, each hidden cell's possible values given the
// total, the shown cells, that a suppressed count is 1 … 2 and a withheld
// one at least 3; and that no hidden total is the sum of shown cells alone.
// It returns a description of the first figure left with a single possible
// value, or "".
func auditGroups(t *Table) string {
	d := t.Dataset
	type member struct {
		v    Value
		name string
	}
	check := func(total Value, trueTotal int64, ms []member) string {
		if total.Hidden() {
			for _, m := range ms {
				if m.v.Hidden() {
					return ""
				}
			}
			return fmt.Sprintf("a hidden total is the sum of %d shown cells", len(ms))
		}
		rest := trueTotal
		var hid []member
		for _, m := range ms {
			if m.v.Hidden() {
				hid = append(hid, m)
			} else {
				rest -= m.v.N
			}
		}
		if len(hid) == 0 {
			return ""
		}
		seen := make([]map[int64]bool, len(hid))
		for i := range seen {
			seen[i] = map[int64]bool{}
		}
		vals := make([]int64, len(hid))
		var try func(k int, left int64)
		try = func(k int, left int64) {
			if k == len(hid) {
				if left == 0 {
					for i, v := range vals {
						seen[i][v] = true
					}
				}
				return
			}
			lo, hi := int64(0), left
			if hid[k].v.State == Suppressed {
				lo, hi = 1, SuppressBelow-1
			}
			for v := lo; v <= hi && v <= left; v++ {
				vals[k] = v
				try(k+1, left-v)
			}
		}
		try(0, rest)
		for i, s := range seen {
			if len(s) < 2 {
				return fmt.Sprintf("%s has %d possible value(s)", hid[i].name, len(s))
			}
		}
		return ""
	}
	trueComputed := NewTable(d).Computed
	for j := range d.Columns {
		var ms []member
		for i, r := range d.Rows {
			ms = append(ms, member{t.Cells[i][j], fmt.Sprintf("%s/%s", r.Force, d.Columns[j].Name)})
		}
		if s := check(t.Computed[j], trueComputed[j].N, ms); s != "" {
			return s
		}
	}
	tc := d.TotalColumn()
	if !d.Partition || tc < 0 {
		return ""
	}
	for i, r := range d.Rows {
		var ms []member
		for j := range d.Columns {
			if j != tc {
				ms = append(ms, member{t.Cells[i][j], fmt.Sprintf("%s/%s", r.Force, d.Columns[j].Name)})
			}
		}
		if s := check(t.Cells[i][tc], r.Values[tc].N, ms); s != "" {
			return s
		}
	}
	var ms []member
	for j := range d.Columns {
		if j != tc {
			ms = append(ms, member{t.Computed[j], "total/" + d.Columns[j].Name})
		}
	}
	return check(t.Computed[tc], trueComputed[tc].N, ms)
}

// TestSuppressRandomTables suppresses many random partitioned tables of
// small counts and audits every published sum by brute force.
func TestSuppressRandomTables(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	withheld := 0
	for n := range 2000 {
		nrows, napps := 1+r.IntN(5), 1+r.IntN(3)
		cols := []Column{{Name: "cases", Total: true}}
		for a := range napps {
			cols = append(cols, Column{Name: fmt.Sprintf("app %d", a)})
		}
		var rows [][]int64
		for range nrows {
			row := make([]int64, napps+1)
			for a := 1; a <= napps; a++ {
				if r.IntN(3) > 0 {
					row[a] = int64(r.IntN(7))
				}
				row[0] += row[a]
			}
			rows = append(rows, row)
		}
		tb := NewTable(ownCounts(true, cols, rows...))
		tb.Suppress(SuppressBelow)
		if tb.Withheld > 0 {
			withheld++
		}
		if s := auditGroups(tb); s != "" {
			t.Fatalf("table %d %v: %s; shown %v", n, rows, s, shownGrid(tb))
		}
		for i, row := range tb.Cells {
			for j, v := range row {
				c := rows[i][j]
				if (c == 1 || c == 2) && !v.Hidden() || c == 0 && v.State == Suppressed || c >= 3 && v.State == Suppressed {
					t.Fatalf("table %d %v: cell %d/%d of %d shown as %v", n, rows, i, j, c, v)
				}
			}
		}
	}
	t.Logf("%d of 2000 tables needed secondary suppression", withheld)
	if withheld < 500 {
		t.Errorf("only %d tables needed secondary suppression: the test exercises too little", withheld)
	}
}

func TestSuppressSharesAndPublishedColumns(t *testing.T) {
	d := ownCounts(true, []Column{{Name: "cases", Total: true}, {Name: "chat"}, {Name: "kids"}}, []int64{2, 1, 1})
	tb := NewTable(d)
	tb.Suppress(SuppressBelow)
	// 2 = 1 + 1 gives both away, so the total is shown as withheld.
	for _, s := range tb.Shares {
		if !s.Suppressed || s.ShownOf.State != Withheld {
			t.Errorf("share %+v of a withheld total is shown", s)
		}
	}
	var b strings.Builder
	if err := tb.Render(&b, FormatText); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<3 (total withheld)") || strings.Contains(b.String(), "of 2") {
		t.Errorf("text shows a suppressed denominator:\n%s", b.String())
	}

	// A police figure beside the platform's own is public already.
	d = ownCounts(false, []Column{{Name: "recorded by the police", Published: true}, {Name: "platform referrals"}},
		[]int64{1, 1}, []int64{7, 9})
	tb = NewTable(d)
	tb.Suppress(SuppressBelow)
	if diff := cmp.Diff([][]string{{"1", "<3"}, {"7", "withheld"}, {"8", "10"}}, shownGrid(tb)); diff != "" {
		t.Errorf("shown (-want +got):\n%s", diff)
	}
}

// TestSuppressTogether: the same cases split by app and by detection source
// share their row totals. Bedfordshire's 2 cases are 1 + 1 by app, so "<3"
// there would give both away and the total is withheld; by source they are
// 2 + 0, where "<3" alone would be safe — but beside the first table it
// would tell a reader the 1 + 1 add up to no more than 2. The total must be
// withheld in both.
func TestSuppressTogether(t *testing.T) {
	byApp := ownCounts(true, []Column{{Name: "cases", Total: true}, {Name: "chat"}, {Name: "kids"}},
		[]int64{2, 1, 1}, []int64{10, 6, 4}, []int64{9, 9, 0})
	bySource := ownCounts(true, []Column{{Name: "cases", Total: true}, {Name: "image match"}, {Name: "user report"}},
		[]int64{2, 2, 0}, []int64{10, 3, 7}, []int64{9, 5, 4})
	a, b := NewTable(byApp), NewTable(bySource)
	SuppressTogether(SuppressBelow, a, b)
	for _, tb := range []*Table{a, b} {
		if s := auditGroups(tb); s != "" {
			t.Errorf("%s: %s; shown %v", tb.Dataset.Columns[1].Name, s, shownGrid(tb))
		}
	}
	for i := range byApp.Rows {
		if a.Cells[i][0] != b.Cells[i][0] {
			t.Errorf("row %d total shown as %v by app and %v by source", i, a.Cells[i][0], b.Cells[i][0])
		}
	}
	if a.Computed[0] != b.Computed[0] {
		t.Errorf("grand total shown as %v and %v", a.Computed[0], b.Computed[0])
	}
	if a.Cells[0][0].State != Withheld {
		t.Errorf("Bedfordshire's total shown as %v", a.Cells[0][0])
	}
}

// auditWhole works out, by trying every possibility, what a reader learns
// from all the published sums of a table at once — rows and columns
// together: every assignment of the hidden figures (a suppressed count 1 …
// 2, a withheld one from 0 up to well above the table's true grand total) that makes
// every published sum add up. It returns a description of the first hidden
// figure left with a single possible value, or "".
func auditWhole(t *Table) string {
	d := t.Dataset
	type ref struct{ row, col int }
	val := func(r ref) Value {
		if r.row < 0 {
			return t.Computed[r.col]
		}
		return t.Cells[r.row][r.col]
	}
	var eqs [][]ref // first the total, then the members
	for j := range d.Columns {
		eq := []ref{{-1, j}}
		for i := range d.Rows {
			eq = append(eq, ref{i, j})
		}
		eqs = append(eqs, eq)
	}
	tc := d.TotalColumn()
	if d.Partition && tc >= 0 {
		for i := range d.Rows {
			eq := []ref{{i, tc}}
			for j := range d.Columns {
				if j != tc {
					eq = append(eq, ref{i, j})
				}
			}
			eqs = append(eqs, eq)
		}
		eq := []ref{{-1, tc}}
		for j := range d.Columns {
			if j != tc {
				eq = append(eq, ref{-1, j})
			}
		}
		eqs = append(eqs, eq)
	}
	var grand int64
	for _, v := range NewTable(d).Computed {
		grand = max(grand, v.N)
	}
	var hidden []ref
	index := map[ref]int{}
	for i := -1; i < len(d.Rows); i++ {
		for j := range d.Columns {
			if val(ref{i, j}).Hidden() {
				index[ref{i, j}] = len(hidden)
				hidden = append(hidden, ref{i, j})
			}
		}
	}
	if len(hidden) == 0 {
		return ""
	}
	seen := make([]map[int64]bool, len(hidden))
	for i := range seen {
		seen[i] = map[int64]bool{}
	}
	vals := make([]int64, len(hidden))
	bounds := func(h int) (int64, int64) {
		if val(hidden[h]).State == Suppressed {
			return 1, SuppressBelow - 1
		}
		return 0, grand + SuppressBelow // above anything true: a cap only removes possibilities
	}
	// check reports whether every sum can still add up with the first n
	// hidden figures assigned and the others anywhere in their ranges.
	check := func(n int) bool {
		for _, eq := range eqs {
			var lo, hi int64
			for k, r := range eq {
				sign := int64(1)
				if k == 0 {
					sign = -1
				}
				h, ok := index[r]
				switch {
				case !ok:
					lo += sign * val(r).N
					hi += sign * val(r).N
				case h < n:
					lo += sign * vals[h]
					hi += sign * vals[h]
				default:
					l, u := bounds(h)
					if sign > 0 {
						lo, hi = lo+l, hi+u
					} else {
						lo, hi = lo-u, hi-l
					}
				}
			}
			if lo > 0 || hi < 0 {
				return false
			}
		}
		return true
	}
	open := len(hidden) // figures seen with fewer than two values
	var try func(n int)
	try = func(n int) {
		if open == 0 {
			return // every figure has two possible values already
		}
		if n == len(hidden) {
			for i, v := range vals {
				if !seen[i][v] {
					seen[i][v] = true
					if len(seen[i]) == 2 {
						open--
					}
				}
			}
			return
		}
		lo, hi := bounds(n)
		for v := lo; v <= hi; v++ {
			vals[n] = v
			if check(n + 1) {
				try(n + 1)
			}
		}
	}
	try(0)
	for i, s := range seen {
		if len(s) < 2 {
			r := hidden[i]
			name := "total"
			if r.row >= 0 {
				name = d.Rows[r.row].Force
			}
			return fmt.Sprintf("%s/%s has %d possible value(s) %v", name, d.Columns[r.col].Name, len(s), s)
		}
	}
	return ""
}

// TestSuppressWholeTables audits random partitioned tables with rows and
// columns together, by brute force.
func TestSuppressWholeTables(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 1000 {
		nrows, napps := 2+r.IntN(3), 2+r.IntN(2)
		cols := []Column{{Name: "cases", Total: true}}
		for a := range napps {
			cols = append(cols, Column{Name: fmt.Sprintf("app %d", a)})
		}
		var rows [][]int64
		for range nrows {
			row := make([]int64, napps+1)
			for a := 1; a <= napps; a++ {
				row[a] = int64(r.IntN(5))
				row[0] += row[a]
			}
			rows = append(rows, row)
		}
		tb := NewTable(ownCounts(true, cols, rows...))
		tb.Suppress(SuppressBelow)
		if s := auditWhole(tb); s != "" {
			t.Fatalf("table %d %v: %s; shown %v", n, rows, s, shownGrid(tb))
		}
	}
}
