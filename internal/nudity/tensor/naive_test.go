package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The reference loops: the definitions, written as plainly as possible and
// summed in float64.

func actRef(x float64, act Act) float64 {
	switch act {
	case ReLU:
		return math.Max(x, 0)
	case ReLU6:
		return math.Min(math.Max(x, 0), 6)
	}
	return x
}

// convRef is Conv and, with depthwise set, Depthwise. It returns the outputs
// and, for each, the sum of the absolute values of its terms (the scale
// against which rounding is judged).
func convRef(src, w, bias []float32, s Shape, act Act, depthwise bool) (out, scale []float64) {
	out = make([]float64, s.OutH*s.OutW*s.OutC)
	scale = make([]float64, len(out))
	for oy := 0; oy < s.OutH; oy++ {
		for ox := 0; ox < s.OutW; ox++ {
			for oc := 0; oc < s.OutC; oc++ {
				var sum, abs float64
				if bias != nil {
					sum, abs = float64(bias[oc]), math.Abs(float64(bias[oc]))
				}
				for ky := 0; ky < s.KH; ky++ {
					for kx := 0; kx < s.KW; kx++ {
						iy, ix := oy*s.Stride-s.PadTop+ky, ox*s.Stride-s.PadLeft+kx
						if iy < 0 || iy >= s.InH || ix < 0 || ix >= s.InW {
							continue
						}
						ic0, ic1 := 0, s.InC
						if depthwise {
							ic0, ic1 = oc, oc+1
						}
						for ic := ic0; ic < ic1; ic++ {
							var wv float32
							if depthwise {
								wv = w[(ky*s.KW+kx)*s.InC+ic]
							} else {
								wv = w[((ky*s.KW+kx)*s.InC+ic)*s.OutC+oc]
							}
							t := float64(src[(iy*s.InW+ix)*s.InC+ic]) * float64(wv)
							sum += t
							abs += math.Abs(t)
						}
					}
				}
				i := (oy*s.OutW+ox)*s.OutC + oc
				out[i], scale[i] = actRef(sum, act), abs
			}
		}
	}
	return out, scale
}

func pointwiseRef(src, w, bias []float32, pixels, inC, outC int, act Act) (out, scale []float64) {
	s := Shape{InH: 1, InW: pixels, InC: inC, OutH: 1, OutW: pixels, OutC: outC, KH: 1, KW: 1, Stride: 1}
	return convRef(src, w, bias, s, act, false)
}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// sentinel fills the slack after a tensor, to catch writes past its end.
const sentinel = float32(-12345.5)

// padded returns a slice of n values followed by a few sentinels; the
// kernel is given all of it and must touch only the first n.
func padded(n int) []float32 {
	v := make([]float32, n+9)
	for i := range v {
		v[i] = sentinel
	}
	return v
}

// compare fails t when got differs from want by more than 1e-4 of the
// term scale (at least 1), or when got wrote past len(want).
func compare(t *testing.T, what string, got []float32, want, scale []float64) {
	t.Helper()
	bad := 0
	for i, w := range want {
		tol := 1e-4 * math.Max(1, scale[i])
		if d := math.Abs(float64(got[i]) - w); !(d <= tol) {
			if bad < 5 {
				t.Errorf("%s: [%d] = %g, want %g (tolerance %g)", what, i, got[i], w, tol)
			}
			bad++
		}
	}
	for i := len(want); i < len(got); i++ {
		if got[i] != sentinel {
			t.Fatalf("%s: wrote past the end at %d", what, i)
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values wrong", what, bad, len(want))
	}
}
