package stats

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Table is a Dataset made ready to read: the force rows as published, a
// computed total over the forces that provided figures, the forces that did
// not, every stated total checked, and each app's share of the total.
type Table struct {
	Dataset *Dataset
	// Cells are the force rows' values as shown: Dataset.Rows' values, with
	// small counts replaced once Suppress has been called.
	Cells [][]Value
	// Computed is, per column, the sum over the forces that provided a
	// figure; NotProvided when none did.
	Computed []Value
	// Providing is, per column, how many forces provided a figure.
	Providing []int
	// Silent are the indexes in Dataset.Rows of the forces that provided
	// no figure in any column.
	Silent []int
	// Checks compare each stated total with the computed sum, column by
	// column, where the stated total gives a figure.
	Checks []Check
	// Shares are the apps' shares of the total column; empty when the
	// dataset has no total column.
	Shares []Share
	// SuppressedBelow is the threshold Suppress applied, 0 if none.
	SuppressedBelow int64
	// Withheld counts the cells and totals Suppress withheld to protect a
	// suppressed count (secondary suppression).
	Withheld int
	// Internal marks a table whose small counts are shown, for operators
	// only: every format says so at the top.
	Internal bool

	trueComputed []Value // Computed before Suppress
}

// InternalBanner heads every format of an Internal table.
const InternalBanner = "INTERNAL — unsuppressed figures for operators, not for publication"

// Check is one stated total compared with the sum it claims to be.
type Check struct {
	Label    string // the stated total's label, e.g. "East Total"
	Line     int    // its row in the source file
	Column   string
	Stated   int64
	Computed int64 // the sum of the covered forces that provided a figure
	Forces   int   // how many forces make up Computed
	Covered  int   // how many forces the stated total covers
}

// OK reports whether the stated total agrees with the computed sum.
func (c Check) OK() bool { return c.Stated == c.Computed }

// Warning describes a mismatch in a sentence naming both figures.
func (c Check) Warning() string {
	return fmt.Sprintf("%s (row %d), %s: stated %d, computed %d from %s",
		c.Label, c.Line, c.Column, c.Stated, c.Computed, forcesProviding(c.Forces, c.Covered))
}

// forcesProviding says "the 5 of 7 forces that provided figures".
func forcesProviding(n, of int) string {
	switch {
	case n == 0:
		return "no force (none of the forces it covers provided a figure)"
	case n == of && n == 1:
		return "the 1 force it covers"
	case n == of:
		return fmt.Sprintf("the %d forces it covers", n)
	case n == 1:
		return fmt.Sprintf("the 1 of %d forces that provided a figure", of)
	}
	return fmt.Sprintf("the %d of %d forces that provided figures", n, of)
}

// Share is one app's count as a share of the total of the same forces.
type Share struct {
	Column  string
	Count   int64   // the app's count over Forces
	Of      int64   // the total column's count over the same Forces
	Forces  int     // the forces that provided both figures
	Percent float64 // 100 × Count / Of
	// Denominator names in words what Percent is a share of.
	Denominator string
	// Suppressed is set by Suppress when Count or Of is kept from
	// publication (small, or withheld with the cells): the share is not
	// shown, and ShownCount and ShownOf say what is.
	Suppressed          bool
	ShownCount, ShownOf Value
}

// NewTable builds the table of d. It does not change d.
func NewTable(d *Dataset) *Table {
	t := &Table{Dataset: d}
	ncol := len(d.Columns)
	t.Computed = make([]Value, ncol)
	t.Providing = make([]int, ncol)
	if d.Layout == LayoutPlatform {
		for j, c := range d.Columns {
			if !c.Published {
				t.Computed[j] = Num(0) // the platform's own counts: nothing counted is zero, not "not provided"
			}
		}
	}
	for _, r := range d.Rows {
		t.Cells = append(t.Cells, append([]Value(nil), r.Values...))
		for j, v := range r.Values {
			if v.State == Count {
				t.Computed[j] = Num(t.Computed[j].N + v.N)
				t.Providing[j]++
			}
		}
	}
	for i, r := range d.Rows {
		if !anyCount(r.Values) {
			t.Silent = append(t.Silent, i)
		}
	}
	for _, st := range d.StatedTotals {
		for j, sv := range st.Values {
			if sv.State != Count {
				continue
			}
			c := Check{Label: st.Label, Line: st.Line, Column: d.Columns[j].Name, Stated: sv.N, Covered: len(st.Covers)}
			for _, i := range st.Covers {
				if v := d.Rows[i].Values[j]; v.State == Count {
					c.Computed += v.N
					c.Forces++
				}
			}
			t.Checks = append(t.Checks, c)
		}
	}
	t.Shares = shares(d)
	return t
}

func anyCount(vs []Value) bool {
	for _, v := range vs {
		if v.State == Count {
			return true
		}
	}
	return false
}

