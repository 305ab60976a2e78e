// Package nuditytest is for tests of what follows a nudity classification: a
// Classifier that answers as it is told and counts its calls, and harmless
// generated images to send. No test needs an image that shows anything: the
// fake says what a real model would.
package nuditytest

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/safeguard-dev/safeguard/internal/nudity"
)

// Scores a test tells the fake to answer.
var (
	// Nude are scores that count as nudity under the default thresholds.
	Nude = nudity.Scores{Porn: 0.91, Hentai: 0.01, Sexy: 0.05, Neutral: 0.02, Drawing: 0.01}
	// Neutral are scores of an ordinary photo.
	Neutral = nudity.Scores{Neutral: 0.93, Drawing: 0.04, Sexy: 0.02, Porn: 0.005, Hentai: 0.005}
)

// Classifier is a nudity.Classifier that answers what it was last told
// (Neutral until told otherwise), and counts its calls. Safe for concurrent
// use.
type Classifier struct {
	mu     sync.Mutex
	scores nudity.Scores
	err    error
	told   bool
	marked bool // answer scores only for an image marked with Marker
	calls  int
}

// Marker is the colour that marks a frame of GIF: a Classifier told
// AnswerMarked answers its scores only for an image whose centre pixel is
// this colour. No frame of GIF but the marked one, and no image of PNG,
// has it there.
var Marker = color.NRGBA{R: 250, G: 5, B: 250, A: 255}

// Answer tells c to answer scores from now on.
func (c *Classifier) Answer(s nudity.Scores) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scores, c.err, c.told, c.marked = s, nil, true, false
}

// AnswerMarked tells c to answer s, from now on, for an image whose centre
// pixel is Marker, and Neutral for any other.
func (c *Classifier) AnswerMarked(s nudity.Scores) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scores, c.err, c.told, c.marked = s, nil, true, true
}

// Fail tells c to fail with err from now on.
func (c *Classifier) Fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// Calls returns how many images c was asked about.
func (c *Classifier) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Classify implements nudity.Classifier.
func (c *Classifier) Classify(ctx context.Context, img image.Image) (nudity.Scores, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.err != nil {
		return nudity.Scores{}, c.err
	}
	if !c.told || (c.marked && !isMarked(img)) {
		return Neutral, nil
	}
	return c.scores, nil
}

// isMarked reports whether the centre pixel of img is Marker.
func isMarked(img image.Image) bool {
	b := img.Bounds()
	r, g, bl, a := img.At((b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: uint8(a >> 8)} == Marker
}

// GIF returns a harmless generated animated GIF, w×h, of frames frames of
// coloured noise (as PNG's, in a palette of 216 colours) from seed. Frame
// marked (counted from 0; none if out of range) is a small frame in the
// middle of the picture, drawn over the one before, whose pixels are all
// Marker; the frame after it covers it again.
func GIF(w, h, frames, marked int, seed uint64) []byte {
	pal := make(color.Palette, 0, 256)
	for i := range 216 {
		pal = append(pal, color.NRGBA{R: uint8(i / 36 * 51), G: uint8(i / 6 % 6 * 51), B: uint8(i % 6 * 51), A: 255})
	}
	pal = append(pal, Marker)
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: w, Height: h}}
	for f := range frames {
		var m *image.Paletted
		if f == marked {
			m = image.NewPaletted(image.Rect(w/4, h/4, w-w/4, h-h/4), pal)
			for i := range m.Pix {
				m.Pix[i] = uint8(len(pal) - 1)
			}
		} else {
			r := rand.New(rand.NewPCG(seed+uint64(f), seed^0x9e3779b97f4a7c15))
			m = image.NewPaletted(image.Rect(0, 0, w, h), pal)
			for y := range h {
				for x := range w {
					cr, cg, cb := uint8(x*255/w)^uint8(r.IntN(64)), uint8(y*255/h)^uint8(r.IntN(64)), uint8(r.IntN(256))
					m.Pix[m.PixOffset(x, y)] = cr/51*36 + cg/51*6 + cb/51
				}
			}
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 10)
		g.Disposal = append(g.Disposal, gif.DisposalNone)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		panic(err) // a well-formed GIF: cannot fail
	}
	return buf.Bytes()
}

