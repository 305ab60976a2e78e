package pdq

import (
	"image"
	"image/color"
)

// The reference's luma weights, as float32 constants.
const (
	lumaR float32 = 0.299
	lumaG float32 = 0.587
	lumaB float32 = 0.114
)

// lumaTab holds each weight times each 8-bit value, rounded to float32: the
// products the reference computes per pixel, looked up instead.
var lumaTab = func() (t [3][256]float32) {
	for v := range 256 {
		t[0][v] = float32(lumaR * float32(v))
		t[1][v] = float32(lumaG * float32(v))
		t[2][v] = float32(lumaB * float32(v))
	}
	return t
}()

// Luma returns the reference's luma of an 8-bit RGB pixel:
// 0.299·R + 0.587·G + 0.114·B in float32, summed left to right.
func Luma(r, g, b uint8) float32 {
	return lumaTab[0][r] + lumaTab[1][g] + lumaTab[2][b]
}

// rowSource yields the luma rows the hash is computed from: the decoded
// image at full resolution, or, in the cli pipeline, its nearest-neighbour
// resample to 512×512.
type rowSource struct {
	w, h   int   // size of what is hashed
	xs, ys []int // source column/row of each output column/row; nil = identity
	minX   int   // image bounds origin
	minY   int
	grey   bool // *image.Gray goes down the grey path

	luma    []float32 // HashLuma input, row-major, stride lumaW
	lumaW   int
	img     image.Image
	ycc     *image.YCbCr
	nrgba   *image.NRGBA
	rgba    *image.RGBA
	gray    *image.Gray
	pal     *image.Paletted
	palLuma [256]float32
}

// setImage points s at img, choosing the fastest exact way to read it.
// Every pixel must come out as color.NRGBAModel would convert it (alpha
// dropped from the non-premultiplied colour), with two exceptions:
// *image.Gray, which the reference hashes by its grey value, and
// *image.NYCbCrA, whose colour is its YCbCr part (the non-premultiplied
// colour itself; converting through premultiplied RGBA would lose bits).
func (s *rowSource) setImage(img image.Image, greyAsRGB bool) {
	s.drop()
	s.img, s.grey = img, false
	b := img.Bounds()
	s.minX, s.minY = b.Min.X, b.Min.Y
	switch m := img.(type) {
	case *image.YCbCr:
		s.ycc = m
	case *image.NYCbCrA:
		s.ycc = &m.YCbCr
	case *image.NRGBA:
		s.nrgba = m
	case *image.RGBA:
		s.rgba = m
	case *image.Gray:
		s.gray = m
		s.grey = !greyAsRGB
	case *image.Paletted:
		s.pal = m
		for i := range s.palLuma {
			s.palLuma[i] = Luma(0, 0, 0)
			if i < len(m.Palette) {
				c := color.NRGBAModel.Convert(m.Palette[i]).(color.NRGBA)
				s.palLuma[i] = Luma(c.R, c.G, c.B)
			}
		}
	}
}

// drop forgets the source, so that a pooled Hasher does not keep an image
// alive.
func (s *rowSource) drop() {
	s.luma, s.img, s.ycc, s.nrgba, s.rgba, s.gray, s.pal = nil, nil, nil, nil, nil, nil, nil
	s.xs, s.ys = nil, nil
}

// row writes output row y into dst (of length s.w) and returns it. The
// HashLuma path returns a slice of the caller's buffer instead when it can.
func (s *rowSource) row(y int, dst []float32) []float32 {
	sy := y
	if s.ys != nil {
		sy = s.ys[y]
	}
	dst = dst[:s.w]
	if s.luma != nil {
		src := s.luma[sy*s.lumaW : sy*s.lumaW+s.lumaW]
		if s.xs == nil {
			return src
		}
		for i, x := range s.xs {
			dst[i] = src[x]
		}
		return dst
	}
	sy += s.minY
	switch {
	case s.ycc != nil:
		s.ycbcrRow(sy, dst)
	case s.nrgba != nil:
		m := s.nrgba
		off := m.PixOffset(s.minX, sy)
		pix := m.Pix[off : off+4*m.Rect.Dx()]
		if s.xs == nil {
			pix = pix[:4*len(dst)]
			for i := range dst {
				p := pix[4*i : 4*i+3 : 4*i+3]
				dst[i] = Luma(p[0], p[1], p[2])
			}
			break
		}
		for i, x := range s.xs {
			p := pix[4*x : 4*x+3 : 4*x+3]
			dst[i] = Luma(p[0], p[1], p[2])
		}
	case s.rgba != nil:
		m := s.rgba
		off := m.PixOffset(s.minX, sy)
		pix := m.Pix[off : off+4*m.Rect.Dx()]
		for i := range dst {
			p := pix[4*s.col(i) : 4*s.col(i)+4 : 4*s.col(i)+4]
			dst[i] = premulLuma(p[0], p[1], p[2], p[3])
		}
	case s.gray != nil:
		m := s.gray
		off := m.PixOffset(s.minX, sy)
		pix := m.Pix[off : off+m.Rect.Dx()]
		for i := range dst {
			v := pix[s.col(i)]
			if s.grey {
				dst[i] = float32(v)
			} else {
				dst[i] = Luma(v, v, v)
			}
		}
	case s.pal != nil:
		m := s.pal
		off := m.PixOffset(s.minX, sy)
		pix := m.Pix[off : off+m.Rect.Dx()]
		for i := range dst {
			dst[i] = s.palLuma[pix[s.col(i)]]
		}
	default:
		for i := range dst {
			c := color.NRGBAModel.Convert(s.img.At(s.minX+s.col(i), sy)).(color.NRGBA)
			dst[i] = Luma(c.R, c.G, c.B)
		}
	}
	return dst
}

