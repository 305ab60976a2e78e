package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// same returns a TF 'same' shape: output ceil(in/stride), top/left padding
// the floor of half the padding needed.
func same(h, w, inC, outC, k, stride int) Shape {
	oh, ow := (h+stride-1)/stride, (w+stride-1)/stride
	ph := max((oh-1)*stride+k-h, 0)
	pw := max((ow-1)*stride+k-w, 0)
	return Shape{InH: h, InW: w, InC: inC, OutH: oh, OutW: ow, OutC: outC, KH: k, KW: k, Stride: stride, PadTop: ph / 2, PadLeft: pw / 2}
}

// validAfterPad is Keras 'valid' after ZeroPadding2D(((0,1),(0,1))): the
// input grows by one row and column at the bottom and right, no padding at
// the top or left.
func validAfterPad(h, w, inC, outC, k, stride int) Shape {
	oh, ow := (h+1-k)/stride+1, (w+1-k)/stride+1
	return Shape{InH: h, InW: w, InC: inC, OutH: oh, OutW: ow, OutC: outC, KH: k, KW: k, Stride: stride}
}

var acts = []Act{Linear, ReLU, ReLU6}

// forPaths runs f with the assembly kernels, when this machine has them,
// and with the portable ones.
func forPaths(t *testing.T, f func(t *testing.T)) {
	was := useAsm
	defer func() { useAsm = was }()
	if haveAsm && was {
		useAsm = true
		t.Run("asm", f)
	}
	useAsm = false
	t.Run("go", f)
}

func checkConv(t *testing.T, r *rand.Rand, s Shape, act Act, withBias bool) {
	t.Helper()
	src := randVec(r, s.InH*s.InW*s.InC)
	w := randVec(r, s.KH*s.KW*s.InC*s.OutC)
	var bias []float32
	if withBias {
		bias = randVec(r, s.OutC)
	}
	want, scale := convRef(src, w, bias, s, act, false)
	dst := padded(len(want))
	Conv(dst, src, w, bias, s, act)
	compare(t, fmt.Sprintf("Conv %+v act %d", s, act), dst, want, scale)
}

func checkDepthwise(t *testing.T, r *rand.Rand, s Shape, act Act, withBias bool) {
	t.Helper()
	src := randVec(r, s.InH*s.InW*s.InC)
	w := randVec(r, s.KH*s.KW*s.InC)
	var bias []float32
	if withBias {
		bias = randVec(r, s.OutC)
	}
	want, scale := convRef(src, w, bias, s, act, true)
	dst := padded(len(want))
	Depthwise(dst, src, w, bias, s, act)
	compare(t, fmt.Sprintf("Depthwise %+v act %d", s, act), dst, want, scale)
}

func checkPointwise(t *testing.T, r *rand.Rand, pixels, inC, outC int, act Act, withBias bool) {
	t.Helper()
	src := randVec(r, pixels*inC)
	w := randVec(r, inC*outC)
	var bias []float32
	if withBias {
		bias = randVec(r, outC)
	}
	want, scale := pointwiseRef(src, w, bias, pixels, inC, outC, act)
	dst := padded(len(want))
	Pointwise(dst, src, w, bias, pixels, inC, outC, act)
	compare(t, fmt.Sprintf("Pointwise %d×%d→%d act %d", pixels, inC, outC, act), dst, want, scale)
}

func TestConv(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		shapes := []Shape{
			validAfterPad(224, 224, 3, 32, 3, 2), // MobileNetV2's first layer, Keras
			same(224, 224, 3, 32, 3, 2),          // the same, TF 'same'
			same(7, 9, 3, 5, 3, 2),
			same(5, 5, 4, 17, 3, 1),
			same(6, 6, 3, 8, 5, 1),
			validAfterPad(9, 8, 2, 3, 3, 2),
			{InH: 4, InW: 5, InC: 3, OutH: 3, OutW: 2, OutC: 7, KH: 2, KW: 3, Stride: 2, PadTop: 1, PadLeft: 0},
			{InH: 1, InW: 1, InC: 1, OutH: 1, OutW: 1, OutC: 1, KH: 1, KW: 1, Stride: 1},
		}
		for i, s := range shapes {
			checkConv(t, r, s, acts[i%3], i%4 != 3)
		}
	})
}

func TestDepthwise(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		shapes := []Shape{
			same(112, 112, 32, 32, 3, 1),          // MobileNetV2 block 0
			validAfterPad(112, 112, 96, 96, 3, 2), // block 1, Keras
			same(112, 112, 96, 96, 3, 2),          // block 1, TF
			same(56, 56, 144, 144, 3, 1),
			validAfterPad(14, 14, 576, 576, 3, 2),
			same(7, 7, 960, 960, 3, 1),
			same(5, 7, 13, 13, 3, 1),
			same(6, 5, 9, 9, 3, 2),
			validAfterPad(7, 6, 1, 1, 3, 2),
			same(8, 8, 20, 20, 5, 2),
			{InH: 3, InW: 3, InC: 7, OutH: 3, OutW: 3, OutC: 7, KH: 3, KW: 3, Stride: 1, PadTop: 2, PadLeft: 2},
		}
		for i, s := range shapes {
			checkDepthwise(t, r, s, acts[i%3], i%4 != 3)
		}
	})
}

