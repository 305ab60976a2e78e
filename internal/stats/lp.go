package stats

import "math"

// lp is a small linear programme for the suppression audit: variables x
// with lo ≤ x ≤ hi (hi may be +Inf), and equalities rows·x = rhs. ranges
// finds the least and the most each variable can be — what a reader can
// deduce from every published sum at once, whatever combination of them
// they take.
type lp struct {
	n      int
	rows   [][]float64
	rhs    []float64
	lo, hi []float64
}

const lpEps = 1e-9

// tableau is a simplex tableau in canonical form: t[i] is row i, its last
// entry the right-hand side; basis[i] the basic variable of row i.
type tableau struct {
	t     [][]float64
	basis []int
	cols  int // variables, the right-hand side not counted
}

func (tb *tableau) pivot(r, c int) {
	pr := tb.t[r]
	p := pr[c]
	for j := range pr {
		pr[j] /= p
	}
	for i, row := range tb.t {
		if i == r {
			continue
		}
		if f := row[c]; f != 0 {
			for j := range row {
				row[j] -= f * pr[j]
			}
		}
	}
	tb.basis[r] = c
}

// minimise runs the simplex method on tb for the costs c (one per column)
// from its feasible basis. It returns the least value of c·y, or -Inf when
// there is none, and leaves tb at the optimum (or, unbounded, at the last
// feasible basis). It enters the most negative reduced cost (fast), and
// after too many pivots — degenerate ones can cycle — falls back to
// Bland's rule, which cannot.
func (tb *tableau) minimise(c []float64) float64 {
	m := len(tb.t)
	rhs := tb.cols
	reduced := make([]float64, tb.cols)
	limit := 20 * (m + tb.cols)
	for iter := 0; ; iter++ {
		bland := iter > limit
		copy(reduced, c)
		for i := 0; i < m; i++ {
			if cb := c[tb.basis[i]]; cb != 0 {
				row := tb.t[i]
				for j := range reduced {
					reduced[j] -= cb * row[j]
				}
			}
		}
		enter, most := -1, -lpEps
		for j, d := range reduced {
			if d < most {
				enter, most = j, d
				if bland {
					break
				}
			}
		}
		if enter < 0 {
			var v float64
			for i := 0; i < m; i++ {
				v += c[tb.basis[i]] * tb.t[i][rhs]
			}
			return v
		}
		leave, best := -1, math.Inf(1)
		for i := 0; i < m; i++ {
			if a := tb.t[i][enter]; a > lpEps {
				ratio := tb.t[i][rhs] / a
				if ratio < best-lpEps || (ratio < best+lpEps && leave >= 0 && tb.basis[i] < tb.basis[leave]) {
					leave, best = i, ratio
				}
			}
		}
		if leave < 0 {
			return math.Inf(-1)
		}
		tb.pivot(leave, enter)
	}
}

// feasible builds the tableau of the programme, with y = x - lo ≥ 0 and a
// slack for every finite upper bound, and finds a feasible basis (phase
// one). ok is false when there is none.
func (p *lp) feasible() (*tableau, bool) {
	var bounded []int
	for k := 0; k < p.n; k++ {
		if !math.IsInf(p.hi[k], 1) {
			bounded = append(bounded, k)
		}
	}
	m := len(p.rows) + len(bounded)
	nv := p.n + len(bounded) // y, then slacks
	cols := nv + m           // then an artificial per row
	tb := &tableau{t: make([][]float64, m), basis: make([]int, m), cols: cols}
	for i, row := range p.rows {
		r := make([]float64, cols+1)
		b := p.rhs[i]
		for k, a := range row {
			r[k] = a
			b -= a * p.lo[k]
		}
		r[cols] = b
		tb.t[i] = r
	}
	for s, k := range bounded {
		r := make([]float64, cols+1)
		r[k], r[p.n+s], r[cols] = 1, 1, p.hi[k]-p.lo[k]
		tb.t[len(p.rows)+s] = r
	}
	for i, r := range tb.t {
		if r[cols] < 0 {
			for j := range r {
				r[j] = -r[j]
			}
		}
		r[nv+i] = 1
		tb.basis[i] = nv + i
	}
	cost := make([]float64, cols)
	for i := 0; i < m; i++ {
		cost[nv+i] = 1
	}
	if v := tb.minimise(cost); v > 1e-7 {
		return nil, false
	}
	// Drive the artificials out of the basis, dropping redundant rows.
	for i := 0; i < len(tb.t); i++ {
		if tb.basis[i] < nv {
			continue
		}
		j := 0
		for j < nv && math.Abs(tb.t[i][j]) <= lpEps {
			j++
		}
		if j == nv {
			tb.t = append(tb.t[:i], tb.t[i+1:]...)
			tb.basis = append(tb.basis[:i], tb.basis[i+1:]...)
			i--
			continue
		}
		tb.pivot(i, j)
	}
	// Remove the artificial columns.
	for i, r := range tb.t {
		tb.t[i] = append(r[:nv:nv], r[cols])
	}
	tb.cols = nv
	return tb, true
}

// ranges returns the least and the most each variable can be (-Inf/+Inf
// when unbounded); ok is false when the programme has no solution.
func (p *lp) ranges() (least, most []float64, ok bool) {
	tb, ok := p.feasible()
	if !ok {
		return nil, nil, false
	}
	least, most = make([]float64, p.n), make([]float64, p.n)
	c := make([]float64, tb.cols)
	// Each optimum is a feasible basis to start the next search from.
	for k := 0; k < p.n; k++ {
		c[k] = 1
		least[k] = p.lo[k] + tb.minimise(c)
		c[k] = -1
		most[k] = p.lo[k] - tb.minimise(c)
		c[k] = 0
	}
	return least, most, true
}

// onlyOneInteger reports whether [lo, hi] holds at most one whole number.
func onlyOneInteger(lo, hi float64) bool {
	if math.IsInf(lo, -1) || math.IsInf(hi, 1) {
		return false
	}
	return math.Floor(hi+1e-6) <= math.Ceil(lo-1e-6)
}
