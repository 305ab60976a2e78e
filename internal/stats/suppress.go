package stats

import (
	"math"
	"sort"
	"strconv"
)

// Suppress prepares the table for publication. Primary suppression: every
// force cell and computed total from 1 to below-1 becomes Suppressed ("<3").
// Zero stays zero; not provided stays not provided; columns marked Published
// are left alone.
//
// Secondary suppression: no hidden count may be worked out from what is
// published. The published sums are each column with its computed total
// and, when the dataset is a Partition, each force row with its total and
// the computed totals with the grand total. Suppress works out everything a
// reader can from them — that the cells of a sum add up to its total, that a
// suppressed count lies in 1 … below-1 and a withheld one may be any count,
// zero included — by narrowing each hidden figure's range through every sum
// it is in, again and again, rows and columns together, until nothing
// narrows further. While that pins a hidden figure to one value, it
// withholds one more non-zero shown figure of a sum the pinned one is in:
// of the smallest few, the one whose hiding leaves the fewest pinned, then
// the smallest, then the first by force and column name (protect). When
// nothing is left to hide — small
// counts whose "<3" alone gives them away, as a total of 2 over two
// suppressed cells of at least 1 each — the pinned small count is shown as
// withheld instead of "<3", which says nothing of its size; as a last
// resort a shown zero is withheld. The loop ends because every step hides a
// figure or widens what a reader knows of one.
//
// Narrowing ranges sum by sum is what a reader does by hand; adding sums
// together can deduce more, so once nothing is pinned that way, the audit
// solves the least and the most each hidden figure can be under all the sums
// at once, as a linear programme (the method of τ-ARGUS and similar tools),
// and carries on while that pins one. docs/statistics.md states the rule.
//
// Checks, computed totals and shares are worked out from the true counts
// and the dataset is left unchanged; a share whose count or denominator is
// hidden is suppressed with them.
func (t *Table) Suppress(below int64) { SuppressTogether(below, t) }

