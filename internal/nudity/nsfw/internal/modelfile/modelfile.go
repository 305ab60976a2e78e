// Package modelfile is the layout of the classifier's embedded model: a
// short magic, a JSON header that describes the network as a list of
// operations on named tensors, then the weights as they ship in the nsfwjs
// package, one byte per weight with each tensor's dequantisation
// parameters (value = byte*Scale + Min, as tfjs computes it).
package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Magic starts every model file; its last byte is the layout's version.
const Magic = "SGNSFW\x00\x01"

// The operation kinds.
const (
	OpConv      = "conv"      // convolution, weights HWIO
	OpDepthwise = "depthwise" // depthwise convolution, channel multiplier 1, weights (kh, kw, c, 1)
	OpAdd       = "add"       // element-wise sum of two earlier outputs
	OpMeanPool  = "meanpool"  // mean over all pixels, per channel
	OpDense     = "dense"     // fully connected, weights (in, out)
)

// The activations.
const (
	ActLinear  = "linear"
	ActReLU    = "relu"
	ActReLU6   = "relu6"
	ActSoftmax = "softmax"
)

// Header describes the network and where each tensor's bytes lie.
type Header struct {
	Source    string   // e.g. "nsfwjs@4.4.0 dist/models/mobilenet_v2"
	InputSize int      // square input side, 224
	Classes   []string // output order
	Input     string   // name of the input
	Output    string   // name of the last operation's output
	Tensors   []Tensor
	Ops       []Op
}

// Tensor is one quantised weight tensor: Len(Shape) bytes from Offset in
// the data that follows the header.
type Tensor struct {
	Name   string
	Shape  []int
	Min    float64
	Scale  float64
	Offset int
}

// Len is the number of elements of the tensor.
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// BatchNorm names the tensors of a batch normalisation that follows a
// convolution (inference form: (x-Mean)/sqrt(Variance+Epsilon)*Gamma+Beta).
type BatchNorm struct {
	Gamma, Beta, Mean, Variance string
	Epsilon                     float64
}

// Op is one operation. Its output is called Name; Inputs name earlier
// outputs or the network's input. Spatial sizes are those of the 224×224
// input the network is run on.
type Op struct {
	Kind   string
	Name   string
	Inputs []string
	Kernel string     `json:",omitempty"`
	Bias   string     `json:",omitempty"`
	BN     *BatchNorm `json:",omitempty"`
	Act    string     `json:",omitempty"`

	InH, InW, InC    int
	OutH, OutW, OutC int
	KH, KW, Stride   int `json:",omitempty"`
	PadTop, PadLeft  int `json:",omitempty"`
}

// Write writes a model file.
func Write(w io.Writer, h *Header, data []byte) error {
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(Magic)
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(hb)))
	buf.Write(hb)
	buf.Write(data)
	_, err = w.Write(buf.Bytes())
	return err
}

// Read parses a model file. The returned data aliases b.
func Read(b []byte) (*Header, []byte, error) {
	if len(b) < len(Magic)+4 || string(b[:len(Magic)]) != Magic {
		return nil, nil, errors.New("modelfile: not a model file of this version")
	}
	b = b[len(Magic):]
	n := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if n > len(b) {
		return nil, nil, errors.New("modelfile: truncated header")
	}
	var h Header
	if err := json.Unmarshal(b[:n], &h); err != nil {
		return nil, nil, fmt.Errorf("modelfile: header: %w", err)
	}
	data := b[n:]
	for _, t := range h.Tensors {
		if !fits(t, len(data)) {
			return nil, nil, fmt.Errorf("modelfile: tensor %s lies outside the data", t.Name)
		}
	}
	return &h, data, nil
}

// fits reports whether a tensor's bytes lie within n bytes of data,
// without overflowing on absurd shapes.
func fits(t Tensor, n int) bool {
	if t.Offset < 0 || t.Offset > n {
		return false
	}
	room, size := n-t.Offset, 1
	for _, d := range t.Shape {
		if d < 0 || (d > 0 && size > room/d) {
			return false
		}
		size *= d
	}
	return size <= room
}
