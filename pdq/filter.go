package pdq

// The Jarosz tent filter of the reference is two rounds of a box filter
// along the rows and then along the columns, each box a running sum
// (add the sample entering the window, subtract the one leaving it, divide by
// the window's current length). A float32 running sum carries the rounding of
// every earlier step, so for bit-exact output every sum here runs over the
// same samples in the same order as the reference's; only what is never
// used is skipped. The reference then keeps 64×64 samples of the result.
//
// Here the filter streams: a luma row is box-filtered along the row as soon
// as it is made, a ring of the last window+1 filtered rows feeds column sums
// kept for every column at once (the reference walks each column separately,
// which is cache-hostile), and each output row of that pass goes straight to
// the second row pass, which divides only at the 64 sampled columns; the
// second column pass runs on those 64 columns only. No buffer of the whole
// image is needed.

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

// boxRow box-filters in along its length with window w into out, exactly as
// the reference's box1DFloat does with stride 1.
func boxRow(in, out []float32, w int) {
	n := len(in)
	half := (w + 2) / 2
	p1 := half - 1
	p2 := w - half + 1
	out = out[:n]
	var sum float32
	for _, v := range in[:p1] {
		sum += v
	}
	for i := range p2 {
		sum += in[p1+i]
		out[i] = sum / float32(p1+i+1)
	}
	fw := float32(w)
	add, sub, o := in[w:], in[:n-w], out[p2:p2+n-w]
	for i := range o {
		sum += add[i]
		sum -= sub[i]
		o[i] = sum / fw
	}
	for i := range p1 {
		sum -= in[n-w+i]
		out[n-p1+i] = sum / float32(w-1-i)
	}
}

// boxRowSums runs the same running sum as boxRow but stores the undivided
// sum at each output index; the caller divides only where it samples, by
// boxDivisor.
func boxRowSums(in, sums []float32, w int) {
	n := len(in)
	half := (w + 2) / 2
	p1 := half - 1
	p2 := w - half + 1
	sums = sums[:n]
	var sum float32
	for _, v := range in[:p1] {
		sum += v
	}
	for i := range p2 {
		sum += in[p1+i]
		sums[i] = sum
	}
	add, sub, o := in[w:], in[:n-w], sums[p2:p2+n-w]
	for i := range o {
		sum += add[i]
		sum -= sub[i]
		o[i] = sum
	}
	for i := range p1 {
		sum -= in[n-w+i]
		sums[n-p1+i] = sum
	}
}

// boxDivisor is the window length the reference divides by at output index
// o of a box filter of window w over n samples.
func boxDivisor(o, n, w int) float32 {
	half := (w + 2) / 2
	p1 := half - 1
	p2 := w - half + 1
	switch {
	case o < p2:
		return float32(p1 + o + 1)
	case o >= n-p1:
		return float32(w - 1 - (o - (n - p1)))
	}
	return float32(w)
}

// colStream is a box filter of window win down columns, for all columns of
// rows width wide at once, fed one row at a time. It keeps the last win+1
// input rows in a ring.
type colStream struct {
	win, n, p1 int
	ring       []float32 // (win+1) rows
	width      int
	sums, out  []float32
	t          int // rows pushed so far
	cw         int // current window length
	tail       int // rows emitted after the last push
}

func (c *colStream) reset(win, n, width int) {
	c.win, c.n, c.width = win, n, width
	c.p1 = (win+2)/2 - 1
	c.ring = grow(c.ring, (win+1)*width)
	c.sums = grow(c.sums, width)
	c.out = grow(c.out, width)
	clear(c.sums)
	c.t, c.cw, c.tail = 0, 0, 0
}

func (c *colStream) row(t int) []float32 {
	s := (t % (c.win + 1)) * c.width
	return c.ring[s : s+c.width : s+c.width]
}

// slot returns the ring row to fill with the next input row.
func (c *colStream) slot() []float32 {
	return c.row(c.t)
}

// push takes in the row written into slot. If that completes an output
// row, push returns its index and true; output then returns its values.
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

// output returns the current sums divided by the current window length: the
// row that push or next just announced.
func (c *colStream) output() []float32 {
	d := float32(c.cw)
	out := c.out[:len(c.sums)]
	for j, s := range c.sums {
		out[j] = s / d
	}
	return out
}

// grow returns s resized to n, reusing its array when it is large enough.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
