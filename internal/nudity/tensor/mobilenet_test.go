package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The layer shapes of MobileNetV2 (alpha 1.0, 224×224 input), with random
// weights: the work of one forward pass of the image classifier, for the
// benchmarks and for a test that the two paths agree over a whole network.

type layerKind uint8

const (
	convLayer layerKind = iota
	depthwiseLayer
	pointwiseLayer
	addLayer // adds the input of the block that this layer ends
)

type layer struct {
	kind    layerKind
	s       Shape // for pointwise: InH×InW pixels, InC→OutC
	act     Act
	w, bias []float32
	packed  *Packed
}

func (l *layer) macs() int {
	s := l.s
	switch l.kind {
	case convLayer:
		return s.OutH * s.OutW * s.OutC * s.KH * s.KW * s.InC
	case depthwiseLayer:
		return s.OutH * s.OutW * s.OutC * s.KH * s.KW
	case pointwiseLayer:
		return s.InH * s.InW * s.InC * s.OutC
	}
	return 0
}

// mobileNetV2 builds the layers; classes is the dense layer's width.
func mobileNetV2(r *rand.Rand) []layer {
	var ls []layer
	weights := func(n, fanIn int) []float32 {
		v := randVec(r, n)
		sc := float32(math.Sqrt(2 / float64(fanIn)))
		for i := range v {
			v[i] *= sc
		}
		return v
	}
	add := func(kind layerKind, s Shape, act Act) {
		l := layer{kind: kind, s: s, act: act, bias: weights(s.OutC, 50)}
		switch kind {
		case convLayer:
			l.w = weights(s.KH*s.KW*s.InC*s.OutC, s.KH*s.KW*s.InC)
		case depthwiseLayer:
			l.w = weights(s.KH*s.KW*s.InC, s.KH*s.KW)
		case pointwiseLayer:
			l.w = weights(s.InC*s.OutC, s.InC)
		}
		ls = append(ls, l)
	}
	h, c := 112, 32
	add(convLayer, validAfterPad(224, 224, 3, 32, 3, 2), ReLU6)
	blocks := [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}
	for _, b := range blocks {
		t, out, n, stride := b[0], b[1], b[2], b[3]
		for i := 0; i < n; i++ {
			s := 1
			if i == 0 {
				s = stride
			}
			e := c * t
			if t != 1 {
				add(pointwiseLayer, Shape{InH: h, InW: h, InC: c, OutH: h, OutW: h, OutC: e}, ReLU6)
			}
			var ds Shape
			if s == 2 {
				ds = validAfterPad(h, h, e, e, 3, 2)
			} else {
				ds = same(h, h, e, e, 3, 1)
			}
			add(depthwiseLayer, ds, ReLU6)
			h = ds.OutH
			add(pointwiseLayer, Shape{InH: h, InW: h, InC: e, OutH: h, OutW: h, OutC: out}, Linear)
			if s == 1 && c == out {
				ls = append(ls, layer{kind: addLayer, s: Shape{InH: h, InW: h, InC: out}})
			}
			c = out
		}
	}
	add(pointwiseLayer, Shape{InH: h, InW: h, InC: c, OutH: h, OutW: h, OutC: 1280}, ReLU6)
	return ls
}

// net is MobileNetV2 with its buffers and the classifier head.
type net struct {
	layers         []layer
	denseW, denseB []float32
	bufs           [3][]float32
	pooled, out    []float32
}

const classes = 5

func newNet(seed uint64) *net {
	r := rand.New(rand.NewPCG(seed, 1))
	n := &net{layers: mobileNetV2(r)}
	n.denseW, n.denseB = randVec(r, 1280*classes), randVec(r, classes)
	for i := range n.bufs {
		n.bufs[i] = make([]float32, 112*112*96)
	}
	n.pooled, n.out = make([]float32, 1280), make([]float32, classes)
	return n
}

// pack packs the pointwise layers' weights once.
func (n *net) pack() {
	for i := range n.layers {
		if l := &n.layers[i]; l.kind == pointwiseLayer {
			l.packed = PackPointwise(l.w, l.bias, l.s.InC, l.s.OutC)
		}
	}
}

func (n *net) macs() int {
	sum := 1280 * classes
	for i := range n.layers {
		sum += n.layers[i].macs()
	}
	return sum
}

