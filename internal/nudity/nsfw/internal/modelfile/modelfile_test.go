package modelfile

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	h := &Header{InputSize: 224, Classes: []string{"a"}, Tensors: []Tensor{{Name: "w", Shape: []int{2, 3}, Min: -1, Scale: 0.5, Offset: 1}}}
	var buf bytes.Buffer
	if err := Write(&buf, h, []byte{9, 1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	got, data, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.Tensors[0].Name != "w" || got.Tensors[0].Len() != 6 || len(data) != 7 {
		t.Errorf("read %+v, %d bytes", got, len(data))
	}
	// A tensor past the end of the data is refused.
	if _, _, err := Read(buf.Bytes()[:buf.Len()-1]); err == nil {
		t.Error("truncated data accepted")
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	_ = Write(&buf, &Header{Tensors: []Tensor{{Name: "w", Shape: []int{2}, Offset: 0}}}, []byte{1, 2})
	f.Add(buf.Bytes())
	f.Add([]byte(Magic + "\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, data, err := Read(b)
		if err != nil {
			return
		}
		for _, tn := range h.Tensors {
			_ = data[tn.Offset : tn.Offset+tn.Len()]
		}
	})
}

func TestHugeShapeRefused(t *testing.T) {
	var buf bytes.Buffer
	_ = Write(&buf, &Header{Tensors: []Tensor{{Name: "w", Shape: []int{1 << 40, 1 << 40, 1 << 40}}}}, []byte{1})
	if _, _, err := Read(buf.Bytes()); err == nil {
		t.Error("overflowing shape accepted")
	}
	buf.Reset()
	_ = Write(&buf, &Header{Tensors: []Tensor{{Name: "w", Shape: []int{-2, -1}}}}, []byte{1, 2})
	if _, _, err := Read(buf.Bytes()); err == nil {
		t.Error("negative shape accepted")
	}
}
