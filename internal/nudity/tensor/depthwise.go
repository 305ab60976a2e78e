package tensor

import "unsafe"

// depthwise3x3Asm is Depthwise for 3×3 kernels and a multiple of 8
// channels on the assembly kernel: each output row's inner columns in one
// run, the border pixels one at a time from the list of their taps that
// lie inside the input.
func depthwise3x3Asm(dst, src, w, bias []float32, s Shape, act Act) {
	c := s.InC
	var clamp [16]float32
	lo, hi := bounds(act)
	for i := 0; i < 8; i++ {
		clamp[i], clamp[8+i] = lo, hi
	}
	// Inner columns: every tap inside the row.
	oxA := min((s.PadLeft+s.Stride-1)/s.Stride, s.OutW)
	oxB := oxA
	if s.InW-3+s.PadLeft >= 0 {
		oxB = min(max((s.InW-3+s.PadLeft)/s.Stride+1, oxA), s.OutW)
	}
	run := oxB - oxA
	zeroLen := 9 * c
	if run > 0 {
		zeroLen = max(zeroLen, ((run-1)*s.Stride+3)*c)
	}
	buf := getScratch(zeroLen + c)
	zero, b := (*buf)[:zeroLen], (*buf)[zeroLen:]
	clear(zero)
	if bias != nil {
		copy(b, bias[:c])
	} else {
		clear(b)
	}
	for oy := 0; oy < s.OutH; oy++ {
		if run > 0 {
			var rows [3]*float32
			for ky := range rows {
				rows[ky] = &zero[0]
				if iy := oy*s.Stride - s.PadTop + ky; iy >= 0 && iy < s.InH {
					rows[ky] = &src[(iy*s.InW+oxA*s.Stride-s.PadLeft)*c]
				}
			}
			dw3x3(&dst[(oy*s.OutW+oxA)*c], rows[0], rows[1], rows[2], &w[0], &b[0], c, run, s.Stride*c, &clamp)
		}
		for ox := 0; ox < s.OutW; ox++ {
			if ox == oxA && run > 0 {
				ox = oxB - 1
				continue
			}
			taps, n := borderTaps(src, w, s, oy, ox)
			dwTaps(&dst[(oy*s.OutW+ox)*c], &taps, n, &b[0], c, &clamp)
		}
	}
	putScratch(buf)
}

// borderTaps lists the taps of output pixel (oy, ox) that lie inside the
// input, each as its input pixel and its weights.
func borderTaps(src, w []float32, s Shape, oy, ox int) (taps [18]unsafe.Pointer, n int) {
	c := s.InC
	for ky := 0; ky < 3; ky++ {
		iy := oy*s.Stride - s.PadTop + ky
		for kx := 0; kx < 3; kx++ {
			ix := ox*s.Stride - s.PadLeft + kx
			if iy < 0 || iy >= s.InH || ix < 0 || ix >= s.InW {
				continue
			}
			taps[2*n] = unsafe.Pointer(&src[(iy*s.InW+ix)*c])
			taps[2*n+1] = unsafe.Pointer(&w[(ky*3+kx)*c])
			n++
		}
	}
	return taps, n
}