// forward runs the network on img (224×224×3) and returns the class
// probabilities.
func (n *net) forward(img []float32) []float32 {
	// Buffer indexes: cur holds the last output (-1: the image), blockIn
	// the input of the block under way, kept for its residual addition.
	cur, blockIn := -1, -1
	in := func(i int) []float32 {
		if i < 0 {
			return img
		}
		return n.bufs[i]
	}
	for i := range n.layers {
		l := &n.layers[i]
		s := l.s
		if l.kind == addLayer {
			Add(n.bufs[cur][:s.InH*s.InW*s.InC], n.bufs[cur], n.bufs[blockIn])
			blockIn = -1
			continue
		}
		o := 0
		for o == cur || o == blockIn {
			o++
		}
		dst, src := n.bufs[o], in(cur)
		switch l.kind {
		case convLayer:
			Conv(dst, src, l.w, l.bias, s, l.act)
		case depthwiseLayer:
			Depthwise(dst, src, l.w, l.bias, s, l.act)
		case pointwiseLayer:
			if l.act != Linear { // an expansion: keep the block's input
				blockIn = cur
			}
			if l.packed != nil {
				l.packed.Apply(dst, src, s.InH*s.InW, l.act)
			} else {
				Pointwise(dst, src, l.w, l.bias, s.InH*s.InW, s.InC, s.OutC, l.act)
			}
		}
		cur = o
	}
	MeanPool(n.pooled, n.bufs[cur], 7*7, 1280)
	Dense(n.out, n.pooled, n.denseW, n.denseB, 1280, classes)
	Softmax(n.out)
	return n.out
}

func randImage(seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	img := make([]float32, 224*224*3)
	for i := range img {
		img[i] = r.Float32()*2 - 1
	}
	return img
}

// TestMobileNetV2PathsAgree runs the whole network on both paths, with the
// weights packed once and not, and compares the pooled features and the
// probabilities.
func TestMobileNetV2PathsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole network on the portable path")
	}
	img := randImage(9)
	n := newNet(7)
	was := useAsm
	defer func() { useAsm = was }()
	useAsm = false
	ref := append([]float32(nil), n.forward(img)...)
	refPool := append([]float32(nil), n.pooled...)
	var sum float64
	for _, v := range refPool {
		sum += math.Abs(float64(v))
	}
	if sum == 0 {
		t.Fatal("the pooled features are all zero: the test network is degenerate")
	}
	for _, packed := range []bool{false, true} {
		useAsm = haveAsm && was
		if packed {
			n.pack()
		}
		got := n.forward(img)
		name := fmt.Sprintf("asm %v, packed %v", useAsm, packed)
		for i, v := range n.pooled {
			if d := math.Abs(float64(v - refPool[i])); d > 1e-3*math.Max(1, math.Abs(float64(refPool[i]))) {
				t.Fatalf("%s: pooled[%d] = %g, portable path %g", name, i, v, refPool[i])
			}
		}
		for i, v := range got {
			if d := math.Abs(float64(v - ref[i])); d > 1e-4 {
				t.Fatalf("%s: p[%d] = %g, portable path %g", name, i, v, ref[i])
			}
		}
	}
}

// reportForward reports the wall-clock and the processor time of a
// forward pass, and the multiply-adds per second of processor time.
func reportForward(b *testing.B, n *net, cpu0 float64) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/forward")
	b.ReportMetric(0, "ns/op")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(cpu*1000/float64(b.N), "cpu-ms/forward")
		b.ReportMetric(float64(n.macs())*float64(b.N)/cpu/1e9, "GMAC/s")
	}
}

// BenchmarkMobileNetV2Shapes is one forward pass over MobileNetV2's layer
// shapes with random weights (decode and resize not included).
func BenchmarkMobileNetV2Shapes(b *testing.B) {
	img := randImage(9)
	paths := []struct {
		name        string
		asm, packed bool
	}{{"asm", true, false}, {"asm-packed", true, true}, {"go", false, false}, {"go-packed", false, true}}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			if p.asm && !(haveAsm && useAsm) {
				b.Skip("no AVX2 and FMA kernels here")
			}
			was := useAsm
			defer func() { useAsm = was }()
			useAsm = p.asm
			n := newNet(7)
			if p.packed {
				n.pack()
			}
			if testing.Verbose() && p.name == "asm" {
				b.Logf("%d layers, %.1f million multiply-adds", len(n.layers), float64(n.macs())/1e6)
			}
			n.forward(img)
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				n.forward(img)
			}
			reportForward(b, n, cpu0)
		})
	}
}
