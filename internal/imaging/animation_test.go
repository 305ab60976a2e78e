package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"runtime"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// withChunk returns a PNG with a chunk inserted after its IHDR.
func withChunk(data []byte, typ string, body []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(c, typ...)
	c = append(c, body...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	out := append([]byte(nil), data[:ihdrEnd]...)
	out = append(out, c...)
	return append(out, data[ihdrEnd:]...)
}

// webpVP8X returns a WebP file of a VP8X header with the flags given and a
// lossless image after it (as lossless.webp holds).
func webpVP8X(t *testing.T, flags byte, extra ...string) []byte {
	t.Helper()
	still := readTestdata(t, "lossless.webp")
	body := []byte{flags, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	var chunks []byte
	chunks = append(chunks, "VP8X"...)
	chunks = binary.LittleEndian.AppendUint32(chunks, uint32(len(body)))
	chunks = append(chunks, body...)
	for _, e := range extra {
		chunks = append(chunks, e...)
		chunks = binary.LittleEndian.AppendUint32(chunks, 2)
		chunks = append(chunks, 0, 0)
	}
	chunks = append(chunks, still[12:]...)
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(chunks)))...)
	out = append(out, "WEBP"...)
	return append(out, chunks...)
}

func TestAnimated(t *testing.T) {
	two, _ := twoFrameGIF(t)
	var one bytes.Buffer
	if err := gif.Encode(&one, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	still := encodePNG(t, textured(20, 20, 1))
	actl := binary.BigEndian.AppendUint32(nil, 3)
	actl = binary.BigEndian.AppendUint32(actl, 0)
	for _, c := range []struct {
		name string
		data []byte
		want Animation
	}{
		{"GIF of two frames", two, Animation{Type: GIF, Frames: 2}},
		{"GIF of one frame", one.Bytes(), Animation{}},
		{"PNG", still, Animation{}},
		{"APNG", withChunk(still, "acTL", actl), Animation{Type: PNG, Frames: 3}},
		{"PNG with another ancillary chunk", withChunk(still, "tEXt", []byte("k\x00v")), Animation{}},
		{"WebP", readTestdata(t, "lossless.webp"), Animation{}},
		{"WebP with the animation flag", webpVP8X(t, 0x02), Animation{Type: WebP}},
		{"WebP with an ANIM chunk", webpVP8X(t, 0, "ANIM"), Animation{Type: WebP}},
		{"WebP with VP8X, not animated", webpVP8X(t, 0, "EXIF"), Animation{}},
		{"JPEG", encodeJPEG(t, textured(20, 20, 2)), Animation{}},
		{"not an image", []byte("GIF89a"), Animation{}},
	} {
		if got := Animated(c.data); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// Four colours and a transparent index for the compositing test.
var (
	red   = color.NRGBA{R: 200, A: 255}
	blue  = color.NRGBA{B: 200, A: 255}
	green = color.NRGBA{G: 200, A: 255}
	none  = color.NRGBA{}
)

// paintedGIF encodes frames, each a rectangle of one palette index, with
// the disposal methods given.
func paintedGIF(t *testing.T, w, h int, rects []image.Rectangle, index []uint8, disposal []byte) []byte {
	t.Helper()
	pal := color.Palette{red, blue, green, color.RGBA{}}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: w, Height: h}, Disposal: disposal}
	for i, r := range rects {
		m := image.NewPaletted(r, pal)
		for j := range m.Pix {
			m.Pix[j] = index[i]
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodeFramesComposites: each frame is seen drawn over the ones before,
// after their disposal — left, cleared to transparent, or restored — and a
// transparent index shows what is under it.
func TestDecodeFramesComposites(t *testing.T) {
	data := paintedGIF(t, 4, 4,
		[]image.Rectangle{image.Rect(0, 0, 4, 4), image.Rect(1, 1, 3, 3), image.Rect(0, 0, 1, 1), image.Rect(2, 2, 4, 4), image.Rect(0, 0, 2, 2)},
		[]uint8{0, 1, 2, 3, 1},
		[]byte{gif.DisposalNone, gif.DisposalPrevious, gif.DisposalBackground, gif.DisposalNone, gif.DisposalNone})
	// want[i] lists pixels of the canvas as frame i is seen.
	want := []map[image.Point]color.NRGBA{
		{{0, 0}: red, {1, 1}: red, {3, 3}: red},
		{{0, 0}: red, {1, 1}: blue, {2, 2}: blue, {3, 3}: red},
		{{0, 0}: green, {1, 1}: red, {2, 2}: red}, // frame 1 restored what it covered
		{{0, 0}: none, {2, 2}: red, {3, 3}: red},  // frame 2 cleared; frame 3 all transparent
		{{0, 0}: blue, {1, 1}: blue, {2, 2}: red},
	}
	seen := 0
	err := DecodeFrames(data, Limits{}, 0, func(i int, frame image.Image) error {
		if i != seen {
			t.Fatalf("frame %d given after %d", i, seen)
		}
		seen++
		if b := frame.Bounds(); b != image.Rect(0, 0, 4, 4) {
			t.Errorf("frame %d: bounds %v, want the logical screen", i, b)
		}
		for p, c := range want[i] {
			if got := color.NRGBAModel.Convert(frame.At(p.X, p.Y)); got != c {
				t.Errorf("frame %d at %v: %v, want %v", i, p, got, c)
			}
		}
		return nil
	})
	if err != nil || seen != len(want) {
		t.Fatalf("DecodeFrames: %d frames, %v", seen, err)
	}
	stop := errors.New("stop")
	seen = 0
	if err := DecodeFrames(data, Limits{}, 0, func(int, image.Image) error { seen++; return stop }); err != stop || seen != 1 {
		t.Errorf("an error from fn: %v after %d frames, want it after 1", err, seen)
	}
}

// TestDecodeFramesLimits: too many frames, or frames × screen over the pixel
// limit, or over the whole memory budget, is refused before a pixel is
// decoded; a budget that is taken answers busy; a damaged file is corrupt.
func TestDecodeFramesLimits(t *testing.T) {
	rects := make([]image.Rectangle, 5)
	idx := make([]uint8, 5)
	for i := range rects {
		rects[i] = image.Rect(0, 0, 100, 100)
		idx[i] = uint8(i % 3)
	}
	data := paintedGIF(t, 100, 100, rects, idx, nil)
	called := 0
	fn := func(int, image.Image) error { called++; return nil }
	if err := DecodeFrames(data, Limits{}, 6, fn); err != nil || called != 5 {
		t.Errorf("5 frames within the limits: %d seen, %v", called, err)
	}
	called = 0
	wantCode(t, "4 frames allowed", DecodeFrames(data, Limits{}, 4, fn), CodeTooLarge)
	wantCode(t, "49,999 pixels in all", DecodeFrames(data, Limits{MaxPixels: 49_999}, 0, fn), CodeTooLarge)
	cfg := image.Config{Width: 100, Height: 100}
	small := NewMemory(FramesBytes(cfg, 5)-1, 0, nil)
	wantCode(t, "a budget one byte short", DecodeFrames(data, Limits{Memory: small}, 0, fn), CodeTooLarge)
	wantCode(t, "truncated", DecodeFrames(data[:len(data)/2], Limits{}, 0, fn), CodeCorrupt)
	wantCode(t, "a PNG", DecodeFrames(encodePNG(t, textured(8, 8, 1)), Limits{}, 0, fn), CodeUnsupported)
	if called != 0 {
		t.Errorf("refused files gave %d frames", called)
	}

	mem := NewMemory(FramesBytes(cfg, 5), 0, func() time.Time { return time.Unix(0, 0) })
	held, err := mem.reserve(1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = DecodeFrames(data, Limits{Memory: mem}, 0, fn)
	if !errors.Is(err, safeguard.ErrUnavailable) {
		t.Errorf("with the budget taken: %v, want ErrUnavailable", err)
	}
	held.Release()
	if err := DecodeFrames(data, Limits{Memory: mem}, 0, fn); err != nil || called != 5 {
		t.Errorf("with the budget free: %d frames, %v", called, err)
	}
}

// FuzzGIFFrames: counting a GIF's frames never panics, and never counts
// fewer than the decoder finds, which DecodeFrames's limits rely on.
func FuzzGIFFrames(f *testing.F) {
	two, _ := twoFrameGIF(f)
	f.Add(two)
	f.Add(two[:len(two)/2])
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, _ := gifFrames(data)
		Animated(data)
		if cfg, err := gif.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 1<<20 {
			return // not decoded here: a frame may take the whole screen
		}
		if g, err := gif.DecodeAll(bytes.NewReader(data)); err == nil && len(g.Image) > n {
			t.Fatalf("counted %d frames, the decoder found %d", n, len(g.Image))
		}
		DecodeFrames(data, Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 2048}, 8, func(int, image.Image) error { return nil })
	})
}

// TestFramesBytesCoversTheDecoder decodes every frame of an animated GIF
// whose frames restore what they covered, and checks that the memory it
// allocated is within the estimate.
func TestFramesBytesCoversTheDecoder(t *testing.T) {
	for _, c := range []struct{ w, h, n int }{{400, 300, 12}, {40, 30, 64}, {1000, 800, 2}} {
		rects := make([]image.Rectangle, c.n)
		idx := make([]uint8, c.n)
		disposal := make([]byte, c.n)
		for i := range rects {
			rects[i] = image.Rect(0, 0, c.w, c.h)
			idx[i] = uint8(i % 3)
			disposal[i] = gif.DisposalPrevious
		}
		data := paintedGIF(t, c.w, c.h, rects, idx, disposal)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := DecodeFrames(data, Limits{}, 0, func(int, image.Image) error { return nil })
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		used, est := int64(after.TotalAlloc-before.TotalAlloc), FramesBytes(image.Config{Width: c.w, Height: c.h}, c.n)
		if used > est {
			t.Errorf("%d frames of %d×%d: allocated %d bytes, estimate %d", c.n, c.w, c.h, used, est)
		}
		t.Logf("%d frames of %d×%d: allocated %d bytes, estimate %d", c.n, c.w, c.h, used, est)
	}
}
