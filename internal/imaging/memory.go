package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"time"

	"github.com/safeguard-dev/safeguard/internal/budget"
)

// Defaults of a decode memory budget: 256 MiB (one 50-megapixel RGBA image
// at a time, or many small ones) and a wait of up to five seconds for room.
const (
	DefaultMemoryBudget = 256 << 20
	DefaultMemoryWait   = 5 * time.Second
	// typicalDecode is a first guess of how long an image holds its
	// memory, refined as decodes finish; refusals estimate Retry-After
	// from it.
	typicalDecode = time.Second
)

// Memory is a budget of bytes that decoded images may take at once. Each
// Decode takes its image's estimated size (DecodeBytes) from it before
// decoding, and the caller gives it back with Image.Release once done with
// the pixels. An image larger than the whole budget is refused before
// decoding, as too large; when the budget is taken for longer than its
// wait, Decode fails with a safeguard.ErrUnavailable error (code "busy")
// whose RetryAfter says when to come back.
type Memory struct{ b *budget.Budget }

// NewMemory returns a decode memory budget of total bytes; a decode waits
// at most wait for room. now is the clock (time.Now if nil).
func NewMemory(total int64, wait time.Duration, now func() time.Time) *Memory {
	return &Memory{b: budget.New(total, wait, typicalDecode, now)}
}

// Total returns the budget in bytes.
func (m *Memory) Total() int64 { return m.b.Total() }

// take reserves the memory to decode an image of cfg from data, or refuses
// it. A nil Memory takes nothing.
func (m *Memory) take(ct string, cfg image.Config, data []byte) (*budget.Grant, error) {
	if m == nil {
		return nil, nil
	}
	return m.reserve(DecodeBytes(ct, cfg, data), cfg)
}

// reserve reserves n bytes to decode an image of cfg, or refuses it. A nil
// Memory takes nothing.
func (m *Memory) reserve(n int64, cfg image.Config) (*budget.Grant, error) {
	if m == nil {
		return nil, nil
	}
	if n > m.Total() {
		return nil, tooLarge(fmt.Sprintf("The image is %d×%d pixels; decoding it would take %s, more than the %s allowed.",
			cfg.Width, cfg.Height, mib(n), mib(m.Total())))
	}
	return m.b.Acquire(context.Background(), n)
}

// DecodeBytes estimates, from the header alone, the memory that decoding
// data (of type ct, header cfg) takes at its peak: the decoded pixels in
// the form the decoder makes them, the decoder's own buffers (a progressive
// JPEG keeps every coefficient; an interlaced PNG decodes each pass into an
// image of its own), and the rows PDQ hashing keeps.
func DecodeBytes(ct string, cfg image.Config, data []byte) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	var perPixel float64
	switch ct {
	case PNG:
		perPixel = bytesPerPixel(cfg.ColorModel)
		if len(data) > 28 && data[28] == 1 { // IHDR interlace method: Adam7
			perPixel *= 2
		}
	case JPEG:
		perPixel = bytesPerPixel(cfg.ColorModel)
		if jpegProgressive(data) {
			perPixel += 4 * perPixel // a 32-bit coefficient per sample
		}
	case GIF:
		perPixel = 1
	case WebP:
		perPixel = 8 // lossless: NRGBA and the decoder's ARGB words
		if len(data) >= 16 && string(data[12:16]) == "VP8 " {
			perPixel = 2 // lossy without alpha: 4:2:0 YCbCr
		}
	}
	const fixed = 1 << 20
	return int64(float64(px)*perPixel) + int64(cfg.Width)*256 + fixed
}

// bytesPerPixel is the size of a pixel of the image a decoder makes for m.
func bytesPerPixel(m color.Model) float64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4 at most
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// jpegProgressive reports whether the JPEG's frame is progressive (SOF2,
// SOF6, SOF10 or SOF14), by walking its marker segments up to the first
// frame header.
func jpegProgressive(data []byte) bool {
	i := 2
	for i+3 < len(data) {
		if data[i] != 0xff {
			j := bytes.IndexByte(data[i:], 0xff)
			if j < 0 {
				return false
			}
			i += j
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xff:
			i++
			continue
		case m == 0xc2, m == 0xc6, m == 0xca, m == 0xce:
			return true
		case 0xc0 <= m && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return false // another frame type
		case m == 0xd9, m == 0xda:
			return false
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	return false
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", (n+1<<20-1)>>20) }
