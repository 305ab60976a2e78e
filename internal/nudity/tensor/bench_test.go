package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchPaths runs f as sub-benchmarks on the assembly path (when this
// machine has it) and on the portable one, and reports the multiply-adds
// per second of processor time alongside the usual wall-clock figure.
func benchPaths(b *testing.B, name string, macs int, f func()) {
	for _, asm := range []bool{true, false} {
		path := "go"
		if asm {
			path = "asm"
		}
		b.Run(name+"/"+path, func(b *testing.B) {
			if asm && !(haveAsm && useAsm) {
				b.Skip("no AVX2 and FMA kernels here")
			}
			was := useAsm
			defer func() { useAsm = was }()
			useAsm = asm
			f()
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				f()
			}
			if cpu := cpuTime(); cpu > 0 {
				b.ReportMetric((cpu-cpu0)*1e6/float64(b.N), "cpu-µs/op")
				b.ReportMetric(float64(macs)*float64(b.N)/(cpu-cpu0)/1e9, "GMAC/s")
			}
		})
	}
}

// distinct returns the layers of MobileNetV2 of the given kind, one of
// each shape, with how many times each shape occurs.
func distinct(kind layerKind) ([]layer, map[Shape]int) {
	var out []layer
	count := map[Shape]int{}
	for _, l := range mobileNetV2(rand.New(rand.NewPCG(1, 1))) {
		if l.kind != kind {
			continue
		}
		if count[l.s] == 0 {
			out = append(out, l)
		}
		count[l.s]++
	}
	return out, count
}

func BenchmarkConv(b *testing.B) {
	ls, _ := distinct(convLayer)
	for _, l := range ls {
		s := l.s
		src, dst := randVec(rand.New(rand.NewPCG(1, 2)), s.InH*s.InW*s.InC), make([]float32, s.OutH*s.OutW*s.OutC)
		name := fmt.Sprintf("%dx%dx%d-%dx%d/%d-%d", s.InH, s.InW, s.InC, s.KH, s.KW, s.Stride, s.OutC)
		benchPaths(b, name, l.macs(), func() { Conv(dst, src, l.w, l.bias, s, l.act) })
	}
}

func BenchmarkDepthwise(b *testing.B) {
	ls, _ := distinct(depthwiseLayer)
	for _, l := range ls {
		s := l.s
		src, dst := randVec(rand.New(rand.NewPCG(1, 2)), s.InH*s.InW*s.InC), make([]float32, s.OutH*s.OutW*s.OutC)
		name := fmt.Sprintf("%dx%dx%d/%d", s.InH, s.InW, s.InC, s.Stride)
		benchPaths(b, name, l.macs(), func() { Depthwise(dst, src, l.w, l.bias, s, l.act) })
	}
}

func BenchmarkPointwise(b *testing.B) {
	ls, _ := distinct(pointwiseLayer)
	for _, l := range ls {
		s := l.s
		px := s.InH * s.InW
		src, dst := randVec(rand.New(rand.NewPCG(1, 2)), px*s.InC), make([]float32, px*s.OutC)
		name := fmt.Sprintf("%dx%d-%d", px, s.InC, s.OutC)
		benchPaths(b, name, l.macs(), func() { Pointwise(dst, src, l.w, l.bias, px, s.InC, s.OutC, l.act) })
		p := PackPointwise(l.w, l.bias, s.InC, s.OutC)
		benchPaths(b, name+"/packed", l.macs(), func() { p.Apply(dst, src, px, l.act) })
	}
}

// BenchmarkDense is the classifier head: 1280 features to 256, then 5.
func BenchmarkDense(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 3))
	for _, c := range [][2]int{{1280, 256}, {256, 5}, {1280, 5}} {
		src, w, bias, dst := randVec(r, c[0]), randVec(r, c[0]*c[1]), randVec(r, c[1]), make([]float32, c[1])
		benchPaths(b, fmt.Sprintf("%d-%d", c[0], c[1]), c[0]*c[1], func() { Dense(dst, src, w, bias, c[0], c[1]) })
	}
}

// BenchmarkMobileNetV2Kinds is the forward pass split by kind of layer:
// each sub-benchmark runs every layer of its kind in the network, with its
// real shape, once.
func BenchmarkMobileNetV2Kinds(b *testing.B) {
	n := newNet(7)
	for _, kind := range []layerKind{convLayer, depthwiseLayer, pointwiseLayer, addLayer} {
		var ls []*layer
		macs := 0
		for i := range n.layers {
			if l := &n.layers[i]; l.kind == kind {
				ls = append(ls, l)
				macs += l.macs()
			}
		}
		name := [...]string{"conv", "depthwise", "pointwise", "add"}[kind]
		src, dst := n.bufs[0], n.bufs[1]
		benchPaths(b, name, macs, func() {
			for _, l := range ls {
				s := l.s
				switch kind {
				case convLayer:
					Conv(dst, src, l.w, l.bias, s, l.act)
				case depthwiseLayer:
					Depthwise(dst, src, l.w, l.bias, s, l.act)
				case pointwiseLayer:
					Pointwise(dst, src, l.w, l.bias, s.InH*s.InW, s.InC, s.OutC, l.act)
				case addLayer:
					size := s.InH * s.InW * s.InC
					Add(dst[:size], src, n.bufs[2])
				}
			}
		})
	}
}
