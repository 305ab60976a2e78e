package nsfw

import (
	"image"
	"image/color"
)

// rgbReader returns the 8-bit red, green and blue of the pixel at (x, y)
// (absolute coordinates), as the pure-JavaScript decoders that feed the
// reference hand them to nsfwjs:
//
//   - alpha is dropped, and transparent pixels keep the colour the file
//     stores for them (pngjs returns RGBA without premultiplying, and Go's
//     PNG decoder gives such images as NRGBA or a palette of NRGBA); an
//     image that is premultiplied (image.RGBA) has already lost that colour
//     and gives what it holds;
//   - 16-bit samples become round(v*255/65535), as pngjs scales them;
//   - grey is repeated in the three channels.
func rgbReader(img image.Image) func(x, y int) (r, g, b uint8) {
	switch m := img.(type) {
	case *image.NRGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			i := m.PixOffset(x, y)
			return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
		}
	case *image.RGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			i := m.PixOffset(x, y)
			return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
		}
	case *image.Gray:
		return func(x, y int) (uint8, uint8, uint8) {
			v := m.Pix[m.PixOffset(x, y)]
			return v, v, v
		}
	case *image.YCbCr:
		return func(x, y int) (uint8, uint8, uint8) {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			return color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
		}
	case *image.Paletted:
		pal := paletteRGB(m.Palette)
		return func(x, y int) (uint8, uint8, uint8) {
			c := pal[m.Pix[m.PixOffset(x, y)]]
			return c[0], c[1], c[2]
		}
	}
	return func(x, y int) (uint8, uint8, uint8) {
		return colorRGB(img.At(x, y))
	}
}

// paletteRGB is a palette's colours, with room for every index a byte can
// hold (an index past the palette reads as black, as Go's decoder allows).
func paletteRGB(p color.Palette) [256][3]uint8 {
	var out [256][3]uint8
	for i, c := range p {
		if i == len(out) {
			break
		}
		r, g, b := colorRGB(c)
		out[i] = [3]uint8{r, g, b}
	}
	return out
}

// colorRGB gives a colour's non-premultiplied 8-bit RGB.
func colorRGB(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.RGBA:
		return c.R, c.G, c.B
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.NRGBA64:
		return scale16(c.R), scale16(c.G), scale16(c.B)
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return scale16(n.R), scale16(n.G), scale16(n.B)
}

// scale16 is pngjs's 16-to-8-bit scaling: floor(v*255/65535 + 0.5).
func scale16(v uint16) uint8 {
	return uint8((uint32(v)*255*2 + 65535) / (2 * 65535))
}
