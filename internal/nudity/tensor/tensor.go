// Package tensor holds the numeric kernels of the image classifier: the
// convolutions, the 1×1 convolution as a matrix product, pooling, the dense
// layer and softmax, on float32 tensors laid out NHWC without a batch
// dimension (height, width, channels; channels vary fastest).
//
// Every kernel has a portable Go version. On amd64 with AVX2 and FMA the
// hot kernels run in assembly instead; the build tag purego forces the Go
// versions everywhere. Both give the same results within float rounding.
package tensor

import (
	"fmt"
	"math"
)

// Act is the activation applied to a kernel's output, fused into it.
type Act uint8

// The activations.
const (
	Linear Act = iota // none
	ReLU              // max(x, 0)
	ReLU6             // min(max(x, 0), 6)
)

// Shape describes one convolution. The input is InH×InW×InC, the output
// OutH×OutW×OutC; the kernel is KH×KW. Output pixel (oy, ox) reads input
// rows oy*Stride-PadTop+ky and columns ox*Stride-PadLeft+kx; reads outside
// the input are zero. Bottom and right padding are whatever the output size
// implies: TF 'same' is PadTop = (needed)/2 (floor), Keras 'valid' after a
// ZeroPadding2D((0,1),(0,1)) is PadTop = PadLeft = 0.
type Shape struct {
	InH, InW, InC    int
	OutH, OutW, OutC int
	KH, KW           int
	Stride           int
	PadTop, PadLeft  int
}

func (s Shape) check(dst, src, w, bias []float32, depthwise bool) {
	if s.Stride < 1 || s.KH < 1 || s.KW < 1 || s.InH < 1 || s.InW < 1 || s.InC < 1 || s.OutH < 1 || s.OutW < 1 || s.OutC < 1 {
		panic(fmt.Sprintf("tensor: bad shape %+v", s))
	}
	wn := s.KH * s.KW * s.InC * s.OutC
	if depthwise {
		if s.InC != s.OutC {
			panic(fmt.Sprintf("tensor: depthwise needs InC == OutC, have %d and %d", s.InC, s.OutC))
		}
		wn = s.KH * s.KW * s.InC
	}
	need(dst, s.OutH*s.OutW*s.OutC, "dst")
	need(src, s.InH*s.InW*s.InC, "src")
	need(w, wn, "weights")
	if bias != nil {
		need(bias, s.OutC, "bias")
	}
}

func need(v []float32, n int, what string) {
	if len(v) < n {
		panic(fmt.Sprintf("tensor: %s has %d values, needs %d", what, len(v), n))
	}
}

// Conv is a full 2-D convolution. w is HWIO: (KH, KW, InC, OutC). bias,
// of OutC values, may be nil.
func Conv(dst, src, w, bias []float32, s Shape, act Act) {
	s.check(dst, src, w, bias, false)
	conv(dst, src, w, bias, s, act)
}

// Depthwise is a depthwise convolution with channel multiplier 1: w is
// (KH, KW, C) and InC must equal OutC. bias, of C values, may be nil.
func Depthwise(dst, src, w, bias []float32, s Shape, act Act) {
	s.check(dst, src, w, bias, true)
	depthwise(dst, src, w, bias, s, act)
}

// Pointwise is a 1×1 convolution over `pixels` positions: dst (pixels, outC)
// = src (pixels, inC) × w (inC, outC) + bias, then act. bias may be nil.
func Pointwise(dst, src, w, bias []float32, pixels, inC, outC int, act Act) {
	checkGEMM(dst, src, w, bias, pixels, inC, outC)
	pointwise(dst, src, w, bias, pixels, inC, outC, act)
}

func checkGEMM(dst, src, w, bias []float32, pixels, inC, outC int) {
	if pixels < 0 || inC < 1 || outC < 1 {
		panic(fmt.Sprintf("tensor: bad pointwise shape %d×%d→%d", pixels, inC, outC))
	}
	need(dst, pixels*outC, "dst")
	need(src, pixels*inC, "src")
	need(w, inC*outC, "weights")
	if bias != nil {
		need(bias, outC, "bias")
	}
}

// Add sets dst[i] = a[i] + b[i] for every i of dst. dst may alias a or b.
func Add(dst, a, b []float32) {
	need(a, len(dst), "a")
	need(b, len(dst), "b")
	add(dst, a, b)
}

// MeanPool averages src (pixels, c) over its pixels into dst (c).
func MeanPool(dst, src []float32, pixels, c int) {
	need(dst, c, "dst")
	need(src, pixels*c, "src")
	dst = dst[:c]
	clear(dst)
	for p := 0; p < pixels; p++ {
		row := src[p*c : p*c+c]
		for i, v := range row {
			dst[i] += v
		}
	}
	if pixels > 0 {
		inv := 1 / float32(pixels)
		for i := range dst {
			dst[i] *= inv
		}
	}
}

// Dense is a fully connected layer: dst (out) = src (in) × w (in, out) +
// bias. bias may be nil. No activation; apply Softmax after if wanted.
func Dense(dst, src, w, bias []float32, in, out int) {
	checkGEMM(dst, src, w, bias, 1, in, out)
	pointwise(dst, src, w, bias, 1, in, out, Linear)
}

// Softmax replaces v by its softmax, computed stably (the largest value is
// subtracted first) in float64.
func Softmax(v []float32) {
	if len(v) == 0 {
		return
	}
	m := v[0]
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	var sum float64
	for i, x := range v {
		e := math.Exp(float64(x - m))
		v[i] = float32(e)
		sum += e
	}
	inv := 1 / sum
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}

// activate applies act to v in place, without branches on the values
// (which, for activations, are as good as random).
func activate(v []float32, act Act) {
	switch act {
	case ReLU:
		for i, x := range v {
			v[i] = max(x, 0)
		}
	case ReLU6:
		for i, x := range v {
			v[i] = min(max(x, 0), 6)
		}
	}
}

// setBias fills v with bias, or zeros when bias is nil.
func setBias(v, bias []float32) {
	if bias == nil {
		clear(v)
		return
	}
	copy(v, bias[:len(v)])
}
