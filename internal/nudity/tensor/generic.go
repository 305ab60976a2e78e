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
			for ky := 0; ky < s.KH; ky++ {
				iy := oy*s.Stride - s.PadTop + ky
				if iy < 0 || iy >= s.InH {
					continue
				}
				for kx := 0; kx < s.KW; kx++ {
					ix := ox*s.Stride - s.PadLeft + kx
					if ix < 0 || ix >= s.InW {
						continue
					}
					in := src[(iy*s.InW+ix)*c : (iy*s.InW+ix+1)*c]
					wk := w[(ky*s.KW+kx)*c : (ky*s.KW+kx+1)*c]
					for i := range out {
						out[i] += in[i] * wk[i]
					}
				}
			}
			activate(out, act)
		}
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
