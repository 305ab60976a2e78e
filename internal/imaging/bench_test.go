package imaging

import (
	"fmt"
	"testing"

	"github.com/safeguard-dev/safeguard/pdq"
)

var benchFiles = []string{"bench-640x480.jpg", "bench-1024x768.jpg"}

// BenchmarkDecodeJPEG measures decoding alone, with this build's JPEG
// decoder (JPEGDecoder).
func BenchmarkDecodeJPEG(b *testing.B) {
	for _, name := range benchFiles {
		data := readTestdata(b, name)
		b.Run(fmt.Sprintf("%s/%s", JPEGDecoder, name), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(data, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeHash measures decoding a JPEG and hashing it with PDQ
// (full pipeline), the server's work per image.
func BenchmarkDecodeHash(b *testing.B) {
	for _, name := range benchFiles {
		data := readTestdata(b, name)
		b.Run(fmt.Sprintf("%s/%s", JPEGDecoder, name), func(b *testing.B) {
			var h pdq.Hasher
			b.ReportAllocs()
			for b.Loop() {
				img, err := Decode(data, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				h.HashImage(img.Image, pdq.Options{})
			}
		})
	}
}