// col is the source column offset (from the bounds origin) of output column i.
func (s *rowSource) col(i int) int {
	if s.xs != nil {
		return s.xs[i]
	}
	return i
}

// ycbcrRow converts one row of a YCbCr image with the integer arithmetic of
// color.YCbCrToRGB, which is what color.NRGBAModel gives for opaque YCbCr.
func (s *rowSource) ycbcrRow(y int, dst []float32) {
	m := s.ycc
	yrow := m.Y[(y-m.Rect.Min.Y)*m.YStride:]
	var cy int
	var div int
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		cy, div = y-m.Rect.Min.Y, 2
	case image.YCbCrSubsampleRatio420:
		cy, div = y/2-m.Rect.Min.Y/2, 2
	case image.YCbCrSubsampleRatio440:
		cy, div = y/2-m.Rect.Min.Y/2, 1
	case image.YCbCrSubsampleRatio411:
		cy, div = y-m.Rect.Min.Y, 4
	case image.YCbCrSubsampleRatio410:
		cy, div = y/2-m.Rect.Min.Y/2, 4
	default:
		cy, div = y-m.Rect.Min.Y, 1
	}
	cbrow := m.Cb[cy*m.CStride:]
	crrow := m.Cr[cy*m.CStride:]
	x0 := m.Rect.Min.X
	if s.xs == nil && div == 1 {
		cbrow, crrow = cbrow[:len(dst)], crrow[:len(dst)]
		yrow = yrow[:len(dst)]
		for i := range dst {
			cb, cr := cbrow[i], crrow[i]
			dst[i] = ycbcrLuma(yrow[i], chromaR[cr], chromaG[0][cb]+chromaG[1][cr], chromaB[cb])
		}
		return
	}
	if s.xs == nil && div == 2 && x0 >= 0 && x0%2 == 0 {
		// 4:2:2 and 4:2:0 from an even, non-negative origin: each chroma
		// sample serves two pixels.
		n := len(dst) / 2
		cbs, crs := cbrow[:n], crrow[:n]
		ys, ds := yrow[:2*n], dst[:2*n]
		for c := range cbs {
			cb, cr := cbs[c], crs[c]
			ro, gro, bo := chromaR[cr], chromaG[0][cb]+chromaG[1][cr], chromaB[cb]
			y2, d2 := ys[2*c:2*c+2:2*c+2], ds[2*c:2*c+2:2*c+2]
			d2[0] = ycbcrLuma(y2[0], ro, gro, bo)
			d2[1] = ycbcrLuma(y2[1], ro, gro, bo)
		}
		if len(dst)%2 == 1 {
			cb, cr := cbrow[n], crrow[n]
			dst[2*n] = ycbcrLuma(yrow[2*n], chromaR[cr], chromaG[0][cb]+chromaG[1][cr], chromaB[cb])
		}
		return
	}
	for i := range dst {
		x := x0 + s.col(i)
		c := x/div - x0/div
		cb, cr := cbrow[c], crrow[c]
		dst[i] = ycbcrLuma(yrow[x-x0], chromaR[cr], chromaG[0][cb]+chromaG[1][cr], chromaB[cb])
	}
}

// The chroma terms of color.YCbCrToRGB, by value: R gets 91881·(Cr-128),
// G gets -22554·(Cb-128) - 46802·(Cr-128), B gets 116130·(Cb-128).
var chromaR, chromaB, chromaG = func() (r, b [256]int32, g [2][256]int32) {
	for v := range 256 {
		c := int32(v) - 128
		r[v] = 91881 * c
		b[v] = 116130 * c
		g[0][v] = -22554 * c
		g[1][v] = -46802 * c
	}
	return
}()

// ycbcrLuma is Luma of color.YCbCrToRGB for luma y and the chroma terms
// above: the same integer arithmetic, then the float32 luma.
func ycbcrLuma(y uint8, ro, gro, bo int32) float32 {
	yy := int32(y) * 0x10101
	return lumaTab[0][clamp16(yy+ro)] + lumaTab[1][clamp16(yy+gro)] + lumaTab[2][clamp16(yy+bo)]
}

// clamp16 is color.YCbCrToRGB's rounding, v>>16 clamped to 0…255, without
// branches: for 0 ≤ v < 2^24 that is v>>16; below, 0; above, 255, which is
// what YCbCrToRGB's test of the top byte gives.
func clamp16(v int32) uint8 {
	return uint8(min(max(v>>16, 0), 255))
}

// premulLuma un-premultiplies an RGBA pixel exactly as color.NRGBAModel does
// and returns its luma; alpha itself is dropped.
func premulLuma(r, g, b, a uint8) float32 {
	switch a {
	case 0xff:
		return Luma(r, g, b)
	case 0:
		return Luma(0, 0, 0)
	}
	a16 := uint32(a) * 0x101
	un := func(c uint8) uint8 { return uint8((uint32(c) * 0x101 * 0xffff / a16) >> 8) }
	return Luma(un(r), un(g), un(b))
}
