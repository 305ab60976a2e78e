package imaging

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"

	"github.com/safeguard-dev/safeguard"
)

// DefaultMaxFrames is how many frames of an animated GIF DecodeFrames
// decodes at most, unless told otherwise.
const DefaultMaxFrames = 64

// Animation is what the structure of an image file says about its frames,
// read without decoding a pixel.
type Animation struct {
	// Type is the content type of an animated image — GIF, PNG for an
	// animated PNG (APNG), WebP — or "" for a still one.
	Type string
	// Frames is how many frames a GIF has (its image descriptors) or an
	// APNG declares (acTL); 0 for an animated WebP, whose frames are not
	// counted.
	Frames int
}

// Animated reports whether data is an animated image, from its structure
// alone: a GIF with more than one frame, a PNG with an animation control
// chunk (acTL) before its image data, or a WebP whose header sets the
// animation flag or that has animation chunks. Decode gives only the first
// frame of a GIF and the default image of an APNG, and refuses an animated
// WebP or gives the still image it may also carry; a viewer shows every
// frame.
func Animated(data []byte) Animation {
	switch Sniff(data) {
	case GIF:
		if n, _ := gifFrames(data); n > 1 {
			return Animation{Type: GIF, Frames: n}
		}
	case PNG:
		if n, ok := apngFrames(data); ok {
			return Animation{Type: PNG, Frames: n}
		}
	case WebP:
		if webpAnimated(data) {
			return Animation{Type: WebP}
		}
	}
	return Animation{}
}

// gifFrames counts the image descriptors of a GIF by walking its blocks,
// without decompressing any. ok is false when the walk stopped before the
// trailer (a truncated or malformed file): n then counts the frames seen.
func gifFrames(data []byte) (n int, ok bool) {
	if len(data) < 13 {
		return 0, false
	}
	i := 13
	if p := data[10]; p&0x80 != 0 {
		i += 3 << ((p & 7) + 1) // global colour table
	}
	// subBlocks skips data sub-blocks from i, up to and past their
	// terminator; it returns -1 when the data ends first.
	subBlocks := func(i int) int {
		for i < len(data) {
			if data[i] == 0 {
				return i + 1
			}
			i += 1 + int(data[i])
		}
		return -1
	}
	for i >= 0 && i < len(data) {
		switch data[i] {
		case 0x21: // extension: introducer, label, sub-blocks
			i = subBlocks(i + 2)
		case 0x2c: // image descriptor, local colour table, LZW code size, sub-blocks
			if i+10 > len(data) {
				return n, false
			}
			n++
			next := i + 10
			if p := data[i+9]; p&0x80 != 0 {
				next += 3 << ((p & 7) + 1)
			}
			i = subBlocks(next + 1)
		case 0x3b: // trailer
			return n, true
		default:
			return n, false
		}
	}
	return n, false
}

// apngFrames reports whether a PNG has an acTL chunk before its first IDAT,
// and the number of frames it declares.
func apngFrames(data []byte) (int, bool) {
	for i := 8; i+8 <= len(data); {
		length := int64(binary.BigEndian.Uint32(data[i:]))
		switch string(data[i+4 : i+8]) {
		case "acTL":
			if i+12 > len(data) {
				return 0, true
			}
			return int(min(binary.BigEndian.Uint32(data[i+8:]), 1<<30)), true
		case "IDAT", "IEND":
			return 0, false
		}
		next := int64(i) + 12 + length
		if next > int64(len(data)) {
			return 0, false
		}
		i = int(next)
	}
	return 0, false
}

// webpAnimated reports whether a WebP's VP8X header sets the animation flag
// or any top-level chunk is an animation chunk (ANIM, ANMF).
func webpAnimated(data []byte) bool {
	if len(data) >= 21 && string(data[12:16]) == "VP8X" && data[20]&0x02 != 0 {
		return true
	}
	for i := 12; i+8 <= len(data); {
		switch string(data[i : i+4]) {
		case "ANIM", "ANMF":
			return true
		}
		size := int64(binary.LittleEndian.Uint32(data[i+4:]))
		next := int64(i) + 8 + size + size&1
		if next > int64(len(data)) {
			return false
		}
		i = int(next)
	}
	return false
}

// FramesBytes estimates the memory that decoding every frame of an
// animation of the given size takes: each frame's indices (a frame is at
// most the logical screen) and the decoder's buffers for it (its LZW
// tables, about 20 KiB), and the canvas the frames are drawn on with the
// copy of it that the "restore to previous" disposal needs.
func FramesBytes(cfg image.Config, frames int) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	const perFrame, fixed = 32 << 10, 1 << 20
	return int64(frames)*(px+perFrame) + 2*4*px + fixed
}

