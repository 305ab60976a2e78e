package stats

// Suppress prepares the table for publication. Primary suppression: every
// force cell and computed total from 1 to below-1 becomes Suppressed ("<3").
// Zero stays zero; not provided stays not provided; columns marked Published
// are left alone.
//
// Secondary suppression: a suppressed count must not be recoverable by
// subtracting the shown cells from a published total. Each column with its
// computed total, and — when the dataset is a Partition — each force row
// with its total and the computed total row with the grand total, is a
// group: cells whose sum is published. In every group whose total is shown,
// Suppress works out what a reader can (the hidden cells add up to the total
// less the shown ones; a suppressed count lies in 1 … below-1, a withheld
// one is at least below) and, while that pins any hidden cell to a single
// value, withholds one more: the smallest non-zero shown cell of the group,
// or the group's total when no such cell is left. A withheld cell starts
// this over for the groups it is in; the loop ends because every step hides
// one more figure.
//
// The groups are audited one by one: a reader who combines several rows and
// columns at once may narrow a hidden cell further than any one group lets
// them (tools such as τ-ARGUS solve that with linear programming). The
// platform's tables have one total column and one split, which keeps the
// combinations few; docs/statistics.md states the rule and this limit.
//
// Checks, computed totals and shares are worked out from the true counts
// and the dataset is left unchanged; a share whose count or denominator is
// hidden is suppressed with them.
func (t *Table) Suppress(below int64) {
	t.SuppressedBelow = below
	d := t.Dataset
	for _, row := range t.Cells {
		for j, v := range row {
			if !d.Columns[j].Published {
				row[j] = Suppress(v, below)
			}
		}
	}
	trueComputed := append([]Value(nil), t.Computed...)
	for j, v := range t.Computed {
		if !d.Columns[j].Published {
			t.Computed[j] = Suppress(v, below)
		}
	}

	groups := t.groups()
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			if t.hidden(g.total) || t.groupSafe(g, below, trueComputed) {
				continue
			}
			t.withhold(t.nextToWithhold(g, trueComputed))
			changed = true
		}
	}
	t.Withheld = 0
	for _, row := range t.Cells {
		for _, v := range row {
			if v.State == Withheld {
				t.Withheld++
			}
		}
	}
	for _, v := range t.Computed {
		if v.State == Withheld {
			t.Withheld++
		}
	}

	tc := d.TotalColumn()
	for i, s := range t.Shares {
		j := columnIndex(d, s.Column)
		s.ShownCount, s.ShownOf = Suppress(Num(s.Count), below), Num(s.Of)
		if j >= 0 && s.Forces == t.Providing[j] && s.Count == trueComputed[j].N && t.Computed[j].Hidden() {
			s.ShownCount = t.Computed[j]
		}
		if tc >= 0 && s.Forces == t.Providing[tc] && s.Of == trueComputed[tc].N {
			s.ShownOf = t.Computed[tc]
		} else if tc >= 0 && !d.Columns[tc].Published {
			s.ShownOf = Suppress(Num(s.Of), below)
		}
		s.Suppressed = s.ShownCount.Hidden() || s.ShownOf.Hidden()
		t.Shares[i] = s
	}
}

func columnIndex(d *Dataset, name string) int {
	for j, c := range d.Columns {
		if c.Name == name {
			return j
		}
	}
	return -1
}

// cell names one figure of the table: a force cell, or with row -1 a
// computed total.
type cell struct{ row, col int }

// group is a set of cells whose sum is published as total.
type group struct {
	total   cell
	members []cell
}

// groups lists the sums a reader can subtract from: each column and its
// computed total; with a partition, each force row and its total, and the
// computed totals and the grand total.
func (t *Table) groups() []group {
	d := t.Dataset
	var gs []group
	for j, c := range d.Columns {
		if c.Published || t.Computed[j].State == NotProvided {
			continue
		}
		g := group{total: cell{-1, j}}
		for i, r := range d.Rows {
			if r.Values[j].State == Count {
				g.members = append(g.members, cell{i, j})
			}
		}
		gs = append(gs, g)
	}
	tc := d.TotalColumn()
	if !d.Partition || tc < 0 || d.Columns[tc].Published {
		return gs
	}
	apps := d.appColumns()
	for i, r := range d.Rows {
		if r.Values[tc].State != Count {
			continue
		}
		g := group{total: cell{i, tc}}
		for _, j := range apps {
			if r.Values[j].State == Count && !d.Columns[j].Published {
				g.members = append(g.members, cell{i, j})
			}
		}
		gs = append(gs, g)
	}
	g := group{total: cell{-1, tc}}
	for _, j := range apps {
		if t.Computed[j].State != NotProvided && !d.Columns[j].Published {
			g.members = append(g.members, cell{-1, j})
		}
	}
	return append(gs, g)
}

func (t *Table) shown(c cell) *Value {
	if c.row < 0 {
		return &t.Computed[c.col]
	}
	return &t.Cells[c.row][c.col]
}

func (t *Table) hidden(c cell) bool { return t.shown(c).Hidden() }

// trueValue is the count behind a cell, as counted.
func (t *Table) trueValue(c cell, trueComputed []Value) int64 {
	if c.row < 0 {
		return trueComputed[c.col].N
	}
	return t.Dataset.Rows[c.row].Values[c.col].N
}

func (t *Table) withhold(c cell) { *t.shown(c) = Value{State: Withheld} }

// groupSafe reports whether no hidden cell of g can be worked out from its
// published total. A reader knows the hidden cells add up to the total less
// the shown cells, that a suppressed count lies in 1 … below-1, and that a
// withheld count is at least below (small counts are suppressed, not
// withheld) with no upper bound but the sum. A cell is pinned when the least
// and the most it can be under those bounds meet.
func (t *Table) groupSafe(g group, below int64, trueComputed []Value) bool {
	const unbounded = int64(1) << 60 // far above any count; sums of a few stay in range
	type bound struct{ lo, hi int64 }
	var hid []bound
	sum := t.trueValue(g.total, trueComputed)
	for _, m := range g.members {
		v := t.shown(m)
		switch {
		case v.State == Suppressed:
			hid = append(hid, bound{1, below - 1})
		case v.State == Withheld:
			hid = append(hid, bound{below, unbounded})
		default:
			sum -= v.N
		}
	}
	for k, b := range hid {
		var otherLo, otherHi int64
		for i, o := range hid {
			if i != k {
				otherLo += o.lo
				otherHi = min(unbounded, otherHi+o.hi)
			}
		}
		least := max(b.lo, sum-otherHi)
		most := min(b.hi, sum-otherLo)
		if least >= most {
			return false
		}
	}
	return true
}

// nextToWithhold picks the cell to withhold in an unsafe group: its smallest
// non-zero shown member (the first in order among equals), or else its
// total.
func (t *Table) nextToWithhold(g group, trueComputed []Value) cell {
	best, found := cell{}, false
	var bestN int64
	for _, m := range g.members {
		v := t.shown(m)
		if v.State != Count || v.N == 0 {
			continue
		}
		if !found || v.N < bestN {
			best, bestN, found = m, v.N, true
		}
	}
	if found {
		return best
	}
	return g.total
}
