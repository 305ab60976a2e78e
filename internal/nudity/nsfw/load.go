package nsfw

import (
	"fmt"
	"math"

	"github.com/safeguard-dev/safeguard/internal/nudity/nsfw/internal/modelfile"
	"github.com/safeguard-dev/safeguard/internal/nudity/tensor"
)

// load parses a model file: it dequantises the weights as tfjs does
// (float32(byte*scale+min)), folds each batch normalisation into the
// convolution before it, and gives every operation's output a workspace
// slot, reusing a slot once nothing reads it any more.
func load(b []byte) (*Model, error) {
	h, data, err := modelfile.Read(b)
	if err != nil {
		return nil, err
	}
	if len(h.Classes) != 5 || h.Classes[0] != "Drawing" || h.Classes[2] != "Neutral" || h.Classes[4] != "Sexy" {
		return nil, fmt.Errorf("nsfw: model classes %v, want Drawing, Hentai, Neutral, Porn, Sexy", h.Classes)
	}
	l := &loader{h: h, data: data, tensors: map[string]modelfile.Tensor{}}
	for _, t := range h.Tensors {
		l.tensors[t.Name] = t
	}
	m := &Model{size: h.InputSize}
	a := newAllocator(h)
	m.input = a.define(h.Input, h.InputSize*h.InputSize*3)
	for i, mo := range h.Ops {
		o, err := l.op(mo)
		if err != nil {
			return nil, fmt.Errorf("nsfw: operation %s: %w", mo.Name, err)
		}
		if o.in, err = a.use(mo.Inputs[0], mo.InH*mo.InW*mo.InC); err != nil {
			return nil, err
		}
		if len(mo.Inputs) > 1 {
			if o.in2, err = a.use(mo.Inputs[1], mo.InH*mo.InW*mo.InC); err != nil {
				return nil, err
			}
		}
		o.out = a.define(mo.Name, mo.OutH*mo.OutW*mo.OutC)
		a.release(i)
		m.ops = append(m.ops, o)
	}
	out, ok := a.slotOf[h.Output]
	if !ok || h.Output != h.Ops[len(h.Ops)-1].Name {
		return nil, fmt.Errorf("nsfw: output %s is not the last operation", h.Output)
	}
	if a.size[h.Output] != len(h.Classes) {
		return nil, fmt.Errorf("nsfw: output has %d values, want %d", a.size[h.Output], len(h.Classes))
	}
	m.output = out
	m.slots = a.sizes
	return m, nil
}

type loader struct {
	h       *modelfile.Header
	data    []byte
	tensors map[string]modelfile.Tensor
}

// weights dequantises a tensor; want, if not nil, is the shape it must have.
func (l *loader) weights(name string, want ...int) ([]float32, error) {
	t, ok := l.tensors[name]
	if !ok {
		return nil, fmt.Errorf("no tensor %s", name)
	}
	if want != nil && fmt.Sprint(t.Shape) != fmt.Sprint(want) {
		return nil, fmt.Errorf("tensor %s has shape %v, want %v", name, t.Shape, want)
	}
	q := l.data[t.Offset : t.Offset+t.Len()]
	v := make([]float32, len(q))
	for i, b := range q {
		v[i] = float32(float64(b)*t.Scale + t.Min)
	}
	return v, nil
}

func (l *loader) op(mo modelfile.Op) (op, error) {
	o := op{kind: mo.Kind, shape: tensor.Shape{InH: mo.InH, InW: mo.InW, InC: mo.InC, OutH: mo.OutH, OutW: mo.OutW,
		OutC: mo.OutC, KH: mo.KH, KW: mo.KW, Stride: mo.Stride, PadTop: mo.PadTop, PadLeft: mo.PadLeft}}
	switch mo.Act {
	case modelfile.ActLinear, "":
		o.act = tensor.Linear
	case modelfile.ActReLU:
		o.act = tensor.ReLU
	case modelfile.ActReLU6:
		o.act = tensor.ReLU6
	case modelfile.ActSoftmax:
		o.act, o.softmax = tensor.Linear, true
	default:
		return o, fmt.Errorf("activation %q", mo.Act)
	}
	want := 1
	if mo.Kind == modelfile.OpAdd {
		want = 2
	}
	if len(mo.Inputs) != want {
		return o, fmt.Errorf("%d inputs, want %d", len(mo.Inputs), want)
	}
	var err error
	switch mo.Kind {
	case modelfile.OpConv, modelfile.OpDepthwise:
		err = l.conv(&o, mo)
	case modelfile.OpDense:
		err = l.dense(&o, mo)
	case modelfile.OpAdd, modelfile.OpMeanPool:
	default:
		err = fmt.Errorf("kind %q", mo.Kind)
	}
	return o, err
}

