package nsfw

import (
	"image"
	"math"
)

// unit[v] is float32(v)/255 in float32, as tfjs computes
// img.toFloat().div(255).
var unit = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// axis is one axis of tfjs's resizeBilinear with alignCorners true and
// halfPixelCenters false: output index i reads source indices lo[i] and
// hi[i] with weight frac[i] on hi. The arithmetic is JavaScript's (float64).
type axis struct {
	lo, hi []int
	frac   []float64
}

func newAxis(old, size int) axis {
	a := axis{lo: make([]int, size), hi: make([]int, size), frac: make([]float64, size)}
	effIn, effOut := old, size
	if size > 1 {
		effIn, effOut = old-1, size-1
	}
	ratio := float64(effIn) / float64(effOut)
	for i := range size {
		src := ratio * float64(i)
		lo := math.Max(0, math.Floor(src))
		a.lo[i] = int(lo)
		a.frac[i] = src - lo
		a.hi[i] = min(old-1, int(math.Ceil(src)))
	}
	return a
}

// preprocess writes into dst (size×size×3) the network's input for img:
// the RGB channels scaled to [0, 1] and, unless the image already has that
// size, resized with tf.image.resizeBilinear(x, [size, size], true), exactly
// as nsfwjs 4.4.0 does. Only the source pixels the resize reads are
// visited, a row at a time.
func preprocess(dst []float32, img image.Image, size int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	read := rgbReader(img)
	if w == size && h == size {
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl := read(x, y)
				dst[i], dst[i+1], dst[i+2] = unit[r], unit[g], unit[bl]
				i += 3
			}
		}
		return
	}
	rows, cols := newAxis(h, size), newAxis(w, size)
	// The resize reads at most two source columns per output column and two
	// source rows per output row: keep the needed pixels of the two rows
	// last read, which consecutive output rows mostly share.
	colList, lo, hi := compact(cols, w)
	rc := rowCache{read: read, min: b.Min, cols: colList}
	for r := range size {
		top, bot := rc.row(rows.lo[r], rows.hi[r])
		rf := rows.frac[r]
		out := dst[r*size*3 : (r+1)*size*3]
		for c := range size {
			l, rt := lo[c], hi[c]
			cf := cols.frac[c]
			for ch := range 3 {
				tl, tr := float64(top[l+ch]), float64(top[rt+ch])
				bl, br := float64(bot[l+ch]), float64(bot[rt+ch])
				t := tl + (tr-tl)*cf
				bt := bl + (br-bl)*cf
				out[3*c+ch] = float32(t + (bt-t)*rf)
			}
		}
	}
}

// rowCache holds the scaled RGB of the needed columns of two source rows.
type rowCache struct {
	read func(x, y int) (r, g, b uint8)
	min  image.Point
	cols []int
	y    [2]int
	buf  [2][]float32
}

// row returns the cached rows y0 and y1 (y0 <= y1), reading what is missing.
func (rc *rowCache) row(y0, y1 int) (top, bot []float32) {
	return rc.get(y0, y1), rc.get(y1, y0)
}

// get returns row y, reading it into the slot that does not hold keep.
func (rc *rowCache) get(y, keep int) []float32 {
	for i := range rc.buf {
		if rc.buf[i] != nil && rc.y[i] == y {
			return rc.buf[i]
		}
	}
	i := 0
	if rc.buf[0] != nil && rc.y[0] == keep {
		i = 1
	}
	if rc.buf[i] == nil {
		rc.buf[i] = make([]float32, 3*len(rc.cols))
	}
	rc.y[i] = y
	v := rc.buf[i]
	for k, x := range rc.cols {
		r, g, b := rc.read(rc.min.X+x, rc.min.Y+y)
		v[3*k], v[3*k+1], v[3*k+2] = unit[r], unit[g], unit[b]
	}
	return v
}

// compact lists the source columns an axis reads, in order, and gives for
// each output index the offsets in a grid row (3 values a column) of its
// low and high columns.
func compact(a axis, n int) (list, lo, hi []int) {
	pos := make([]int, n)
	for i := range pos {
		pos[i] = -1
	}
	place := func(x int) int {
		if pos[x] < 0 {
			pos[x] = len(list)
			list = append(list, x)
		}
		return 3 * pos[x]
	}
	lo, hi = make([]int, len(a.lo)), make([]int, len(a.lo))
	for i := range a.lo {
		lo[i], hi[i] = place(a.lo[i]), place(a.hi[i])
	}
	return list, lo, hi
}