// APNG returns PNG(w, h, seed) made an animated PNG of two frames: an
// animation control chunk and a first frame control before the image data
// (the default image is the first frame), and a second frame, a copy of the
// first, after it. A decoder that knows no APNG sees the still PNG.
func APNG(w, h int, seed uint64) []byte {
	still := PNG(w, h, seed)
	const sig = 8
	ihdrEnd := sig + 8 + 13 + 4
	var idat []byte
	for i := ihdrEnd; i+8 <= len(still); {
		n := int(binary.BigEndian.Uint32(still[i:]))
		if string(still[i+4:i+8]) == "IDAT" {
			idat = append(idat, still[i+8:i+8+n]...)
		}
		i += 12 + n
	}
	fctl := func(seq uint32) []byte {
		b := make([]byte, 26)
		binary.BigEndian.PutUint32(b[0:], seq)
		binary.BigEndian.PutUint32(b[4:], uint32(w))
		binary.BigEndian.PutUint32(b[8:], uint32(h))
		binary.BigEndian.PutUint16(b[20:], 1) // delay 1/10 s
		binary.BigEndian.PutUint16(b[22:], 10)
		return b
	}
	actl := make([]byte, 8)
	binary.BigEndian.PutUint32(actl, 2) // frames; plays forever
	out := append([]byte(nil), still[:ihdrEnd]...)
	out = appendChunk(out, "acTL", actl)
	out = appendChunk(out, "fcTL", fctl(0))
	iend := len(still) - 12
	out = append(out, still[ihdrEnd:iend]...)
	out = appendChunk(out, "fcTL", fctl(1))
	out = appendChunk(out, "fdAT", append(binary.BigEndian.AppendUint32(nil, 2), idat...))
	return append(out, still[iend:]...)
}

// appendChunk appends a PNG chunk.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// PNG returns a harmless generated image: coloured noise over soft
// gradients, w×h, from seed. Its texture gives it a PDQ quality high enough
// to be matched, so the known-image check lets it through toward a minor.
func PNG(w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{R: uint8(x*255/w) ^ uint8(r.IntN(64)), G: uint8(y*255/h) ^ uint8(r.IntN(64)), B: uint8(r.IntN(256)), A: 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// Photo returns a harmless generated landscape, w×h, from seed, as a PNG: a
// sky that lightens toward the horizon, a sun, and hills of textured green
// and brown, with grain — enough like a photo that a real classifier sees an
// ordinary picture in it.
func Photo(w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x51ed2701))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	sunX, sunY, sunR := w*2/3+r.IntN(w/8+1), h/5+r.IntN(h/10+1), max(h/12, 2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ridge := h/2 + int(float64(h)/10*math.Sin(float64(x)/float64(w)*6+float64(seed%7)))
			var c color.NRGBA
			switch dx, dy := x-sunX, y-sunY; {
			case dx*dx+dy*dy < sunR*sunR:
				c = color.NRGBA{R: 255, G: 236, B: 170, A: 255}
			case y < ridge:
				t := float64(y) / float64(ridge)
				c = color.NRGBA{R: uint8(70 + 120*t), G: uint8(130 + 90*t), B: uint8(220 + 30*t), A: 255}
			default:
				t := float64(y-ridge) / float64(h-ridge+1)
				c = color.NRGBA{R: uint8(60 + 70*t), G: uint8(120 - 40*t), B: uint8(40 + 10*t), A: 255}
			}
			g := r.IntN(25) - 12
			c.R, c.G, c.B = clamp(int(c.R)+g), clamp(int(c.G)+g), clamp(int(c.B)+g)
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func clamp(v int) uint8 { return uint8(min(max(v, 0), 255)) }
