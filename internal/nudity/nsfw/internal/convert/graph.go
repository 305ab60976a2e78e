package main

import (
	"fmt"
	"sort"

	"github.com/safeguard-dev/safeguard/internal/nudity/nsfw/internal/modelfile"
)

// classes are nsfwjs's NSFW_CLASSES in output order.
var classes = []string{"Drawing", "Hentai", "Neutral", "Porn", "Sexy"}

// weightTable reads the weights manifest: every weight is float32 quantised
// to uint8, one byte each, in manifest order.
func weightTable(model map[string]any, dataLen int) (map[string]modelfile.Tensor, error) {
	groups, _ := model["weightsManifest"].([]any)
	if len(groups) != 1 {
		return nil, fmt.Errorf("want one weight group, have %d", len(groups))
	}
	g, _ := groups[0].(map[string]any)
	ws, _ := g["weights"].([]any)
	tensors := map[string]modelfile.Tensor{}
	off := 0
	for _, w := range ws {
		t, err := weightSpec(w)
		if err != nil {
			return nil, err
		}
		t.Offset = off
		off += t.Len()
		tensors[t.Name] = t
	}
	if off != dataLen {
		return nil, fmt.Errorf("manifest describes %d bytes, the shard has %d", off, dataLen)
	}
	return tensors, nil
}

func weightSpec(w any) (modelfile.Tensor, error) {
	m, _ := w.(map[string]any)
	name, _ := m["name"].(string)
	q, _ := m["quantization"].(map[string]any)
	if m["dtype"] != "float32" || q == nil || q["dtype"] != "uint8" {
		return modelfile.Tensor{}, fmt.Errorf("weight %q: want float32 quantised to uint8", name)
	}
	min, ok1 := q["min"].(float64)
	scale, ok2 := q["scale"].(float64)
	shape, ok3 := ints(m["shape"])
	if !ok1 || !ok2 || !ok3 || name == "" {
		return modelfile.Tensor{}, fmt.Errorf("weight %q: malformed spec", name)
	}
	return modelfile.Tensor{Name: name, Shape: shape, Min: min, Scale: scale}, nil
}

func ints(v any) ([]int, bool) {
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]int, len(a))
	for i, x := range a {
		f, ok := x.(float64)
		if !ok || f != float64(int(f)) {
			return nil, false
		}
		out[i] = int(f)
	}
	return out, true
}

// layer is one Keras layer of the topology.
type layer struct {
	class, name string
	cfg         map[string]any
	inputs      []string
}

// graph turns the Keras layers into operations. Layers that do no work of
// their own are attached to the operation that makes their input: alias
// maps such a layer's name to that operation.
type graph struct {
	tensors map[string]modelfile.Tensor
	used    map[string]bool
	ops     []*modelfile.Op
	byName  map[string]*modelfile.Op
	alias   map[string]string
	pads    map[string][4]int // ZeroPadding2D: top, bottom, left, right
	shape   map[string][3]int // output H, W, C of each operation
	users   map[string]int    // how many layers read each layer
}

func buildGraph(model map[string]any, tensors map[string]modelfile.Tensor) (*modelfile.Header, error) {
	layers, err := kerasLayers(model)
	if err != nil {
		return nil, err
	}
	g := &graph{tensors: tensors, used: map[string]bool{}, byName: map[string]*modelfile.Op{},
		alias: map[string]string{}, pads: map[string][4]int{}, shape: map[string][3]int{}, users: map[string]int{}}
	for _, l := range layers {
		for _, in := range l.inputs {
			g.users[in]++
		}
	}
	for _, l := range layers {
		if err := g.add(l); err != nil {
			return nil, fmt.Errorf("layer %s (%s): %w", l.name, l.class, err)
		}
	}
	var unused []string
	for name := range tensors {
		if !g.used[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return nil, fmt.Errorf("weights not used by any layer: %v", unused)
	}
	h := &modelfile.Header{Source: pkgName + "@" + pkgVersion + " " + modelDir, InputSize: 224,
		Classes: classes, Input: layers[0].name, Output: g.resolve(layers[len(layers)-1].name)}
	for _, op := range g.ops {
		h.Ops = append(h.Ops, *op)
	}
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return tensors[names[i]].Offset < tensors[names[j]].Offset })
	for _, n := range names {
		h.Tensors = append(h.Tensors, tensors[n])
	}
	last := h.Ops[len(h.Ops)-1]
	if last.Kind != modelfile.OpDense || last.Act != modelfile.ActSoftmax || last.OutC != len(classes) {
		return nil, fmt.Errorf("the network does not end in a %d-way softmax", len(classes))
	}
	return h, nil
}

