package pdq

// The Jarosz tent filter of the reference is two rounds of a box filter
// along the rows and then along the columns, each box a running sum
// (add the sample entering the window, subtract the one leaving it, divide by
// the window's current length). A float32 running sum carries the rounding of
// every earlier step, so for bit-exact output every sum here runs over the
// same samples in the same order as the reference's; only what is never
// used is skipped. The reference then keeps 64×64 samples of the result.
//
// Here the filter streams: luma rows are box-filtered along the row as soon
// as they are made (four rows at a time, so that four independent running
// sums keep the processor busy), a ring of the last window+4 filtered rows
// feeds column sums kept for every column at once (the reference walks each
// column separately, which is cache-hostile), and each output row of that
// pass goes on to the second row pass, which divides only at the 64 sampled
// columns; the second column pass runs on those 64 columns only. No buffer of
// the whole image is needed.

// windowSize is the reference's box window for scaling n samples down to 64:
// half of n/64, rounded up, since the tent is two box passes.
func windowSize(n int) int {
	return (n + 2*64 - 1) / (2 * 64)
}

// sampleIndex is the reference's decimation: the input index at the centre of
// output cell i of 64.
func sampleIndex(i, n int) int {
	return int((float64(i) + 0.5) * float64(n) / 64)
}

// divide returns x/w correctly rounded to float32, for an integer
// 1 ≤ w < 2^26, given inv = 1/float64(w); a float64 multiplication is several
// times faster than a float32 division. It is exact: x/w is never halfway
// between two float32 values (x would need 25 significant bits), and it is at
// least 2^(E-25)/w away from any such halfway point, where 2^E ≤ |x/w|,
// while the float64 product is within 2^(E-51) of x/w; so both round to the
// same float32. TestDivideIsExact checks it.
func divide(x float32, inv float64) float32 {
	return float32(float64(x) * inv)
}

// boxPhases returns the reference's phase lengths for a box of window w: p1
// samples are summed before the first output; the first p2 outputs (and the
// last p1) divide by a partial window.
func boxPhases(w int) (p1, p2 int) {
	half := (w + 2) / 2
	return half - 1, w - half + 1
}

// boxRow4 box-filters four rows of equal length with window w, each exactly
// as the reference's box1DFloat does with stride 1. The four running sums are
// independent, so the processor can overlap them. Rows may repeat (to fill a
// short group); a repeated row is computed twice, identically.
func boxRow4(in, out *[4][]float32, w int) {
	n := len(in[0])
	p1, p2 := boxPhases(w)
	a0, a1, a2, a3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	o0, o1, o2, o3 := out[0][:n], out[1][:n], out[2][:n], out[3][:n]
	var s0, s1, s2, s3 float32
	for i := range p1 {
		s0 += a0[i]
		s1 += a1[i]
		s2 += a2[i]
		s3 += a3[i]
	}
	for i := range p2 {
		d := float32(p1 + i + 1)
		s0 += a0[p1+i]
		s1 += a1[p1+i]
		s2 += a2[p1+i]
		s3 += a3[p1+i]
		o0[i], o1[i], o2[i], o3[i] = s0/d, s1/d, s2/d, s3/d
	}
	inv := 1 / float64(w) // the full window: see divide
	m := n - w
	ad0, ad1, ad2, ad3 := a0[w:w+m], a1[w:w+m], a2[w:w+m], a3[w:w+m]
	sb0, sb1, sb2, sb3 := a0[:m], a1[:m], a2[:m], a3[:m]
	q0, q1, q2, q3 := o0[p2:p2+m], o1[p2:p2+m], o2[p2:p2+m], o3[p2:p2+m]
	for i := range q0 {
		s0 += ad0[i]
		s1 += ad1[i]
		s2 += ad2[i]
		s3 += ad3[i]
		s0 -= sb0[i]
		s1 -= sb1[i]
		s2 -= sb2[i]
		s3 -= sb3[i]
		q0[i] = divide(s0, inv)
		q1[i] = divide(s1, inv)
		q2[i] = divide(s2, inv)
		q3[i] = divide(s3, inv)
	}
	for i := range p1 {
		d := float32(w - 1 - i)
		s0 -= a0[m+i]
		s1 -= a1[m+i]
		s2 -= a2[m+i]
		s3 -= a3[m+i]
		o0[n-p1+i], o1[n-p1+i], o2[n-p1+i], o3[n-p1+i] = s0/d, s1/d, s2/d, s3/d
	}
}

