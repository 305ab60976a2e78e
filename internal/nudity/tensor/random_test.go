package tensor

import (
	"math/rand/v2"
	"testing"
)

// randomShape draws a convolution shape, small enough for the reference
// loops: kernels 1 to 5 on a side, strides 1 to 3, any padding that leaves
// every output pixel at least one tap inside the input.
func randomShape(r *rand.Rand, depthwise bool) Shape {
	s := Shape{InH: 1 + r.IntN(12), InW: 1 + r.IntN(12), InC: 1 + r.IntN(40), KH: 1 + r.IntN(5), KW: 1 + r.IntN(5), Stride: 1 + r.IntN(3)}
	if r.IntN(2) == 0 { // the shapes MobileNetV2 has: 3×3, many channels
		s.KH, s.KW, s.InC = 3, 3, 8*(1+r.IntN(6))+r.IntN(2)*r.IntN(8)
	}
	s.PadTop, s.PadLeft = r.IntN(s.KH), r.IntN(s.KW)
	s.OutH = max(1, (s.InH+s.PadTop-1)/s.Stride+1-r.IntN(2))
	s.OutW = max(1, (s.InW+s.PadLeft-1)/s.Stride+1-r.IntN(2))
	s.OutC = 1 + r.IntN(40)
	if depthwise {
		s.OutC = s.InC
	}
	return s
}

// TestRandomShapes checks both paths against the reference loops on many
// drawn shapes: odd sizes, channel counts that are not multiples of 8,
// padding on every side.
func TestRandomShapes(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 50
	}
	forPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		for i := 0; i < n; i++ {
			act, withBias := acts[r.IntN(3)], r.IntN(4) != 0
			checkConv(t, r, randomShape(r, false), act, withBias)
			checkDepthwise(t, r, randomShape(r, true), act, withBias)
			checkPointwise(t, r, r.IntN(70), 1+r.IntN(50), 1+r.IntN(70), act, withBias)
			if t.Failed() {
				return
			}
		}
	})
}

// FuzzShapes runs the kernels on shapes built from the fuzzer's numbers.
func FuzzShapes(f *testing.F) {
	f.Add(uint64(1), uint8(0))
	f.Add(uint64(99), uint8(1))
	f.Fuzz(func(t *testing.T, seed uint64, asm uint8) {
		was := useAsm
		defer func() { useAsm = was }()
		useAsm = was && asm%2 == 1
		r := rand.New(rand.NewPCG(seed, 0))
		act := acts[r.IntN(3)]
		checkConv(t, r, randomShape(r, false), act, true)
		checkDepthwise(t, r, randomShape(r, true), act, r.IntN(2) == 0)
		checkPointwise(t, r, r.IntN(40), 1+r.IntN(40), 1+r.IntN(40), act, r.IntN(2) == 0)
	})
}