// shares computes each app's share of the total column over the forces that
// provided both figures, so numerator and denominator always cover the same
// forces.
func shares(d *Dataset) []Share {
	tc := d.TotalColumn()
	if tc < 0 {
		return nil
	}
	var out []Share
	for j, c := range d.Columns {
		if j == tc {
			continue
		}
		s := Share{Column: c.Name}
		for _, r := range d.Rows {
			if r.Values[j].State == Count && r.Values[tc].State == Count {
				s.Count += r.Values[j].N
				s.Of += r.Values[tc].N
				s.Forces++
			}
		}
		if s.Forces == 0 || s.Of == 0 {
			continue
		}
		s.Percent = 100 * float64(s.Count) / float64(s.Of)
		s.Denominator = ShareWords(d.MeasureOrDefault(), s.Forces)
		if d.Layout == LayoutPlatform {
			s.Denominator = PlatformShareWords(d.MeasureOrDefault(), d.Period)
		}
		s.ShownCount, s.ShownOf = Num(s.Count), Num(s.Of)
		out = append(out, s)
	}
	return out
}

// ShareWords names a share's denominator: "share of all online child sexual
// offences recorded by the 5 forces that provided figures". It never speaks
// of "incidents where the method was recorded", which is a different
// denominator that a force × app table does not have.
func ShareWords(measure string, forces int) string {
	if forces == 1 {
		return fmt.Sprintf("share of all %s recorded by the 1 force that provided figures", measure)
	}
	return fmt.Sprintf("share of all %s recorded by the %d forces that provided figures", measure, forces)
}

// PlatformShareWords names the denominator of a share of the platform's own
// counts: "share of all cases the platform opened in 2026-Q3 (the platform's
// own records, not crimes recorded by the police)". The platform counts
// every police force area, so no force is left out of it.
func PlatformShareWords(measure, period string) string {
	in := ""
	if period != "" {
		in = " in " + period
	}
	return fmt.Sprintf("share of all %s%s (the platform's own records, not crimes recorded by the police)", measure, in)
}

// Mismatches returns the checks whose stated total disagrees with the sum.
func (t *Table) Mismatches() []Check {
	var out []Check
	for _, c := range t.Checks {
		if !c.OK() {
			out = append(out, c)
		}
	}
	return out
}

// Warnings returns one sentence per mismatched stated total.
func (t *Table) Warnings() []string {
	var out []string
	for _, c := range t.Mismatches() {
		out = append(out, "stated total does not agree with the rows: "+c.Warning())
	}
	return out
}

// SilentNames returns the forces that provided no figure, as published.
func (t *Table) SilentNames() []string {
	var out []string
	for _, i := range t.Silent {
		out = append(out, t.Dataset.Rows[i].Force)
	}
	return out
}

// ComputedLabel names the computed total row: "Computed total (5 of 7
// forces)".
func (t *Table) ComputedLabel() string {
	if t.Dataset.Layout == LayoutPlatform {
		n, what := len(t.Dataset.Rows), t.rowWords()
		if n != 1 {
			what += "s"
		}
		return fmt.Sprintf("Total (%d %s)", n, what)
	}
	n := len(t.Dataset.Rows) - len(t.Silent)
	return fmt.Sprintf("Computed total (%d of %d forces)", n, len(t.Dataset.Rows))
}

// NotProvidedSentence says which forces provided nothing, or "" if all did.
func (t *Table) NotProvidedSentence() string {
	if len(t.Silent) == 0 {
		return ""
	}
	return fmt.Sprintf("Not provided: %s (%d of %d forces; not counted as zero).",
		strings.Join(t.SilentNames(), ", "), len(t.Silent), len(t.Dataset.Rows))
}

// Title is the heading every format uses: "Online child sexual offences by
// police force and app"; for the platform's own counts, "Cases the platform
// opened, by police force area and detection source". An Internal table's
// title starts with InternalBanner.
func (t *Table) Title() string {
	d := t.Dataset
	m := capitalise(d.MeasureOrDefault())
	title := m + " by police force and " + d.ColumnKindOrDefault()
	if d.Layout == LayoutPlatform {
		title = m + ", by " + t.rowWords()
		if d.ColumnKind != NoSplit {
			title += " and " + d.ColumnKindOrDefault()
		}
	}
	if t.Internal {
		return InternalBanner + ": " + title
	}
	return title
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// rowWords says what a row is: "police force", "police force area" for the
// platform's own counts, or the dataset's RowKind.
func (t *Table) rowWords() string {
	switch d := t.Dataset; {
	case d.RowKind != "":
		return d.RowKind
	case d.Layout == LayoutPlatform:
		return "police force area"
	}
	return "police force"
}

// RowHeader names the first column: "Police force", "Police force area",
// or the dataset's RowKind.
func (t *Table) RowHeader() string { return capitalise(t.rowWords()) }
