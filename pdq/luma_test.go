package pdq

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

func TestLumaMatchesReferenceFormula(t *testing.T) {
	for _, c := range [][3]uint8{{0, 0, 0}, {255, 255, 255}, {1, 2, 3}, {200, 13, 77}, {128, 128, 128}} {
		want := float32(lumaR*float32(c[0])) + float32(lumaG*float32(c[1]))
		want = float32(want + float32(lumaB*float32(c[2])))
		if got := Luma(c[0], c[1], c[2]); got != want {
			t.Errorf("Luma%v = %v, want %v", c, got, want)
		}
	}
	// Grey through the RGB formula is not always the grey value: the reason
	// the grey path exists.
	differ := 0
	for v := range 256 {
		if Luma(uint8(v), uint8(v), uint8(v)) != float32(v) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("expected some grey values whose RGB luma is not the grey value")
	}
}

// TestYCbCrLumaExhaustive checks the inlined YCbCr conversion against
// color.NRGBAModel on every Y and on Cb, Cr in steps of 3 plus the ends.
func TestYCbCrLumaExhaustive(t *testing.T) {
	t.Parallel()
	var cs []int
	for v := 0; v < 256; v += 3 {
		cs = append(cs, v)
	}
	cs = append(cs, 1, 127, 128, 254, 255)
	if testing.Short() {
		cs = []int{0, 1, 64, 127, 128, 200, 254, 255}
	}
	for y := range 256 {
		for _, cb := range cs {
			for _, cr := range cs {
				c := color.NRGBAModel.Convert(color.YCbCr{uint8(y), uint8(cb), uint8(cr)}).(color.NRGBA)
				want := Luma(c.R, c.G, c.B)
				got := ycbcrLuma(uint8(y), chromaR[cr], chromaG[0][cb]+chromaG[1][cr], chromaB[cb])
				if got != want {
					t.Fatalf("YCbCr(%d,%d,%d): %v, want %v", y, cb, cr, got, want)
				}
			}
		}
	}
}

func TestPremultipliedLuma(t *testing.T) {
	for a := range 256 {
		for _, v := range []int{0, 1, a / 3, a / 2, a} {
			px := color.RGBA{uint8(v), uint8(v / 2), uint8(a - v), uint8(a)}
			c := color.NRGBAModel.Convert(px).(color.NRGBA)
			if got, want := premulLuma(px.R, px.G, px.B, px.A), Luma(c.R, c.G, c.B); got != want {
				t.Fatalf("%v: %v, want %v", px, got, want)
			}
		}
	}
}

// randomImages returns images of every kind the fast paths handle, and some
// they do not, with random pixels and bounds that do not start at the origin.
func randomImages(r *rand.Rand, rect image.Rectangle) []image.Image {
	fill := func(p []uint8) {
		for i := range p {
			p[i] = uint8(r.IntN(256))
		}
	}
	var out []image.Image
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		m := image.NewYCbCr(rect, ratio)
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		out = append(out, m)
	}
	na := image.NewNYCbCrA(rect, image.YCbCrSubsampleRatio420)
	fill(na.Y)
	fill(na.Cb)
	fill(na.Cr)
	fill(na.A)
	nrgba := image.NewNRGBA(rect)
	fill(nrgba.Pix)
	rgba := image.NewRGBA(rect)
	for i := 0; i < len(rgba.Pix); i += 4 {
		a := uint8(r.IntN(256))
		if r.IntN(3) == 0 {
			a = 255
		}
		rgba.Pix[i+3] = a
		for c := range 3 {
			rgba.Pix[i+c] = uint8(r.IntN(int(a) + 1))
		}
	}
	gray := image.NewGray(rect)
	fill(gray.Pix)
	pal := image.NewPaletted(rect, color.Palette{color.Black, color.RGBA{200, 10, 10, 255}, color.NRGBA{10, 200, 30, 128}, color.Gray{77}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(r.IntN(6)) // 4 and 5 are past the palette: black
	}
	g16 := image.NewGray16(rect)
	fill(g16.Pix)
	n64 := image.NewNRGBA64(rect)
	fill(n64.Pix)
	cmyk := image.NewCMYK(rect)
	fill(cmyk.Pix)
	return append(out, na, nrgba, rgba, gray, pal, g16, n64, cmyk)
}

// wantRow is the luma of source row sy at the given source columns, by the
// generic route: color.NRGBAModel, except the grey and NYCbCrA rules.
func wantRow(img image.Image, sy int, xs []int, greyAsRGB bool) []float32 {
	b := img.Bounds()
	var row []float32
	for _, x := range xs {
		x += b.Min.X
		y := sy + b.Min.Y
		switch m := img.(type) {
		case *image.Gray:
			v := m.GrayAt(x, y).Y
			if greyAsRGB {
				row = append(row, Luma(v, v, v))
			} else {
				row = append(row, float32(v))
			}
			continue
		case *image.NYCbCrA:
			c := color.NRGBAModel.Convert(m.YCbCrAt(x, y)).(color.NRGBA)
			row = append(row, Luma(c.R, c.G, c.B))
			continue
		case *image.Paletted:
			if int(m.ColorIndexAt(x, y)) >= len(m.Palette) {
				row = append(row, Luma(0, 0, 0))
				continue
			}
		}
		c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
		row = append(row, Luma(c.R, c.G, c.B))
	}
	return row
}

func TestRowSourceMatchesGeneric(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	rects := []image.Rectangle{
		image.Rect(0, 0, 37, 23),
		image.Rect(3, 5, 40, 29),   // odd origin
		image.Rect(-7, -3, 30, 20), // negative origin
		image.Rect(0, 0, 600, 9),   // cli resamples the width
	}
	for _, rect := range rects {
		for _, img := range randomImages(r, rect) {
			for _, greyAsRGB := range []bool{false, true} {
				for _, p := range []Pipeline{Full, CLI} {
					name := fmt.Sprintf("%T/%v/%v/grey-as-rgb=%v", img, rect, p, greyAsRGB)
					var h Hasher
					h.src.setImage(img, greyAsRGB)
					h.setSize(rect.Dx(), rect.Dy(), p)
					xs, ys := h.src.xs, h.src.ys
					if xs == nil {
						for x := range rect.Dx() {
							xs = append(xs, x)
						}
						for y := range rect.Dy() {
							ys = append(ys, y)
						}
					}
					dst := make([]float32, h.src.w)
					for y := range h.src.h {
						got := h.src.row(y, dst)
						want := wantRow(img, ys[y], xs, greyAsRGB)
						for i := range want {
							if got[i] != want[i] {
								t.Fatalf("%s: row %d col %d: %v, want %v", name, y, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestHashImageSubImage: a sub-image hashes like a copy of its pixels.
func TestHashImageSubImage(t *testing.T) {
	img := photoLike(300, 200, 3)
	sub := img.SubImage(image.Rect(17, 9, 281, 190)).(*image.NRGBA)
	cp := image.NewNRGBA(image.Rect(0, 0, sub.Bounds().Dx(), sub.Bounds().Dy()))
	for y := range cp.Rect.Dy() {
		for x := range cp.Rect.Dx() {
			cp.SetNRGBA(x, y, sub.NRGBAAt(x+17, y+9))
		}
	}
	if a, b := HashImage(sub, Options{}), HashImage(cp, Options{}); a != b {
		t.Errorf("sub-image %v, copy %v", a, b)
	}
}
