package nsfw

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkClassify640x480 decodes a 640×480 JPEG and classifies it, the
// work a photo sent in a chat costs. Run it on one core (-cpu 1). MB-model is the heap the loaded model
// holds (weights dequantised and folded; the embedded file itself is in the
// binary's read-only data).
func BenchmarkClassify640x480(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "images", "gnome-wood-640x480.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	before := heapInUse()
	m, err := load(modelBin)
	if err != nil {
		b.Fatal(err)
	}
	modelBytes := heapInUse() - before
	cpu0 := cpuTime()
	for b.Loop() {
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 {
			b.Fatalf("image is %v", img.Bounds())
		}
		if _, err := m.Classify(img); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime(); cpu > cpu0 {
		// Processor time, which a busy shared machine does not inflate the
		// way it does wall time (it includes the garbage collector's work).
		b.ReportMetric((cpu-cpu0)*1000/float64(b.N), "cpu-ms/op")
	}
	b.ReportMetric(float64(modelBytes)/(1<<20), "MB-model")
	runtime.KeepAlive(m)
}
