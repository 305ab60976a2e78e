package pdq

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// photoLike returns a deterministic, textured, photo-like RGB image: smooth
// value noise at several scales over colour gradients. It is synthetic and
// harmless, has enough detail for a quality of 100, and a little per-pixel
// noise, like a camera's, so that it compresses like a photo.
func photoLike(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type octave struct {
		cell float64
		amp  float64
		grid [][3]float64
		gw   int
	}
	var octs []octave
	for _, c := range []struct{ cell, amp float64 }{{97, 70}, {31, 40}, {9, 22}, {3, 10}} {
		gw, gh := int(float64(w)/c.cell)+2, int(float64(h)/c.cell)+2
		g := make([][3]float64, gw*gh)
		for i := range g {
			g[i] = [3]float64{r.Float64()*2 - 1, r.Float64()*2 - 1, r.Float64()*2 - 1}
		}
		octs = append(octs, octave{c.cell, c.amp, g, gw})
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var v [3]float64
			base := [3]float64{
				60 + 120*float64(x)/float64(w),
				80 + 90*float64(y)/float64(h),
				140 - 80*float64(x+y)/float64(w+h),
			}
			for _, o := range octs {
				fx, fy := float64(x)/o.cell, float64(y)/o.cell
				ix, iy := int(fx), int(fy)
				tx, ty := smooth(fx-float64(ix)), smooth(fy-float64(iy))
				for c := range 3 {
					a := lerp(o.grid[iy*o.gw+ix][c], o.grid[iy*o.gw+ix+1][c], tx)
					b := lerp(o.grid[(iy+1)*o.gw+ix][c], o.grid[(iy+1)*o.gw+ix+1][c], tx)
					v[c] += o.amp * lerp(a, b, ty)
				}
			}
			n := 4 * r.NormFloat64()
			img.SetNRGBA(x, y, color.NRGBA{
				clampByte(base[0] + v[0] + n),
				clampByte(base[1] + v[1] + 0.5*v[0] + n),
				clampByte(base[2] + v[2] + n + 2*r.NormFloat64()),
				255,
			})
		}
	}
	return img
}

func smooth(t float64) float64     { return t * t * (3 - 2*t) }
func lerp(a, b, t float64) float64 { return a + (b-a)*t }

func clampByte(v float64) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(v))))
}

// toYCbCr converts img to a YCbCr image with the given subsampling, as a
// JPEG decoder would hand it over.
func toYCbCr(img *image.NRGBA, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	b := img.Bounds()
	m := image.NewYCbCr(b, ratio)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.NRGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			m.Y[m.YOffset(x, y)] = yy
			// Chroma of the last pixel of each block wins; fine for tests.
			m.Cb[m.COffset(x, y)] = cb
			m.Cr[m.COffset(x, y)] = cr
		}
	}
	return m
}

// lumaOf is the luma buffer of img by the generic, obviously correct route.
func lumaOf(img image.Image) []float32 {
	b := img.Bounds()
	l := make([]float32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			l = append(l, Luma(c.R, c.G, c.B))
		}
	}
	return l
}

// syntheticCase is a generated image whose reference hashes are in
// testdata/synthetic-reference.tsv.
type syntheticCase struct {
	name string
	img  image.Image
}

// syntheticCases are the generated images checked against the reference:
// sizes around the filter's edge cases, the 64×64 shortcut, images too small
// to hash, grey images (the grey path) and flat ones (low quality).
func syntheticCases() []syntheticCase {
	photo := func(w, h int, seed uint64) syntheticCase {
		return syntheticCase{fmt.Sprintf("photo-%dx%d", w, h), photoLike(w, h, seed)}
	}
	grey := func(w, h int, seed uint64) syntheticCase {
		src := photoLike(w, h, seed)
		g := image.NewGray(src.Rect)
		for i := range g.Pix {
			p := src.Pix[4*i:]
			g.Pix[i] = uint8((int(p[0]) + 2*int(p[1]) + int(p[2])) / 4)
		}
		return syntheticCase{fmt.Sprintf("grey-%dx%d", w, h), g}
	}
	flat := image.NewNRGBA(image.Rect(0, 0, 200, 150))
	soft := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	for i := 0; i < len(flat.Pix); i += 4 {
		copy(flat.Pix[i:], []uint8{90, 140, 200, 255})
	}
	for y := range 256 {
		for x := range 256 {
			soft.SetNRGBA(x, y, color.NRGBA{uint8(100 + x/16), uint8(100 + y/16), 120, 255})
		}
	}
	return []syntheticCase{
		photo(640, 480, 1), photo(1024, 768, 1), photo(64, 64, 2), photo(5, 5, 3),
		photo(4, 9, 3), photo(33, 700, 4), photo(700, 33, 5), photo(129, 257, 6),
		photo(1500, 1100, 7), grey(300, 200, 8), grey(64, 64, 9),
		{"flat-200x150", flat}, {"soft-256x256", soft},
	}
}
