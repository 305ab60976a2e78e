package console

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/safeguard-dev/safeguard/internal/imaging"
)

// Sizes of the blurred derivative: previewSide pixels on its longer side,
// made from previewCells cells on that side.
const (
	previewSide  = 320
	previewCells = 8
	// maxSamples bounds the pixels read per axis, so a huge image costs no
	// more than a moderate one.
	maxSamples = 512
)

// Derivative makes the blurred greyscale stand-in of an image that the
// console serves until a moderator reveals the original: the image is
// averaged into previewCells cells on its longer side (each cell the mean
// luminance of the pixels in it) and drawn back, smoothly, at previewSide
// pixels on its longer side. Only the rough layout of light and dark
// survives; no detail of the original can be recovered from it. It returns
// a PNG and its size.
func Derivative(data []byte) (pngBytes []byte, w, h int, err error) {
	img, err := imaging.Decode(data, imaging.Limits{})
	if err != nil {
		return nil, 0, 0, err
	}
	g := blur(img, previewSide, previewCells)
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		return nil, 0, 0, err
	}
	return buf.Bytes(), g.Rect.Dx(), g.Rect.Dy(), nil
}

// blur returns the greyscale derivative of img (see Derivative).
func blur(img image.Image, side, cells int) *image.Gray {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw <= 0 || sh <= 0 {
		return image.NewGray(image.Rect(0, 0, 1, 1))
	}
	long := max(sw, sh)
	scale := float64(side) / float64(long) // small images are drawn up too: it is all blur
	ow, oh := max(1, int(math.Round(float64(sw)*scale))), max(1, int(math.Round(float64(sh)*scale)))
	cw := max(1, int(math.Round(float64(cells)*float64(sw)/float64(long))))
	ch := max(1, int(math.Round(float64(cells)*float64(sh)/float64(long))))

	// Mean luminance per cell, from a sample grid of the pixels.
	sum := make([]float64, cw*ch)
	cnt := make([]float64, cw*ch)
	nx, ny := min(sw, maxSamples), min(sh, maxSamples)
	for j := range ny {
		y := b.Min.Y + j*sh/ny
		cy := (y - b.Min.Y) * ch / sh
		for i := range nx {
			x := b.Min.X + i*sw/nx
			cx := (x - b.Min.X) * cw / sw
			l := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			sum[cy*cw+cx] += float64(l)
			cnt[cy*cw+cx]++
		}
	}
	for i := range sum {
		if cnt[i] > 0 {
			sum[i] /= cnt[i]
		}
	}
	cell := func(x, y int) float64 {
		x, y = min(max(x, 0), cw-1), min(max(y, 0), ch-1)
		return sum[y*cw+x]
	}
	// Bilinear interpolation between cell centres.
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := range oh {
		fy := (float64(y)+0.5)*float64(ch)/float64(oh) - 0.5
		y0 := int(math.Floor(fy))
		ty := fy - float64(y0)
		for x := range ow {
			fx := (float64(x)+0.5)*float64(cw)/float64(ow) - 0.5
			x0 := int(math.Floor(fx))
			tx := fx - float64(x0)
			top := cell(x0, y0)*(1-tx) + cell(x0+1, y0)*tx
			bot := cell(x0, y0+1)*(1-tx) + cell(x0+1, y0+1)*tx
			out.Pix[y*out.Stride+x] = uint8(math.Round(top*(1-ty) + bot*ty))
		}
	}
	return out
}