func TestPointwise(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		cases := [][3]int{
			{3136, 144, 24}, {3136, 24, 144}, {12544, 32, 16}, {12544, 16, 96}, {49, 320, 1280}, {196, 384, 64},
			{1, 1, 1}, {1, 40, 24}, {3, 20, 16}, {7, 3, 5}, {13, 17, 31}, {5, 33, 40}, {6, 8, 16}, {23, 9, 24}, {4, 64, 47}, {0, 3, 4},
		}
		for i, c := range cases {
			checkPointwise(t, r, c[0], c[1], c[2], acts[i%3], i%4 != 3)
		}
	})
}

// TestPackedApply checks weights packed once, for whichever path packs
// them, and Apply with more and fewer pixels than the kernels' tiles.
func TestPackedApply(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for i, c := range [][3]int{{3136, 144, 24}, {49, 320, 1280}, {13, 17, 31}, {7, 3, 5}, {1, 9, 12}, {2, 5, 3}, {5, 8, 16}, {40, 16, 36}} {
			pixels, inC, outC := c[0], c[1], c[2]
			src, w := randVec(r, pixels*inC), randVec(r, inC*outC)
			var bias []float32
			if i%3 != 1 {
				bias = randVec(r, outC)
			}
			p := PackPointwise(w, bias, inC, outC)
			act := acts[i%3]
			want, scale := pointwiseRef(src, w, bias, pixels, inC, outC, act)
			dst := padded(len(want))
			p.Apply(dst, src, pixels, act)
			compare(t, fmt.Sprintf("Packed %d×%d→%d act %d", pixels, inC, outC, act), dst, want, scale)
		}
	})
}

func TestAddMeanPoolDense(t *testing.T) {
	forPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, n := range []int{0, 1, 7, 8, 33, 1000} {
			a, b := randVec(r, n), randVec(r, n)
			dst := padded(n)
			Add(dst[:n], a, b)
			want, scale := make([]float64, n), make([]float64, n)
			for i := range want {
				want[i] = float64(a[i]) + float64(b[i])
				scale[i] = math.Abs(float64(a[i])) + math.Abs(float64(b[i]))
			}
			compare(t, "Add", dst, want, scale)
			Add(a, a, b) // in place
			compare(t, "Add in place", a, want, scale)
		}
		for _, c := range [][2]int{{49, 1280}, {1, 3}, {10, 7}} {
			src := randVec(r, c[0]*c[1])
			want, scale := make([]float64, c[1]), make([]float64, c[1])
			for p := 0; p < c[0]; p++ {
				for i := range want {
					want[i] += float64(src[p*c[1]+i]) / float64(c[0])
					scale[i] += math.Abs(float64(src[p*c[1]+i])) / float64(c[0])
				}
			}
			dst := padded(c[1])
			MeanPool(dst, src, c[0], c[1])
			compare(t, "MeanPool", dst, want, scale)
		}
		for _, c := range [][2]int{{1280, 5}, {1280, 256}, {100, 64}, {3, 1}, {17, 33}} {
			src, w, bias := randVec(r, c[0]), randVec(r, c[0]*c[1]), randVec(r, c[1])
			want, scale := pointwiseRef(src, w, bias, 1, c[0], c[1], Linear)
			dst := padded(c[1])
			Dense(dst, src, w, bias, c[0], c[1])
			compare(t, "Dense", dst, want, scale)
		}
	})
}

func TestSoftmax(t *testing.T) {
	v := []float32{1, 2, 3, 1000, -1000}
	Softmax(v)
	var sum float32
	for _, x := range v {
		sum += x
	}
	if math.Abs(float64(sum)-1) > 1e-6 || v[3] < 0.999 || v[4] != 0 {
		t.Fatalf("Softmax = %v", v)
	}
	v = []float32{0, float32(math.Log(3))}
	Softmax(v)
	if math.Abs(float64(v[0])-0.25) > 1e-6 || math.Abs(float64(v[1])-0.75) > 1e-6 {
		t.Fatalf("Softmax = %v, want [0.25 0.75]", v)
	}
	Softmax(nil)
}

func TestShortSlicesPanic(t *testing.T) {
	s := same(4, 4, 3, 8, 3, 1)
	for name, f := range map[string]func(){
		"conv dst":      func() { Conv(make([]float32, 10), make([]float32, 48), make([]float32, 216), nil, s, Linear) },
		"depthwise InC": func() { Depthwise(make([]float32, 128), make([]float32, 48), make([]float32, 72), nil, s, Linear) },
		"pointwise w":   func() { Pointwise(make([]float32, 8), make([]float32, 6), make([]float32, 5), nil, 2, 3, 4, ReLU) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