// SuppressTogether suppresses tables that publish some of the same figures —
// the same counts split different ways, or one table's figures repeated in
// another — as one: a figure hidden in one table is hidden in all, since the
// copy published elsewhere would give it away, and a reader may combine the
// sums of every table. Two cells are the same figure when their rows are the
// same police force area (the same ONS code; rows without one, the same
// label), their columns have the same name and they hold the same count; two
// computed totals are when their columns have the same name and they hold
// the same count. (A coincidence only hides more than needed.)
func SuppressTogether(below int64, tables ...*Table) {
	m := &model{below: below, index: map[string]int{}}
	for _, t := range tables {
		t.primary(below)
		m.add(t)
	}
	m.hideAlike()
	for m.protect() {
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

// cell names one figure of a table: a force cell, or with row -1 a
// computed total.
type cell struct{ row, col int }

// figure is a cell of one table.
type figure struct {
	t *Table
	c cell
}

func (f figure) shown() *Value {
	if f.c.row < 0 {
		return &f.t.Computed[f.c.col]
	}
	return &f.t.Cells[f.c.row][f.c.col]
}

func (f figure) trueValue() int64 {
	if f.c.row < 0 {
		return f.t.trueComputed[f.c.col].N
	}
	return f.t.Dataset.Rows[f.c.row].Values[f.c.col].N
}

// key identifies the figure across tables (see SuppressTogether).
func (f figure) key() string {
	col := f.t.Dataset.Columns[f.c.col].Name
	n := strconv.FormatInt(f.trueValue(), 10)
	if f.c.row < 0 {
		return "total\x00" + col + "\x00" + n
	}
	return "cell\x00" + rowKey(f.t.Dataset.Rows[f.c.row]) + "\x00" + col + "\x00" + n
}

// rowKey identifies what a row counts: its police force area by ONS code,
// whatever name the source gave it, or else its label.
func rowKey(r Row) string {
	if r.ForceCode != "" {
		return "code:" + r.ForceCode
	}
	return "label:" + r.Force
}

// term is one figure of a published sum, by its number in the model: +1 for
// a cell, -1 for the total.
type term struct {
	id   int
	coef int64
}

// model is every figure of the tables, numbered in the order first seen
// (the copies of one figure in several tables under one number), and every
// published sum as an equation: its terms add up to zero.
type model struct {
	below int64
	index map[string]int // key → number
	keys  []string       // number → key
	vars  [][]figure     // number → the copies
	eqs   [][]term
	// solved remembers the figures a group of hidden figures pins, by
	// the group: hiding more elsewhere leaves it as it was.
	solved map[string][]int
}

func (m *model) figure(f figure) int {
	k := f.key()
	id, ok := m.index[k]
	if !ok {
		id = len(m.keys)
		m.index[k] = id
		m.keys = append(m.keys, k)
		m.vars = append(m.vars, nil)
	}
	m.vars[id] = append(m.vars[id], f)
	return id
}

// add records t's figures and sums. Only counts take part: a not provided
// cell is no figure, and a published column is public already.
func (m *model) add(t *Table) {
	d := t.Dataset
	counted := func(c cell) bool {
		if d.Columns[c.col].Published {
			return false
		}
		if c.row < 0 {
			return t.trueComputed[c.col].State == Count
		}
		return d.Rows[c.row].Values[c.col].State == Count
	}
	sum := func(total cell, members []cell) {
		if !counted(total) {
			return
		}
		eq := []term{{m.figure(figure{t, total}), -1}}
		for _, c := range members {
			if counted(c) {
				eq = append(eq, term{m.figure(figure{t, c}), 1})
			}
		}
		m.eqs = append(m.eqs, eq)
	}
	for j := range d.Columns {
		var members []cell
		for i := range d.Rows {
			members = append(members, cell{i, j})
		}
		sum(cell{-1, j}, members)
	}
	tc := d.TotalColumn()
	if !d.Partition || tc < 0 {
		return
	}
	apps := appColumns(d)
	for i := range d.Rows {
		var members []cell
		for _, j := range apps {
			members = append(members, cell{i, j})
		}
		sum(cell{i, tc}, members)
	}
	var members []cell
	for _, j := range apps {
		members = append(members, cell{-1, j})
	}
	sum(cell{-1, tc}, members)
}

func (m *model) value(id int) Value { return *m.vars[id][0].shown() }

// withhold hides every copy of the figure that is still a count.
func (m *model) withhold(id int) {
	for _, f := range m.vars[id] {
		if v := f.shown(); v.State == Count {
			*v = Value{State: Withheld}
		}
	}
}

// protect audits the figures and, if one is pinned, hides one more figure
// or widens one, and reports whether it did. It prefers to hide a non-zero
// shown figure of a sum that holds a pinned one: of those, the one that
// leaves the fewest figures pinned (as narrowing sum by sum finds them),
// then the smallest, then the first by key. Failing that it shows a pinned
// "<3" as withheld; failing that, it hides a shown zero of such a sum.
func (m *model) protect() bool {
	pinned := m.audit()
	if len(pinned) == 0 {
		return false
	}
	if key, found := m.bestToWithhold(m.candidates(pinned, false)); found {
		m.withhold(key)
		return true
	}
	for _, k := range pinned {
		if m.widen(k) {
			return true
		}
	}
	if key, found := m.bestToWithhold(m.candidates(pinned, true)); found {
		m.withhold(key)
		return true
	}
	return false // cannot happen: hiding everything pins nothing
}

// candidates lists the shown figures of the sums that hold a pinned one:
// the non-zero ones, or with zeros the zeros.
func (m *model) candidates(pinned []int, zeros bool) []int {
	isPinned := make([]bool, len(m.keys))
	for _, k := range pinned {
		isPinned[k] = true
	}
	seen := make([]bool, len(m.keys))
	var out []int
	for _, eq := range m.eqs {
		holds := false
		for _, tm := range eq {
			holds = holds || isPinned[tm.id]
		}
		if !holds {
			continue
		}
		for _, tm := range eq {
			if v := m.value(tm.id); v.State == Count && (v.N == 0) == zeros && !seen[tm.id] {
				seen[tm.id] = true
				out = append(out, tm.id)
			}
		}
	}
	return out
}

// tryCandidates bounds how many candidates bestToWithhold weighs, the
// smallest first: each costs a narrowing of every sum.
const tryCandidates = 12

// bestToWithhold picks, among the smallest cands, the figure whose hiding
// leaves the fewest pinned by narrowing; then the smallest; then the first
// by key, so that tables holding the same figures in another order choose
// alike.
func (m *model) bestToWithhold(cands []int) (int, bool) {
	sort.Slice(cands, func(i, j int) bool {
		a, b := m.value(cands[i]).N, m.value(cands[j]).N
		if a != b {
			return a < b
		}
		return m.keys[cands[i]] < m.keys[cands[j]]
	})
	if len(cands) > tryCandidates {
		cands = cands[:tryCandidates]
	}
	best, bestPinned := -1, 0
	for _, k := range cands {
		saved := make([]Value, len(m.vars[k]))
		for i, f := range m.vars[k] {
			saved[i] = *f.shown()
		}
		m.withhold(k)
		n := len(m.propagate())
		for i, f := range m.vars[k] {
			*f.shown() = saved[i]
		}
		better := best < 0 || n < bestPinned
		if !better && n == bestPinned {
			a, b := m.value(k).N, m.value(best).N
			better = a < b || (a == b && m.keys[k] < m.keys[best])
		}
		if better {
			best, bestPinned = k, n
		}
	}
	return best, best >= 0
}

// widen shows a pinned suppressed figure as withheld, which says nothing
// of its size, wherever it appears; it reports whether there was one.
func (m *model) widen(id int) bool {
	if m.value(id).State != Suppressed {
		return false
	}
	for _, f := range m.vars[id] {
		*f.shown() = Value{State: Withheld}
	}
	return true
}

// hideAlike hides every copy of a figure hidden in one table.
func (m *model) hideAlike() {
	for id, copies := range m.vars {
		for _, f := range copies {
			if f.shown().Hidden() {
				m.withhold(id)
				break
			}
		}
	}
}

// unbounded stands for "no upper bound": far above any count, and small
// enough that sums of many of them stay in range.
const unbounded = int64(1) << 40

type bound struct{ lo, hi int64 }

// audit narrows the range of every hidden figure through every sum until
// nothing changes, and returns the hidden figures left with one value; when
// none is, the linear programme has the last word.
func (m *model) audit() []int {
	if pinned := m.propagate(); len(pinned) > 0 {
		return pinned
	}
	return m.auditLP()
}

// propagate narrows the range of every hidden figure through every sum
// until nothing changes, and returns the hidden figures left with one
// value.
func (m *model) propagate() []int {
	n := len(m.keys)
	b := make([]bound, n)
	hidden := make([]bool, n)
	shown := make([]int64, n)
	some := false
	for id := range m.keys {
		switch v := m.value(id); v.State {
		case Suppressed:
			b[id], hidden[id], some = bound{1, m.below - 1}, true, true
		case Withheld:
			b[id], hidden[id], some = bound{0, unbounded}, true, true
		default:
			shown[id] = v.N
		}
	}
	if !some {
		return nil
	}
	// Only the sums with a hidden figure can narrow anything.
	var eqs [][]term
	var known []int64
	for _, eq := range m.eqs {
		var k int64
		has := false
		for _, tm := range eq {
			if hidden[tm.id] {
				has = true
			} else {
				k += tm.coef * shown[tm.id]
			}
		}
		if has {
			eqs = append(eqs, eq)
			known = append(known, k)
		}
	}
	for round, changed := 0, true; changed && round < 10000; round++ {
		changed = false
		for e, eq := range eqs {
			var lo, hi int64 // the range of the hidden terms
			for _, tm := range eq {
				if !hidden[tm.id] {
					continue
				}
				r := b[tm.id]
				if tm.coef > 0 {
					lo, hi = lo+r.lo, hi+r.hi
				} else {
					lo, hi = lo-r.hi, hi-r.lo
				}
			}
			for _, tm := range eq {
				if !hidden[tm.id] {
					continue
				}
				r := b[tm.id]
				// coef·x = -known - (the others), whose range is the
				// hidden range less this term's own.
				olo, ohi := lo, hi
				if tm.coef > 0 {
					olo, ohi = lo-r.lo, hi-r.hi
				} else {
					olo, ohi = lo+r.hi, hi+r.lo
				}
				nlo, nhi := -known[e]-ohi, -known[e]-olo
				if tm.coef < 0 {
					nlo, nhi = -nhi, -nlo
				}
				if nhi >= unbounded/2 {
					nhi = r.hi // still no upper bound worth the name: nothing learnt
				}
				if nlo > r.lo || nhi < r.hi {
					b[tm.id] = bound{max(r.lo, nlo), min(r.hi, nhi)}
					changed = true
				}
			}
		}
	}
	var pinned []int
	for id := range m.keys {
		if hidden[id] && b[id].lo >= b[id].hi {
			pinned = append(pinned, id)
		}
	}
	return pinned
}

// auditLP finds what narrowing sum by sum cannot: the least and the most
// each hidden figure can be given every published sum at once, as a linear
// programme; a figure whose range holds one whole number is pinned.
func (m *model) auditLP() []int {
	// Hidden figures joined by a sum are one programme; apart, each
	// group is solved alone, which keeps the programmes small.
	parent := make([]int, len(m.keys))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	hidden := func(id int) bool { return m.value(id).Hidden() }
	for _, eq := range m.eqs {
		first := -1
		for _, tm := range eq {
			if !hidden(tm.id) {
				continue
			}
			if first < 0 {
				first = tm.id
			} else {
				parent[find(tm.id)] = find(first)
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for id := range m.keys {
		if hidden(id) {
			r := find(id)
			if groups[r] == nil {
				roots = append(roots, r)
			}
			groups[r] = append(groups[r], id)
		}
	}
	if m.solved == nil {
		m.solved = map[string][]int{}
	}
	var pinned []int
	for _, r := range roots {
		ids := groups[r]
		sig := make([]byte, 0, 8*len(ids))
		for _, id := range ids {
			sig = strconv.AppendInt(sig, int64(id), 10)
			sig = append(sig, byte('0'+m.value(id).State), ',')
		}
		got, ok := m.solved[string(sig)]
		if !ok {
			got = m.solve(ids)
			m.solved[string(sig)] = got
		}
		pinned = append(pinned, got...)
	}
	sort.Ints(pinned)
	return pinned
}

// solve audits one group of hidden figures joined by sums.
func (m *model) solve(ids []int) []int {
	index := map[int]int{}
	for i, id := range ids {
		index[id] = i
	}
	p := &lp{n: len(ids), lo: make([]float64, len(ids)), hi: make([]float64, len(ids))}
	for i, id := range ids {
		p.lo[i], p.hi[i] = 0, math.Inf(1)
		if m.value(id).State == Suppressed {
			p.lo[i], p.hi[i] = 1, float64(m.below-1)
		}
	}
	for _, eq := range m.eqs {
		var row []float64
		var rhs float64
		for _, tm := range eq {
			if i, ok := index[tm.id]; ok {
				if row == nil {
					row = make([]float64, len(ids))
				}
				row[i] += float64(tm.coef)
			} else {
				rhs -= float64(tm.coef * m.value(tm.id).N)
			}
		}
		if row != nil {
			p.rows = append(p.rows, row)
			p.rhs = append(p.rhs, rhs)
		}
	}
	least, most, ok := p.ranges()
	if !ok {
		return ids // cannot happen: the true counts are a solution
	}
	var pinned []int
	for i, id := range ids {
		if onlyOneInteger(least[i], most[i]) {
			pinned = append(pinned, id)
		}
	}
	return pinned
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
