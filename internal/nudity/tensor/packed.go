package tensor

import "fmt"

// Packed is a Pointwise layer's weights and bias arranged once for the
// matrix kernel: columns in panels of 16 (the last of 8 when that is
// enough), each panel's inC rows contiguous, padded with zeros. Calling
// Apply instead of Pointwise skips arranging them again on every call.
type Packed struct {
	inC, outC int
	w, bias   []float32 // as given
	wt        []float32 // w transposed, for the portable kernel
	panels    []float32
	pbias     []float32 // bias padded to the panels' width
}

// PackPointwise arranges w (inC, outC) and bias (outC values, or nil) for
// Apply, the way the kernels that run on this machine read them fastest.
// It keeps w and bias, which must not change afterwards.
func PackPointwise(w, bias []float32, inC, outC int) *Packed {
	checkGEMM(nil, nil, w, bias, 0, inC, outC)
	if haveAsm && useAsm {
		return packInto(make([]float32, packedLen(inC, outC)), w, bias, inC, outC)
	}
	wt := make([]float32, inC*outC)
	transpose(wt, w, inC, outC)
	return &Packed{inC: inC, outC: outC, w: w, bias: bias, wt: wt}
}

// Apply is Pointwise with the packed weights: dst (pixels, outC) =
// src (pixels, inC) × w + bias, then act.
func (p *Packed) Apply(dst, src []float32, pixels int, act Act) {
	if pixels < 0 {
		panic(fmt.Sprintf("tensor: %d pixels", pixels))
	}
	need(dst, pixels*p.outC, "dst")
	need(src, pixels*p.inC, "src")
	switch {
	case haveAsm && useAsm && pixels > 0 && p.panels != nil:
		o := p.operand()
		o.gemmAsm(dst, src, pixels, act)
	case p.wt != nil && pixels > 1:
		gemmGoT(dst, src, p.wt, p.bias, pixels, p.inC, p.outC, act)
	default:
		pointwise(dst, src, p.w, p.bias, pixels, p.inC, p.outC, act)
	}
}

// paddedCols is outC rounded up to whole panels.
func paddedCols(outC int) int {
	n := outC / 16 * 16
	switch r := outC % 16; {
	case r > 8:
		n += 16
	case r > 0:
		n += 8
	}
	return n
}

// panelWidth is the width of the panel starting at column j0.
func panelWidth(j0, outC int) int {
	if outC-j0 > 8 {
		return 16
	}
	return 8
}

func packedLen(inC, outC int) int { return (inC + 1) * paddedCols(outC) }

// packInto packs into buf, of packedLen values.
func packInto(buf, w, bias []float32, inC, outC int) *Packed {
	cols := paddedCols(outC)
	p := &Packed{inC: inC, outC: outC, w: w, bias: bias, panels: buf[:inC*cols], pbias: buf[inC*cols : (inC+1)*cols]}
	for j0 := 0; j0 < outC; j0 += 16 {
		pw := panelWidth(j0, outC)
		n := min(pw, outC-j0)
		panel := p.panels[j0*inC : (j0+pw)*inC]
		for k := 0; k < inC; k++ {
			row := panel[k*pw : k*pw+pw]
			copy(row, w[k*outC+j0:k*outC+j0+n])
			clear(row[n:])
		}
	}
	if bias != nil {
		copy(p.pbias, bias[:outC])
		clear(p.pbias[outC:])
	} else {
		clear(p.pbias)
	}
	return p
}

// mBlock is how many rows of src the matrix kernel takes at a time: about
// 96 KiB of them, so that they stay in the L2 cache while every panel
// passes over them.
func mBlock(inC int) int {
	return max(6, 96*1024/4/inC/6*6)
}

// operand is the right-hand matrix of a product as the assembly kernels
// read it: packed panels, or the weights as given when every panel is
// whole (outC a multiple of 8).
type operand struct {
	k, n   int
	b      []float32
	bias   []float32 // at least n values, padded to the panels
	packed bool
}

func (p *Packed) operand() operand {
	return operand{k: p.inC, n: p.outC, b: p.panels, bias: p.pbias, packed: true}
}

// panel returns the start of the panel at column j0 and the distance in
// bytes between its rows.
func (o *operand) panel(j0 int) (*float32, int) {
	if o.packed {
		return &o.b[j0*o.k], panelWidth(j0, o.n) * 4
	}
	return &o.b[j0], o.n * 4
}

// gemmAsm runs the assembly micro-kernels over the whole product.
func (o *operand) gemmAsm(dst, src []float32, pixels int, act Act) {
	lo, hi := bounds(act)
	clamp := [2]float32{lo, hi}
	full := pixels / 6 * 6
	mb := mBlock(o.k)
	for i0 := 0; i0 < full; i0 += mb {
		i1 := min(i0+mb, full)
		for j0 := 0; j0 < o.n; j0 += 16 {
			o.panelRows(dst, src, i0, i1, j0, &clamp)
		}
	}
	if full < pixels {
		o.tailRows(dst, src, full, pixels, &clamp)
	}
}

func kernelFor(pw int) func(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *[2]float32, ldb int) {
	if pw == 8 {
		return gemm6x8
	}
	return gemm6x16
}

// panelRows computes rows i0 to i1 (a multiple of 6 apart) of the panel
// at column j0.
func (o *operand) panelRows(dst, src []float32, i0, i1, j0 int, clamp *[2]float32) {
	k, n := o.k, o.n
	pw := panelWidth(j0, n)
	b, ldb := o.panel(j0)
	bias := &o.bias[j0]
	kern := kernelFor(pw)
	if j0+pw <= n {
		for i := i0; i < i1; i += 6 {
			kern(k, &src[i*k], k*4, b, &dst[i*n+j0], n*4, bias, clamp, ldb)
		}
		return
	}
	var tile [6 * 16]float32
	cols := n - j0
	for i := i0; i < i1; i += 6 {
		kern(k, &src[i*k], k*4, b, &tile[0], pw*4, bias, clamp, ldb)
		for r := 0; r < 6; r++ {
			copy(dst[(i+r)*n+j0:(i+r)*n+n], tile[r*pw:r*pw+cols])
		}
	}
}

// tailRows computes the last rows, fewer than 6, through a copy of them
// padded to 6 rows.
func (o *operand) tailRows(dst, src []float32, i0, i1 int, clamp *[2]float32) {
	k, n := o.k, o.n
	rows := i1 - i0
	buf := getScratch(6 * k)
	a := *buf
	copy(a, src[i0*k:i1*k])
	clear(a[rows*k:])
	var tile [6 * 16]float32
	for j0 := 0; j0 < n; j0 += 16 {
		pw := panelWidth(j0, n)
		b, ldb := o.panel(j0)
		kernelFor(pw)(k, &a[0], k*4, b, &tile[0], pw*4, &o.bias[j0], clamp, ldb)
		cols := min(pw, n-j0)
		for r := 0; r < rows; r++ {
			copy(dst[(i0+r)*n+j0:(i0+r)*n+j0+cols], tile[r*pw:r*pw+cols])
		}
	}
	putScratch(buf)
}
