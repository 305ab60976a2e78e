package pdq

import (
	"fmt"
	"image"
	"testing"
)

var benchSizes = [][2]int{{640, 480}, {1024, 768}}

// BenchmarkHashLuma measures hashing alone from a luma buffer.
func BenchmarkHashLuma(b *testing.B) {
	for _, sz := range benchSizes {
		img := photoLike(sz[0], sz[1], 1)
		luma := lumaOf(img)
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			var h Hasher
			b.ReportAllocs()
			for b.Loop() {
				h.HashLuma(luma, sz[0], sz[1], Options{})
			}
		})
	}
}

// BenchmarkHashImage measures hashing decoded pixels, luma included: RGB
// (as the reference's library path starts from) and YCbCr 4:2:0 (what Go's
// JPEG decoder returns).
func BenchmarkHashImage(b *testing.B) {
	for _, sz := range benchSizes {
		rgb := photoLike(sz[0], sz[1], 1)
		for _, c := range []struct {
			name string
			img  image.Image
		}{{"NRGBA", rgb}, {"YCbCr420", toYCbCr(rgb, image.YCbCrSubsampleRatio420)}} {
			b.Run(fmt.Sprintf("%s/%dx%d", c.name, sz[0], sz[1]), func(b *testing.B) {
				var h Hasher
				b.ReportAllocs()
				for b.Loop() {
					h.HashImage(c.img, Options{})
				}
			})
		}
	}
}

func BenchmarkDihedral(b *testing.B) {
	img := photoLike(640, 480, 1)
	var h Hasher
	b.ReportAllocs()
	for b.Loop() {
		h.Dihedral(img, Options{})
	}
}
