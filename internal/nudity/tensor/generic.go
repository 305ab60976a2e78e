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

func convGo(dst, src, w, bias []float32, s Shape, act Act) {
	oc := s.OutC
	for oy := 0; oy < s.OutH; oy++ {
		for ox := 0; ox < s.OutW; ox++ {
			out := dst[(oy*s.OutW+ox)*oc : (oy*s.OutW+ox+1)*oc]
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
					in := src[(iy*s.InW+ix)*s.InC : (iy*s.InW+ix+1)*s.InC]
					wk := w[(ky*s.KW+kx)*s.InC*oc:]
					for ic, v := range in {
						axpy(out, v, wk[ic*oc:ic*oc+oc])
					}
				}
			}
			activate(out, act)
		}
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

func pointwiseGo(dst, src, w, bias []float32, pixels, inC, outC int, act Act) {
	for p := 0; p < pixels; p++ {
		out := dst[p*outC : p*outC+outC]
		setBias(out, bias)
		in := src[p*inC : p*inC+inC]
		for ic, v := range in {
			axpy(out, v, w[ic*outC:ic*outC+outC])
		}
		activate(out, act)
	}
}
