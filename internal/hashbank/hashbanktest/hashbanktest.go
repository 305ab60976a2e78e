// Package hashbanktest makes the synthetic, harmless test data of hash-bank
// tests, benchmarks and the demo: textured images generated from a seed
// (whose PDQ quality is well above 50, so they can be matched), the edits a
// copy of an image goes through (re-encoding, scaling, rotation, mirroring),
// malformed files, and lists of random hashes. A "known" image in a test is
// one of these, put into a test bank; nothing here comes from a real list.
package hashbanktest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"

	"golang.org/x/image/draw"
)

// Image returns a w×h picture made from seed: overlapping soft shapes and
// waves of colour over a gradient, different for every seed.
func Image(seed uint64, w, h int) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type wave struct{ fx, fy, ph, amp float64 }
	var blobs [9]struct {
		x, y, rx, ry float64
		c            [3]float64
	}
	for i := range blobs {
		b := &blobs[i]
		b.x, b.y = r.Float64()*float64(w), r.Float64()*float64(h)
		b.rx, b.ry = (0.08+0.25*r.Float64())*float64(w), (0.08+0.25*r.Float64())*float64(h)
		for k := range b.c {
			b.c[k] = r.Float64()*320 - 160
		}
	}
	var waves [3][3]wave
	for k := range waves {
		for i := range waves[k] {
			waves[k][i] = wave{fx: 1 + 5*r.Float64(), fy: 1 + 5*r.Float64(), ph: 2 * math.Pi * r.Float64(), amp: 25 + 30*r.Float64()}
		}
	}
	base := [3]float64{60 + 120*r.Float64(), 60 + 120*r.Float64(), 60 + 120*r.Float64()}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		v := float64(y) / float64(h)
		for x := range w {
			u := float64(x) / float64(w)
			var px [3]float64
			for k := range px {
				px[k] = base[k] + 40*(u-v)
				for _, wv := range waves[k] {
					px[k] += wv.amp * math.Sin(2*math.Pi*(wv.fx*u+wv.fy*v)+wv.ph)
				}
			}
			for _, b := range blobs {
				dx, dy := (float64(x)-b.x)/b.rx, (float64(y)-b.y)/b.ry
				if d := dx*dx + dy*dy; d < 1 {
					f := 1 - d
					for k := range px {
						px[k] += f * b.c[k]
					}
				}
			}
			img.SetNRGBA(x, y, color.NRGBA{R: clamp(px[0]), G: clamp(px[1]), B: clamp(px[2]), A: 255})
		}
	}
	return img
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// PNG encodes img as PNG.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // an in-memory image always encodes
	}
	return b.Bytes()
}

// JPEG encodes img as JPEG at quality q (1–100).
func JPEG(img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Scale returns img resized by factor f (0.6 is 60%), smoothly.
func Scale(img image.Image, f float64) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, max(1, int(float64(b.Dx())*f+0.5)), max(1, int(float64(b.Dy())*f+0.5))))
	draw.CatmullRom.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	return out
}

// Rotate90 returns img turned a quarter turn clockwise.
func Rotate90(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Max.Y-1-y, x-b.Min.X, img.At(x, y))
		}
	}
	return out
}

// Mirror returns img flipped left to right.
func Mirror(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Max.X-1-x, y-b.Min.Y, img.At(x, y))
		}
	}
	return out
}

// Flat returns a w×h image of one colour: its PDQ quality is 0.
func Flat(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 90, 140, 200, 255
	}
	return img
}

// TruncatedJPEG returns the first half of a JPEG of a generated image.
func TruncatedJPEG() []byte {
	b := JPEG(Image(99, 320, 240), 85)
	return b[:len(b)/2]
}

// HugePNG returns a small file that declares a w×h PNG: a valid signature and
// header chunk, with no pixel data after it (a decompression bomb's shape).
func HugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		io.WriteString(crc, kind)
		crc.Write(data)
		b.WriteString(kind)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// WriteRandomList writes n random PDQ hashes from seed as a text list
// ("pdq:HEX ID" lines), for imports of a given size.
func WriteRandomList(w io.Writer, n int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 1))
	var h [32]byte
	for i := range n {
		for j := 0; j < 32; j += 8 {
			binary.LittleEndian.PutUint64(h[j:], r.Uint64())
		}
		if _, err := fmt.Fprintf(w, "pdq:%x r%d\n", h, i); err != nil {
			return err
		}
	}
	return nil
}
