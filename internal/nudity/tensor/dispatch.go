package tensor

func conv(dst, src, w, bias []float32, s Shape, act Act) { convGo(dst, src, w, bias, s, act) }

func depthwise(dst, src, w, bias []float32, s Shape, act Act) {
	depthwiseGo(dst, src, w, bias, s, act)
}

func pointwise(dst, src, w, bias []float32, pixels, inC, outC int, act Act) {
	pointwiseGo(dst, src, w, bias, pixels, inC, outC, act)
}