// DecodeFrames decodes every frame of a GIF under the limits and calls fn
// with each one as a viewer sees it, in order: drawn over the frames before
// it, each of those put away as its disposal method says (left, cleared to
// transparent, or restored to what was under it). The frame given to fn is
// one canvas, drawn on again after fn returns: fn must not keep it. An error
// from fn stops the decoding and is returned.
//
// Before any pixel is decoded the file's blocks are counted: more than
// maxFrames frames (0 means DefaultMaxFrames), or frames × the logical
// screen over lim.MaxPixels, is refused as CodeTooLarge, and the memory of
// FramesBytes is taken from lim.Memory as Decode takes an image's. A
// still GIF is one frame.
func DecodeFrames(data []byte, lim Limits, maxFrames int, fn func(i int, frame image.Image) error) error {
	lim = lim.withDefaults()
	if maxFrames <= 0 {
		maxFrames = DefaultMaxFrames
	}
	ct, cfg, err := check(data, lim)
	if err != nil {
		return err
	}
	if ct != GIF {
		return safeguard.Invalid(CodeUnsupported, "Only a GIF's frames are decoded one by one.")
	}
	n, _ := gifFrames(data)
	px := int64(cfg.Width) * int64(cfg.Height)
	switch {
	case n > maxFrames:
		return tooLarge(fmt.Sprintf("The animation has %d frames; at most %d are allowed.", n, maxFrames))
	case int64(n)*px > lim.MaxPixels:
		return tooLarge(fmt.Sprintf("The animation has %d frames of %d×%d pixels; at most %s are allowed in all.",
			n, cfg.Width, cfg.Height, pixels(lim.MaxPixels)))
	}
	grant, err := lim.Memory.reserve(FramesBytes(cfg, n), cfg)
	if err != nil {
		return err
	}
	defer grant.Release()
	g, err := safely(func() (*gif.GIF, error) { return gif.DecodeAll(bytes.NewReader(data)) })
	if err != nil {
		return corrupt(err)
	}
	if len(g.Image) == 0 || len(g.Image) > n {
		return corrupt(fmt.Errorf("%d frames decoded, %d counted", len(g.Image), n))
	}
	return composite(g, fn)
}

// composite draws the frames of g on a canvas, in order, calling fn after
// each.
func composite(g *gif.GIF, fn func(int, image.Image) error) error {
	screen := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	canvas := image.NewNRGBA(screen)
	var saved *image.NRGBA // what a "restore to previous" frame covers
	for i, f := range g.Image {
		disposal := byte(gif.DisposalNone)
		if i < len(g.Disposal) {
			disposal = g.Disposal[i]
		}
		r := f.Bounds().Intersect(screen)
		if disposal == gif.DisposalPrevious {
			if saved == nil {
				saved = image.NewNRGBA(screen)
			}
			copyRect(saved, canvas, r)
		}
		drawFrame(canvas, f, r)
		if err := fn(i, canvas); err != nil {
			return err
		}
		switch disposal {
		case gif.DisposalBackground:
			// Browsers clear to transparent, not to the background colour.
			clearRect(canvas, r)
		case gif.DisposalPrevious:
			copyRect(canvas, saved, r)
		}
	}
	return nil
}

// drawFrame draws the opaque pixels of f within r onto canvas; a
// transparent index leaves what is under it.
func drawFrame(canvas *image.NRGBA, f *image.Paletted, r image.Rectangle) {
	var pal [256]color.NRGBA
	for i, c := range f.Palette {
		if i == len(pal) {
			break
		}
		pal[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		src := f.Pix[f.PixOffset(r.Min.X, y):]
		dst := canvas.Pix[canvas.PixOffset(r.Min.X, y):]
		for x := 0; x < r.Dx(); x++ {
			c := pal[src[x]]
			if c.A == 0 {
				continue
			}
			d := dst[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = c.R, c.G, c.B, c.A
		}
	}
}

// copyRect copies the pixels of r from src to dst.
func copyRect(dst, src *image.NRGBA, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)], src.Pix[src.PixOffset(r.Min.X, y):])
	}
}

// clearRect makes the pixels of r transparent black.
func clearRect(m *image.NRGBA, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		clear(m.Pix[m.PixOffset(r.Min.X, y):m.PixOffset(r.Max.X, y)])
	}
}