// boxRowSums4 runs boxRow4's running sums but stores the undivided sum at
// each output index; the caller divides only where it samples, by
// boxDivisor.
func boxRowSums4(in, sums *[4][]float32, w int) {
	n := len(in[0])
	p1, p2 := boxPhases(w)
	a0, a1, a2, a3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	o0, o1, o2, o3 := sums[0][:n], sums[1][:n], sums[2][:n], sums[3][:n]
	var s0, s1, s2, s3 float32
	for i := range p1 {
		s0 += a0[i]
		s1 += a1[i]
		s2 += a2[i]
		s3 += a3[i]
	}
	for i := range p2 {
		s0 += a0[p1+i]
		s1 += a1[p1+i]
		s2 += a2[p1+i]
		s3 += a3[p1+i]
		o0[i], o1[i], o2[i], o3[i] = s0, s1, s2, s3
	}
	m := n - w
	ad0, ad1, ad2, ad3 := a0[w:w+m], a1[w:w+m], a2[w:w+m], a3[w:w+m]
	sb0, sb1, sb2, sb3 := a0[:m], a1[:m], a2[:m], a3[:m]
	q0, q1, q2, q3 := o0[p2:p2+m], o1[p2:p2+m], o2[p2:p2+m], o3[p2:p2+m]
	for i := range q0 {
		s0 += ad0[i]
		s1 += ad1[i]
		s2 += ad2[i]
		s3 += ad3[i]
		s0 -= sb0[i]
		s1 -= sb1[i]
		s2 -= sb2[i]
		s3 -= sb3[i]
		q0[i], q1[i], q2[i], q3[i] = s0, s1, s2, s3
	}
	for i := range p1 {
		s0 -= a0[m+i]
		s1 -= a1[m+i]
		s2 -= a2[m+i]
		s3 -= a3[m+i]
		o0[n-p1+i], o1[n-p1+i], o2[n-p1+i], o3[n-p1+i] = s0, s1, s2, s3
	}
}

// boxDivisor is the window length the reference divides by at output index
// o of a box filter of window w over n samples.
func boxDivisor(o, n, w int) float32 {
	p1, p2 := boxPhases(w)
	switch {
	case o < p2:
		return float32(p1 + o + 1)
	case o >= n-p1:
		return float32(w - 1 - (o - (n - p1)))
	}
	return float32(w)
}

// colStream is a box filter of window win down columns, for all columns of
// rows width wide at once, fed one row at a time. It keeps the last win+4
// input rows in a ring, so that up to four rows can be written ahead.
type colStream struct {
	win, n, p1 int
	ring       []float32 // ringRows rows
	width      int
	sums       []float32
	t          int // rows pushed so far
	cw         int // current window length
	tail       int // rows emitted after the last push
}

// ahead is how many rows may be written into the ring before they are
// pushed.
const ahead = 4

func (c *colStream) reset(win, n, width int) {
	c.win, c.n, c.width = win, n, width
	c.p1, _ = boxPhases(win)
	c.ring = grow(c.ring, (win+ahead)*width)
	c.sums = grow(c.sums, width)
	clear(c.sums)
	c.t, c.cw, c.tail = 0, 0, 0
}

func (c *colStream) row(t int) []float32 {
	s := (t % (c.win + ahead)) * c.width
	return c.ring[s : s+c.width : s+c.width]
}

// slot returns the ring row to fill with input row t+k, where t is the
// next row to be pushed and k < ahead.
func (c *colStream) slot(k int) []float32 {
	return c.row(c.t + k)
}

// push takes in the next row, written before into slot. If that completes
// an output row, push returns its index and true; output then gives its
// values.
func (c *colStream) push() (int, bool) {
	t := c.t
	c.t++
	in := c.row(t)
	sums := c.sums[:len(in)]
	if t < c.win {
		for j, v := range in {
			sums[j] += v
		}
		c.cw++
		return t - c.p1, t >= c.p1
	}
	old := c.row(t - c.win)[:len(in)]
	for j, v := range in {
		s := sums[j] + v
		sums[j] = s - old[j]
	}
	return t - c.p1, true
}

// next emits, after all n rows were pushed, the next of the last p1 output
// rows; false when there are no more.
func (c *colStream) next() (int, bool) {
	if c.tail >= c.p1 {
		return 0, false
	}
	i := c.tail
	c.tail++
	old := c.row(c.n - c.win + i)
	sums := c.sums[:len(old)]
	for j, v := range old {
		sums[j] -= v
	}
	c.cw--
	return c.n - c.p1 + i, true
}

// output writes into dst the current sums divided by the current window
// length: the row that push or next just announced.
func (c *colStream) output(dst []float32) {
	dst = dst[:len(c.sums)]
	inv := 1 / float64(c.cw)
	for j, s := range c.sums {
		dst[j] = divide(s, inv)
	}
}

// grow returns s resized to n, reusing its array when it is large enough.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
