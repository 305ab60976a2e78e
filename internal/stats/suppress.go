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
func (t *Table) Suppress(below int64) { SuppressTogether(below, t) }

// SuppressTogether suppresses tables that publish some of the same figures —
// the same counts split different ways, or one table's figures repeated in
// another — and keeps those figures alike: a figure hidden in one table is
// hidden in all, since the copy published elsewhere would give it away. Two
// cells are the same figure when their rows name the same force (code and
// name) and their columns have the same name; two computed totals are when
// their columns have the same name and the same rows count something in
// them. Each table is suppressed as Suppress does; then, while a shared
// figure is hidden in one table and shown in another, it is withheld there
// and that table's groups are checked again.
func SuppressTogether(below int64, tables ...*Table) {
	for _, t := range tables {
		t.primary(below)
		t.secondary(below)
	}
	for changed := len(tables) > 1; changed; {
		changed = false
		for _, a := range tables {
			for _, b := range tables {
				if a != b && b.hideShared(a) {
					changed = true
					b.secondary(below)
				}
			}
		}
	}
	for _, t := range tables {
		t.finish(below)
	}
}

// primary suppresses the small counts and remembers the true totals.
func (t *Table) primary(below int64) {
	t.SuppressedBelow = below
	d := t.Dataset
	for _, row := range t.Cells {
		for j, v := range row {
			if !d.Columns[j].Published {
				row[j] = Suppress(v, below)
			}
		}
	}
	t.trueComputed = append([]Value(nil), t.Computed...)
	for j, v := range t.Computed {
		if !d.Columns[j].Published {
			t.Computed[j] = Suppress(v, below)
		}
	}
}

// secondary withholds figures until no group gives a hidden one away, and
// reports whether it withheld any.
func (t *Table) secondary(below int64) bool {
	did := false
	groups := t.groups()
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			if t.groupSafe(g, below) {
				continue
			}
			if c, ok := t.nextToWithhold(g); ok {
				t.withhold(c)
				changed, did = true, true
			}
		}
	}
	return did
}

// hideShared withholds, in t, the figures that other hides and t shows, and
// reports whether there were any.
func (t *Table) hideShared(other *Table) bool {
	changed := false
	od := other.Dataset
	for i, r := range t.Dataset.Rows {
		for oi, or := range od.Rows {
			if r.Force != or.Force || r.ForceCode != or.ForceCode {
				continue
			}
			for j, c := range t.Dataset.Columns {
				if c.Published {
					continue
				}
				if oj := columnIndex(od, c.Name); oj >= 0 && other.Cells[oi][oj].Hidden() && t.Cells[i][j].State == Count {
					t.Cells[i][j] = Value{State: Withheld}
					changed = true
				}
			}
		}
	}
	for j, c := range t.Dataset.Columns {
		oj := columnIndex(od, c.Name)
		if c.Published || oj < 0 || !other.Computed[oj].Hidden() || t.Computed[j].State != Count || !sameSupport(t, j, other, oj) {
			continue
		}
		t.Computed[j] = Value{State: Withheld}
		changed = true
	}
	return changed
}

// sameSupport reports whether column j of a and column k of b count
// something in the same rows: their totals are then the same figure.
func sameSupport(a *Table, j int, b *Table, k int) bool {
	key := func(r Row) string { return r.ForceCode + "\x00" + r.Force }
	rows := map[string]bool{}
	for _, r := range a.Dataset.Rows {
		if v := r.Values[j]; v.State == Count && v.N > 0 {
			rows[key(r)] = true
		}
	}
	n := 0
	for _, r := range b.Dataset.Rows {
		if v := r.Values[k]; v.State == Count && v.N > 0 {
			if !rows[key(r)] {
				return false
			}
			n++
		}
	}
	return n == len(rows)
}

// finish counts what was withheld and suppresses the shares whose count or
// denominator is hidden.
func (t *Table) finish(below int64) {
	d := t.Dataset
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
		if j >= 0 && s.Forces == t.Providing[j] && s.Count == t.trueComputed[j].N && t.Computed[j].Hidden() {
			s.ShownCount = t.Computed[j]
		}
		if tc >= 0 && s.Forces == t.Providing[tc] && s.Of == t.trueComputed[tc].N {
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
func (t *Table) trueValue(c cell) int64 {
	if c.row < 0 {
		return t.trueComputed[c.col].N
	}
	return t.Dataset.Rows[c.row].Values[c.col].N
}

func (t *Table) withhold(c cell) { *t.shown(c) = Value{State: Withheld} }

// groupSafe reports whether no hidden figure of g — a member or the total —
// can be worked out from the others. A reader knows the members add up to
// the total, the shown figures, that a suppressed count lies in 1 … below-1,
// and that a withheld count is at least below (small counts are suppressed,
// not withheld) with no upper bound but the sum. A figure is pinned when the
// least and the most it can be under those bounds meet.
func (t *Table) groupSafe(g group, below int64) bool {
	const unbounded = int64(1) << 60 // far above any count
	type bound struct{ lo, hi int64 }
	boundOf := func(v *Value) bound {
		if v.State == Suppressed {
			return bound{1, below - 1}
		}
		return bound{below, unbounded}
	}
	var hid []bound
	var shown int64
	for _, m := range g.members {
		if v := t.shown(m); v.Hidden() {
			hid = append(hid, boundOf(v))
		} else {
			shown += v.N
		}
	}
	total := bound{t.trueValue(g.total), t.trueValue(g.total)}
	totalHidden := t.hidden(g.total)
	if totalHidden {
		total = boundOf(t.shown(g.total))
		if len(hid) == 0 {
			return false // the total is the sum of the shown cells
		}
	} else if len(hid) == 0 {
		return true
	}
	var sumLo, sumHi int64
	for _, b := range hid {
		sumLo += b.lo
		sumHi = min(unbounded, sumHi+b.hi)
	}
	for k, b := range hid {
		var otherLo, otherHi int64
		for i, o := range hid {
			if i != k {
				otherLo += o.lo
				otherHi = min(unbounded, otherHi+o.hi)
			}
		}
		least := max(b.lo, total.lo-shown-otherHi)
		most := min(b.hi, total.hi-shown-otherLo)
		if least >= most {
			return false
		}
	}
	if totalHidden {
		least := max(total.lo, shown+sumLo)
		most := min(total.hi, shown+sumHi)
		if least >= most {
			return false
		}
	}
	return true
}

// nextToWithhold picks the figure to withhold in an unsafe group: its
// smallest non-zero shown member (the first in order among equals), or else
// its total. ok is false when nothing is left to withhold.
func (t *Table) nextToWithhold(g group) (c cell, ok bool) {
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
		return best, true
	}
	return g.total, !t.hidden(g.total)
}
