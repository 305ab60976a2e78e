package tensor

import (
	"math"
	"sync"
)

// bounds returns the clamp that act amounts to.
func bounds(act Act) (lo, hi float32) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	switch act {
	case ReLU:
		lo = 0
	case ReLU6:
		lo, hi = 0, 6
	}
	return lo, hi
}

// scratchPool holds the kernels' working buffers.
var scratchPool sync.Pool

// getScratch returns a buffer of n values, contents undefined; give it
// back with putScratch.
func getScratch(n int) *[]float32 {
	if b, ok := scratchPool.Get().(*[]float32); ok {
		if cap(*b) >= n {
			*b = (*b)[:n]
			return b
		}
		scratchPool.Put(b)
	}
	b := make([]float32, n)
	return &b
}

func putScratch(b *[]float32) { scratchPool.Put(b) }

// convRows is how many im2col values Conv builds at a time.
const convRows = 32 * 1024

// conv lays the taps of a band of output pixels out as rows (im2col) and
// multiplies them by the weights, which HWIO already lays out as the
// matching (KH·KW·InC, OutC) matrix.
func conv(dst, src, w, bias []float32, s Shape, act Act) {
	k := s.KH * s.KW * s.InC
	pixels := s.OutH * s.OutW
	band := max(6, convRows/k/6*6)
	buf := getScratch(min(band, pixels) * k)
	col := *buf
	var p *Packed
	if haveAsm && useAsm {
		p = PackPointwise(w, bias, k, s.OutC)
	}
	for p0 := 0; p0 < pixels; p0 += band {
		p1 := min(p0+band, pixels)
		im2col(col, src, s, p0, p1)
		out := dst[p0*s.OutC : p1*s.OutC]
		if p != nil {
			p.Apply(out, col, p1-p0, act)
		} else {
			gemmGo(out, col, w, bias, p1-p0, k, s.OutC, act)
		}
	}
	putScratch(buf)
}

// im2col writes the taps of output pixels p0 to p1, one row of
// KH·KW·InC values each, zeros in the padding.
func im2col(col, src []float32, s Shape, p0, p1 int) {
	row := s.KW * s.InC
	i := 0
	for p := p0; p < p1; p++ {
		oy, ox := p/s.OutW, p%s.OutW
		ix := ox*s.Stride - s.PadLeft
		for ky := 0; ky < s.KH; ky++ {
			t := col[i : i+row]
			i += row
			iy := oy*s.Stride - s.PadTop + ky
			switch {
			case iy < 0 || iy >= s.InH:
				clear(t)
			case ix >= 0 && ix+s.KW <= s.InW:
				copy(t, src[(iy*s.InW+ix)*s.InC:])
			default:
				im2colEdge(t, src[iy*s.InW*s.InC:(iy+1)*s.InW*s.InC], ix, s.InC)
			}
		}
	}
}

// im2colEdge fills the taps t of one kernel row that starts at column ix
// of the input row in and runs past its edge.
func im2colEdge(t, in []float32, ix, c int) {
	for kx := 0; kx*c < len(t); kx++ {
		tap := t[kx*c : kx*c+c]
		if x := ix + kx; x >= 0 && (x+1)*c <= len(in) {
			copy(tap, in[x*c:])
		} else {
			clear(tap)
		}
	}
}

func depthwise(dst, src, w, bias []float32, s Shape, act Act) {
	if haveAsm && useAsm && s.KH == 3 && s.KW == 3 && s.InC%8 == 0 {
		depthwise3x3Asm(dst, src, w, bias, s, act)
		return
	}
	depthwiseGo(dst, src, w, bias, s, act)
}

func pointwise(dst, src, w, bias []float32, pixels, inC, outC int, act Act) {
	// Fewer than 6 pixels go through the kernel as a tile padded to 6
	// rows: still faster than the portable loop, unless the weights would
	// have to be packed first.
	if !haveAsm || !useAsm || pixels == 0 || (pixels < 6 && outC%8 != 0) {
		gemmGo(dst, src, w, bias, pixels, inC, outC, act)
		return
	}
	if outC%8 != 0 {
		buf := getScratch(packedLen(inC, outC))
		o := packInto(*buf, w, bias, inC, outC).operand()
		o.gemmAsm(dst, src, pixels, act)
		putScratch(buf)
		return
	}
	o := operand{k: inC, n: outC, b: w, bias: bias}
	var buf *[]float32
	if bias == nil {
		buf = getScratch(outC)
		clear(*buf)
		o.bias = *buf
	}
	o.gemmAsm(dst, src, pixels, act)
	if buf != nil {
		putScratch(buf)
	}
}
