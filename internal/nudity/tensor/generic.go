package tensor

// The portable kernels. The assembly versions, where there are any, are
// checked against these.

func add(dst, a, b []float32) {
	a = a[:len(dst)]
	b = b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// axpy adds a*x to y.
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

func depthwiseGo(dst, src, w, bias []float32, s Shape, act Act) {
	c := s.OutC
	for oy := 0; oy < s.OutH; oy++ {
		for ox := 0; ox < s.OutW; ox++ {
			out := dst[(oy*s.OutW+ox)*c : (oy*s.OutW+ox+1)*c]
			setBias(out, bias)
			ix := ox*s.Stride - s.PadLeft
			for ky := 0; ky < s.KH; ky++ {
				iy := oy*s.Stride - s.PadTop + ky
				if iy < 0 || iy >= s.InH {
					continue
				}
				row := src[iy*s.InW*c : (iy+1)*s.InW*c]
				wk := w[ky*s.KW*c : (ky+1)*s.KW*c]
				if s.KW == 3 && ix >= 0 && ix+3 <= s.InW {
					tap3(out, row[ix*c:(ix+3)*c], wk)
					continue
				}
				for kx := 0; kx < s.KW; kx++ {
					if x := ix + kx; x >= 0 && x < s.InW {
						mulAdd(out, row[x*c:(x+1)*c], wk[kx*c:(kx+1)*c])
					}
				}
			}
			activate(out, act)
		}
	}
}

// mulAdd adds x[i]*y[i] to out[i].
func mulAdd(out, x, y []float32) {
	x, y = x[:len(out)], y[:len(out)]
	for i := range out {
		out[i] += x[i] * y[i]
	}
}

// tap3 adds one kernel row of three taps: in holds the three input pixels
// of len(out) channels side by side, and w their weights.
func tap3(out, in, w []float32) {
	c := len(out)
	in0, in1, in2 := in[:c], in[c:2*c], in[2*c:3*c]
	w0, w1, w2 := w[:c], w[c:2*c], w[2*c:3*c]
	for i := range out {
		out[i] += in0[i]*w0[i] + in1[i]*w1[i] + in2[i]*w2[i]
	}
}

// gemmGo is the portable matrix product: dst (m, n) = src (m, k) × w (k,
// n) + bias, then act. Four rows of dst at a time share each row of w.
func gemmGo(dst, src, w, bias []float32, m, k, n int, act Act) {
	i := 0
	for ; i+4 <= m; i += 4 {
		c0 := dst[i*n : i*n+n]
		c1 := dst[(i+1)*n : (i+1)*n+n]
		c2 := dst[(i+2)*n : (i+2)*n+n]
		c3 := dst[(i+3)*n : (i+3)*n+n]
		setBias(c0, bias)
		setBias(c1, bias)
		setBias(c2, bias)
		setBias(c3, bias)
		a0 := src[i*k : i*k+k]
		a1 := src[(i+1)*k : (i+1)*k+k]
		a2 := src[(i+2)*k : (i+2)*k+k]
		a3 := src[(i+3)*k : (i+3)*k+k]
		for kk, x0 := range a0 {
			x1, x2, x3 := a1[kk], a2[kk], a3[kk]
			b := w[kk*n : kk*n+n]
			c0, c1, c2, c3 := c0[:len(b)], c1[:len(b)], c2[:len(b)], c3[:len(b)]
			for j, bv := range b {
				c0[j] += x0 * bv
				c1[j] += x1 * bv
				c2[j] += x2 * bv
				c3[j] += x3 * bv
			}
		}
		activate(dst[i*n:(i+4)*n], act)
	}
	for ; i < m; i++ {
		out := dst[i*n : i*n+n]
		setBias(out, bias)
		for kk, x := range src[i*k : i*k+k] {
			axpy(out, x, w[kk*n:kk*n+n])
		}
		activate(out, act)
	}
}

// transpose writes w (k, n) into wt as (n, k).
func transpose(wt, w []float32, k, n int) {
	for kk := 0; kk < k; kk++ {
		for j, v := range w[kk*n : kk*n+n] {
			wt[j*k+kk] = v
		}
	}
}

// gemmGoT is gemmGo given wt, the transpose of w: every output is a dot
// product of two contiguous rows, taken two rows by two columns at a time
// so that each value loaded serves two products.
func gemmGoT(dst, src, wt, bias []float32, m, k, n int, act Act) {
	for i := 0; i < m; i += 2 {
		a0 := src[i*k : i*k+k]
		a1 := a0
		if i+1 < m {
			a1 = src[(i+1)*k : (i+1)*k+k]
		}
		out0 := dst[i*n : i*n+n]
		out1 := out0
		if i+1 < m {
			out1 = dst[(i+1)*n : (i+1)*n+n]
		}
		j := 0
		for ; j+2 <= n; j += 2 {
			out0[j], out0[j+1], out1[j], out1[j+1] = dot2x2(a0, a1, wt[j*k:j*k+k], wt[(j+1)*k:(j+1)*k+k])
		}
		if j < n {
			b := wt[j*k : j*k+k]
			out0[j], _, out1[j], _ = dot2x2(a0, a1, b, b)
		}
		// A last odd row is out0 twice over: written twice, the same.
		addBias(out0, bias)
		activate(out0, act)
		if i+1 < m {
			addBias(out1, bias)
			activate(out1, act)
		}
	}
}

// dot2x2 returns the dot products a0·b0, a0·b1, a1·b0, a1·b1.
func dot2x2(a0, a1, b0, b1 []float32) (c00, c01, c10, c11 float32) {
	a1, b0, b1 = a1[:len(a0)], b0[:len(a0)], b1[:len(a0)]
	for kk, x0 := range a0 {
		x1, y0, y1 := a1[kk], b0[kk], b1[kk]
		c00 += x0 * y0
		c01 += x0 * y1
		c10 += x1 * y0
		c11 += x1 * y1
	}
	return c00, c01, c10, c11
}

// addBias adds bias, when there is one, to v.
func addBias(v, bias []float32) {
	if bias == nil {
		return
	}
	bias = bias[:len(v)]
	for i := range v {
		v[i] += bias[i]
	}
}