func kerasLayers(model map[string]any) ([]layer, error) {
	topo, _ := model["modelTopology"].(map[string]any)
	mc, _ := topo["model_config"].(map[string]any)
	cfg, _ := mc["config"].(map[string]any)
	ls, _ := cfg["layers"].([]any)
	if len(ls) == 0 {
		return nil, fmt.Errorf("model has no layers")
	}
	var out []layer
	for _, x := range ls {
		m, _ := x.(map[string]any)
		l := layer{}
		l.class, _ = m["class_name"].(string)
		l.name, _ = m["name"].(string)
		l.cfg, _ = m["config"].(map[string]any)
		nodes, _ := m["inbound_nodes"].([]any)
		if len(nodes) > 1 {
			return nil, fmt.Errorf("layer %s is shared; not supported", l.name)
		}
		for _, n := range nodes {
			ins, _ := n.([]any)
			for _, in := range ins {
				ref, _ := in.([]any)
				if len(ref) == 0 {
					return nil, fmt.Errorf("layer %s: malformed inbound node", l.name)
				}
				name, _ := ref[0].(string)
				l.inputs = append(l.inputs, name)
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// resolve follows aliases to the operation that makes a layer's output.
func (g *graph) resolve(name string) string {
	for {
		a, ok := g.alias[name]
		if !ok {
			return name
		}
		name = a
	}
}

func (g *graph) tensor(name string) (string, error) {
	if _, ok := g.tensors[name]; !ok {
		return "", fmt.Errorf("no weight %s", name)
	}
	if g.used[name] {
		return "", fmt.Errorf("weight %s used twice", name)
	}
	g.used[name] = true
	return name, nil
}

func (g *graph) add(l layer) error {
	if l.class != "InputLayer" && len(l.inputs) == 0 {
		return fmt.Errorf("no input")
	}
	switch l.class {
	case "InputLayer":
		return g.input(l)
	case "ZeroPadding2D":
		return g.zeroPad(l)
	case "Conv2D", "DepthwiseConv2D":
		return g.conv(l)
	case "BatchNormalization":
		return g.batchNorm(l)
	case "ReLU":
		return g.relu(l)
	case "Add":
		return g.sum(l)
	case "AveragePooling2D", "GlobalAveragePooling2D":
		return g.pool(l)
	case "Flatten", "Dropout":
		return g.identity(l)
	case "Dense":
		return g.dense(l)
	}
	return fmt.Errorf("layer class not supported")
}

func (g *graph) input(l layer) error {
	s, ok := ints(l.cfg["batch_input_shape"].([]any)[1:])
	if !ok || len(s) != 3 || s[0] != 224 || s[1] != 224 || s[2] != 3 {
		return fmt.Errorf("want a 224×224×3 input, have %v", l.cfg["batch_input_shape"])
	}
	g.shape[l.name] = [3]int{224, 224, 3}
	return nil
}

func (g *graph) zeroPad(l layer) error {
	p, _ := l.cfg["padding"].([]any)
	if len(p) != 2 {
		return fmt.Errorf("padding %v", l.cfg["padding"])
	}
	tb, ok1 := ints(p[0])
	lr, ok2 := ints(p[1])
	if !ok1 || !ok2 || len(tb) != 2 || len(lr) != 2 || g.users[l.name] != 1 {
		return fmt.Errorf("padding %v", l.cfg["padding"])
	}
	in := g.resolve(l.inputs[0])
	if _, padded := g.pads[in]; padded {
		return fmt.Errorf("padding of padding")
	}
	g.alias[l.name] = in
	g.pads[l.name] = [4]int{tb[0], tb[1], lr[0], lr[1]}
	return nil
}

// conv adds a convolution. A ZeroPadding2D before it becomes its padding;
// TF's "same" padding puts the odd pixel at the bottom and right.
func (g *graph) conv(l layer) error {
	if err := checkConvConfig(l); err != nil {
		return err
	}
	k, _ := ints(l.cfg["kernel_size"])
	st, _ := ints(l.cfg["strides"])
	pad, padded := g.pads[l.inputs[0]]
	in := g.resolve(l.inputs[0])
	is, ok := g.shape[in]
	if !ok {
		return fmt.Errorf("input %s not made yet", in)
	}
	op := &modelfile.Op{Kind: modelfile.OpConv, Name: l.name, Inputs: []string{in}, Act: modelfile.ActLinear,
		InH: is[0], InW: is[1], InC: is[2], KH: k[0], KW: k[1], Stride: st[0]}
	var err error
	if l.class == "DepthwiseConv2D" {
		op.Kind = modelfile.OpDepthwise
		op.Kernel, err = g.tensor(l.name + "/depthwise_kernel")
		op.OutC = is[2]
	} else {
		op.Kernel, err = g.tensor(l.name + "/kernel")
		op.OutC = int(l.cfg["filters"].(float64))
	}
	if err != nil {
		return err
	}
	if err := g.checkKernel(op); err != nil {
		return err
	}
	switch {
	case l.cfg["padding"] == "valid":
		h := is[0] + pad[0] + pad[1]
		w := is[1] + pad[2] + pad[3]
		op.OutH, op.OutW = (h-op.KH)/op.Stride+1, (w-op.KW)/op.Stride+1
		op.PadTop, op.PadLeft = pad[0], pad[2]
	case l.cfg["padding"] == "same" && !padded:
		op.OutH, op.OutW = (is[0]+op.Stride-1)/op.Stride, (is[1]+op.Stride-1)/op.Stride
		op.PadTop = max((op.OutH-1)*op.Stride+op.KH-is[0], 0) / 2
		op.PadLeft = max((op.OutW-1)*op.Stride+op.KW-is[1], 0) / 2
	default:
		return fmt.Errorf("padding %v", l.cfg["padding"])
	}
	return g.push(op)
}

func checkConvConfig(l layer) error {
	k, ok1 := ints(l.cfg["kernel_size"])
	st, ok2 := ints(l.cfg["strides"])
	dil, ok3 := ints(l.cfg["dilation_rate"])
	if !ok1 || !ok2 || !ok3 || len(k) != 2 || len(st) != 2 || st[0] != st[1] || dil[0] != 1 || dil[1] != 1 {
		return fmt.Errorf("kernel %v strides %v dilation %v not supported", l.cfg["kernel_size"], l.cfg["strides"], l.cfg["dilation_rate"])
	}
	if l.cfg["use_bias"] != false || l.cfg["activation"] != "linear" || l.cfg["data_format"] != "channels_last" {
		return fmt.Errorf("want channels_last, no bias, linear activation")
	}
	if l.class == "DepthwiseConv2D" && l.cfg["depth_multiplier"] != 1.0 {
		return fmt.Errorf("depth multiplier %v not supported", l.cfg["depth_multiplier"])
	}
	return nil
}

func (g *graph) checkKernel(op *modelfile.Op) error {
	want := []int{op.KH, op.KW, op.InC, op.OutC}
	if op.Kind == modelfile.OpDepthwise {
		want = []int{op.KH, op.KW, op.InC, 1}
	}
	if got := g.tensors[op.Kernel].Shape; fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("kernel shape %v, want %v", got, want)
	}
	return nil
}

func (g *graph) push(op *modelfile.Op) error {
	if _, dup := g.byName[op.Name]; dup {
		return fmt.Errorf("duplicate name")
	}
	g.ops = append(g.ops, op)
	g.byName[op.Name] = op
	g.shape[op.Name] = [3]int{op.OutH, op.OutW, op.OutC}
	return nil
}

// fusable returns the operation a layer can be attached to: the one that
// makes its input, read by this layer alone.
func (g *graph) fusable(l layer) (*modelfile.Op, error) {
	if len(l.inputs) != 1 || g.users[l.inputs[0]] != 1 {
		return nil, fmt.Errorf("input is shared")
	}
	op := g.byName[g.resolve(l.inputs[0])]
	if op == nil {
		return nil, fmt.Errorf("input is not an operation")
	}
	return op, nil
}

func (g *graph) batchNorm(l layer) error {
	op, err := g.fusable(l)
	if err != nil {
		return err
	}
	if (op.Kind != modelfile.OpConv && op.Kind != modelfile.OpDepthwise) || op.BN != nil || op.Act != modelfile.ActLinear {
		return fmt.Errorf("batch normalisation must follow a convolution directly")
	}
	if l.cfg["center"] != true || l.cfg["scale"] != true || l.cfg["axis"] != -1.0 {
		return fmt.Errorf("want center, scale and the last axis")
	}
	bn := &modelfile.BatchNorm{Epsilon: l.cfg["epsilon"].(float64)}
	for _, p := range []struct {
		dst  *string
		name string
	}{{&bn.Gamma, "gamma"}, {&bn.Beta, "beta"}, {&bn.Mean, "moving_mean"}, {&bn.Variance, "moving_variance"}} {
		if *p.dst, err = g.tensor(l.name + "/" + p.name); err != nil {
			return err
		}
		if s := g.tensors[*p.dst].Shape; len(s) != 1 || s[0] != op.OutC {
			return fmt.Errorf("%s has shape %v, want [%d]", *p.dst, s, op.OutC)
		}
	}
	op.BN = bn
	g.alias[l.name] = op.Name
	return nil
}

func (g *graph) relu(l layer) error {
	op, err := g.fusable(l)
	if err != nil {
		return err
	}
	if op.Act != modelfile.ActLinear || op.Kind == modelfile.OpAdd {
		return fmt.Errorf("ReLU must follow a convolution or dense layer without activation")
	}
	if l.cfg["negative_slope"] != 0.0 || l.cfg["threshold"] != 0.0 {
		return fmt.Errorf("leaky or thresholded ReLU not supported")
	}
	switch l.cfg["max_value"] {
	case 6.0:
		op.Act = modelfile.ActReLU6
	case nil:
		op.Act = modelfile.ActReLU
	default:
		return fmt.Errorf("max_value %v not supported", l.cfg["max_value"])
	}
	g.alias[l.name] = op.Name
	return nil
}

func (g *graph) sum(l layer) error {
	if len(l.inputs) != 2 {
		return fmt.Errorf("want two inputs")
	}
	a, b := g.resolve(l.inputs[0]), g.resolve(l.inputs[1])
	if g.shape[a] != g.shape[b] {
		return fmt.Errorf("shapes %v and %v differ", g.shape[a], g.shape[b])
	}
	s := g.shape[a]
	return g.push(&modelfile.Op{Kind: modelfile.OpAdd, Name: l.name, Inputs: []string{a, b},
		InH: s[0], InW: s[1], InC: s[2], OutH: s[0], OutW: s[1], OutC: s[2]})
}

// pool adds the mean pool; an AveragePooling2D must cover the whole input.
func (g *graph) pool(l layer) error {
	in := g.resolve(l.inputs[0])
	s := g.shape[in]
	if l.class == "AveragePooling2D" {
		ps, ok := ints(l.cfg["pool_size"])
		if !ok || len(ps) != 2 || ps[0] != s[0] || ps[1] != s[1] || l.cfg["padding"] != "valid" {
			return fmt.Errorf("pool %v over %v: only a pool over the whole input is supported", l.cfg["pool_size"], s)
		}
	}
	return g.push(&modelfile.Op{Kind: modelfile.OpMeanPool, Name: l.name, Inputs: []string{in},
		InH: s[0], InW: s[1], InC: s[2], OutH: 1, OutW: 1, OutC: s[2]})
}

// identity attaches Flatten (after the pool the output is already flat) and
// Dropout (nothing at inference) to their input.
func (g *graph) identity(l layer) error {
	in := g.resolve(l.inputs[0])
	if s := g.shape[in]; l.class == "Flatten" && (s[0] != 1 || s[1] != 1) {
		return fmt.Errorf("flatten of %v not supported", s)
	}
	g.alias[l.name] = in
	return nil
}

func (g *graph) dense(l layer) error {
	in := g.resolve(l.inputs[0])
	s := g.shape[in]
	if s[0] != 1 || s[1] != 1 {
		return fmt.Errorf("dense over %v: flatten first", s)
	}
	units := int(l.cfg["units"].(float64))
	op := &modelfile.Op{Kind: modelfile.OpDense, Name: l.name, Inputs: []string{in},
		InH: 1, InW: 1, InC: s[2], OutH: 1, OutW: 1, OutC: units}
	switch l.cfg["activation"] {
	case "relu":
		op.Act = modelfile.ActReLU
	case "softmax":
		op.Act = modelfile.ActSoftmax
	case "linear":
		op.Act = modelfile.ActLinear
	default:
		return fmt.Errorf("activation %v not supported", l.cfg["activation"])
	}
	var err error
	if op.Kernel, err = g.tensor(l.name + "/kernel"); err != nil {
		return err
	}
	if got := g.tensors[op.Kernel].Shape; fmt.Sprint(got) != fmt.Sprint([]int{s[2], units}) {
		return fmt.Errorf("kernel shape %v, want [%d %d]", got, s[2], units)
	}
	if l.cfg["use_bias"] == true {
		if op.Bias, err = g.tensor(l.name + "/bias"); err != nil {
			return err
		}
	}
	return g.push(op)
}
