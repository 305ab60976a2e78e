// Package nsfw is an image classifier that gives, for any image, the
// probabilities of five classes — Drawing, Hentai, Neutral, Porn, Sexy — as
// the nsfwjs 4.4.0 MobileNetV2 model does. The model's weights are embedded
// (model.bin, converted from the npm package by `go generate`; see
// PROVENANCE.md and LICENSE) and run in pure Go on the kernels of package
// tensor; nothing is fetched at run time. The preprocessing is nsfwjs's
// own, and a conformance test holds the scores within 0.01 of the
// JavaScript reference on a set of harmless images.
package nsfw

//go:generate go run ./internal/convert

import (
	_ "embed"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/safeguard-dev/safeguard/internal/nudity/nsfw/internal/modelfile"
	"github.com/safeguard-dev/safeguard/internal/nudity/tensor"
)

//go:embed model.bin
var modelBin []byte

// Scores are the model's class probabilities for one image; they add up
// to 1.
type Scores struct{ Drawing, Hentai, Neutral, Porn, Sexy float64 }

// Model is a loaded classifier. It is safe for concurrent use.
type Model struct {
	size   int
	input  int // slot of the network input
	output int // slot of the network output
	ops    []op
	slots  []int // size of each workspace slot, in float32s
	work   sync.Pool
}

var (
	defaultOnce  sync.Once
	defaultModel *Model
	defaultErr   error
)

// Default returns the embedded model, parsed once.
func Default() (*Model, error) {
	defaultOnce.Do(func() {
		defaultModel, defaultErr = load(modelBin)
	})
	return defaultModel, defaultErr
}

// Classify gives the class probabilities of img. It scales the image's RGB
// channels (alpha dropped) to [0, 1], resizes it to 224×224 with bilinear
// interpolation and aligned corners, and runs the network, as nsfwjs's
// classify does on an RGB tensor.
func (m *Model) Classify(img image.Image) (Scores, error) {
	if img == nil {
		return Scores{}, errors.New("nsfw: no image")
	}
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return Scores{}, fmt.Errorf("nsfw: empty image (%d×%d)", b.Dx(), b.Dy())
	}
	wp := m.workspace()
	defer m.work.Put(wp)
	ws := *wp
	preprocess(ws[m.input], img, m.size)
	for i := range m.ops {
		m.ops[i].run(ws)
	}
	p := ws[m.output]
	return Scores{Drawing: float64(p[0]), Hentai: float64(p[1]), Neutral: float64(p[2]),
		Porn: float64(p[3]), Sexy: float64(p[4])}, nil
}

// workspace returns one buffer per slot, from the pool or new. The pool
// holds pointers, so putting a workspace back does not allocate.
func (m *Model) workspace() *[][]float32 {
	if wp, ok := m.work.Get().(*[][]float32); ok {
		return wp
	}
	ws := make([][]float32, len(m.slots))
	for i, n := range m.slots {
		ws[i] = make([]float32, n)
	}
	return &ws
}

// op is one operation with its weights ready: batch normalisation folded
// into the kernel and bias, inputs and output given as workspace slots.
type op struct {
	kind      string
	in, in2   int
	out       int
	w, bias   []float32
	shape     tensor.Shape
	act       tensor.Act
	softmax   bool
	pointwise *tensor.Packed // a 1×1 convolution's weights, packed once
}

func (o *op) run(ws [][]float32) {
	s := o.shape
	src, dst := ws[o.in], ws[o.out]
	switch o.kind {
	case modelfile.OpConv:
		if o.pointwise != nil {
			o.pointwise.Apply(dst, src, s.InH*s.InW, o.act)
		} else {
			tensor.Conv(dst, src, o.w, o.bias, s, o.act)
		}
	case modelfile.OpDepthwise:
		tensor.Depthwise(dst, src, o.w, o.bias, s, o.act)
	case modelfile.OpAdd:
		tensor.Add(dst[:s.OutH*s.OutW*s.OutC], src, ws[o.in2])
	case modelfile.OpMeanPool:
		tensor.MeanPool(dst, src, s.InH*s.InW, s.InC)
	case modelfile.OpDense:
		v := dst[:s.OutC]
		tensor.Dense(v, src, o.w, o.bias, s.InC, s.OutC)
		if o.act == tensor.ReLU {
			for i, x := range v {
				v[i] = max(x, 0)
			}
		}
		if o.softmax {
			tensor.Softmax(v)
		}
	}
}