func (l *loader) conv(o *op, mo modelfile.Op) error {
	var err error
	if mo.Kind == modelfile.OpDepthwise {
		o.w, err = l.weights(mo.Kernel, mo.KH, mo.KW, mo.InC, 1)
	} else {
		o.w, err = l.weights(mo.Kernel, mo.KH, mo.KW, mo.InC, mo.OutC)
	}
	if err != nil {
		return err
	}
	if mo.BN != nil {
		if err := l.fold(o, mo.BN, mo.OutC); err != nil {
			return err
		}
	}
	if mo.Kind == modelfile.OpConv && mo.KH == 1 && mo.KW == 1 && mo.Stride == 1 && mo.PadTop == 0 &&
		mo.PadLeft == 0 && mo.InH == mo.OutH && mo.InW == mo.OutW {
		o.pointwise = tensor.PackPointwise(o.w, o.bias, mo.InC, mo.OutC)
	}
	return nil
}

// fold folds a batch normalisation into o's kernel (whose last axis is the
// output channel) and bias: w' = w*k, b' = beta - mean*k with
// k = gamma/sqrt(variance+epsilon).
func (l *loader) fold(o *op, bn *modelfile.BatchNorm, c int) error {
	var p [4][]float32
	for i, name := range []string{bn.Gamma, bn.Beta, bn.Mean, bn.Variance} {
		var err error
		if p[i], err = l.weights(name, c); err != nil {
			return err
		}
	}
	gamma, beta, mean, variance := p[0], p[1], p[2], p[3]
	k := make([]float64, c)
	o.bias = make([]float32, c)
	for i := range c {
		k[i] = float64(gamma[i]) / math.Sqrt(float64(variance[i])+bn.Epsilon)
		o.bias[i] = float32(float64(beta[i]) - float64(mean[i])*k[i])
	}
	for i := range o.w {
		o.w[i] = float32(float64(o.w[i]) * k[i%c])
	}
	return nil
}

func (l *loader) dense(o *op, mo modelfile.Op) error {
	var err error
	if o.w, err = l.weights(mo.Kernel, mo.InC, mo.OutC); err != nil {
		return err
	}
	if mo.Bias != "" {
		o.bias, err = l.weights(mo.Bias, mo.OutC)
	}
	return err
}

// allocator gives outputs workspace slots. An output's slot is free again
// after the last operation that reads it.
type allocator struct {
	lastUse map[string]int
	slotOf  map[string]int
	size    map[string]int // values in each output
	sizes   []int
	free    []int
	dying   map[int][]string // operation index → outputs it reads last
}

func newAllocator(h *modelfile.Header) *allocator {
	a := &allocator{lastUse: map[string]int{}, slotOf: map[string]int{}, size: map[string]int{}, dying: map[int][]string{}}
	for i, o := range h.Ops {
		for _, in := range o.Inputs {
			a.lastUse[in] = i
		}
	}
	for name, i := range a.lastUse {
		a.dying[i] = append(a.dying[i], name)
	}
	return a
}

func (a *allocator) define(name string, n int) int {
	var s int
	if len(a.free) > 0 {
		s = a.free[len(a.free)-1]
		a.free = a.free[:len(a.free)-1]
		a.sizes[s] = max(a.sizes[s], n)
	} else {
		s = len(a.sizes)
		a.sizes = append(a.sizes, n)
	}
	a.slotOf[name] = s
	a.size[name] = n
	return s
}

// use returns the slot of an earlier output, which must hold n values.
func (a *allocator) use(name string, n int) (int, error) {
	s, ok := a.slotOf[name]
	if !ok {
		return 0, fmt.Errorf("nsfw: %s is read before it is made", name)
	}
	if a.size[name] != n {
		return 0, fmt.Errorf("nsfw: %s has %d values, its reader expects %d", name, a.size[name], n)
	}
	return s, nil
}

// release frees the slots of the outputs operation i was the last to read.
func (a *allocator) release(i int) {
	for _, name := range a.dying[i] {
		a.free = append(a.free, a.slotOf[name])
	}
}
