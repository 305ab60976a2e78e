package imaging

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestDecodeBytes(t *testing.T) {
	progressive := readTestdata(t, "bench-640x480.jpg")
	var baseline bytes.Buffer
	if err := jpeg.Encode(&baseline, textured(640, 480, 1), nil); err != nil {
		t.Fatal(err)
	}
	interlaced := encodePNG(t, textured(64, 64, 2))
	interlaced[28] = 1
	tests := []struct {
		name string
		ct   string
		cfg  image.Config
		data []byte
		want int64
	}{
		{"RGBA PNG", PNG, image.Config{ColorModel: color.RGBAModel, Width: 7000, Height: 7000}, pngHeader(7000, 7000), 7000*7000*4 + 7000*256 + 1<<20},
		{"interlaced NRGBA PNG", PNG, image.Config{ColorModel: color.NRGBAModel, Width: 64, Height: 64}, interlaced, 64*64*8 + 64*256 + 1<<20},
		{"grey PNG", PNG, image.Config{ColorModel: color.GrayModel, Width: 100, Height: 10}, pngHeader(100, 10), 100*10 + 100*256 + 1<<20},
		{"16-bit PNG", PNG, image.Config{ColorModel: color.RGBA64Model, Width: 100, Height: 10}, pngHeader(100, 10), 100*10*8 + 100*256 + 1<<20},
		{"baseline JPEG", JPEG, image.Config{ColorModel: color.YCbCrModel, Width: 640, Height: 480}, baseline.Bytes(), 640*480*3 + 640*256 + 1<<20},
		{"GIF", GIF, image.Config{ColorModel: color.Palette{color.Black}, Width: 100, Height: 100}, nil, 100*100 + 100*256 + 1<<20},
	}
	if jpegProgressive(progressive) {
		tests = append(tests, struct {
			name string
			ct   string
			cfg  image.Config
			data []byte
			want int64
		}{"progressive JPEG", JPEG, image.Config{ColorModel: color.YCbCrModel, Width: 640, Height: 480}, progressive, 640*480*15 + 640*256 + 1<<20})
	}
	for _, tt := range tests {
		if got := DecodeBytes(tt.ct, tt.cfg, tt.data); got != tt.want {
			t.Errorf("%s: DecodeBytes = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestDecodeBytesCoversTheDecoder decodes a PNG and checks that the memory
// it allocated is within the estimate.
func TestDecodeBytesCoversTheDecoder(t *testing.T) {
	for _, img := range []image.Image{textured(1000, 800, 3), image.NewGray(image.Rect(0, 0, 1000, 800))} {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := Decode(data, Limits{})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		runtime.KeepAlive(got)
		if used, est := int64(after.TotalAlloc-before.TotalAlloc), DecodeBytes(PNG, cfg, data); used > est {
			t.Errorf("%T: decoding allocated %d bytes, estimate %d", img, used, est)
		}
	}
}

func TestMemoryBudget(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	data := encodePNG(t, textured(256, 256, 4))
	one := DecodeBytes(PNG, image.Config{ColorModel: color.NRGBAModel, Width: 256, Height: 256}, data)

	// An image larger than the whole budget is refused before decoding.
	small := NewMemory(one-1, 0, func() time.Time { return now })
	_, err := Decode(data, Limits{Memory: small})
	wantCode(t, "image over the budget", err, CodeTooLarge)

	// One image at a time: a second waits, then is told when to come back.
	m := NewMemory(one, 0, func() time.Time { return now })
	img, err := Decode(data, Limits{Memory: m})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(300 * time.Millisecond)
	_, err = Decode(data, Limits{Memory: m})
	var e *safeguard.Error
	if !errors.As(err, &e) || !errors.Is(err, safeguard.ErrUnavailable) || e.RetryAfter != 700*time.Millisecond {
		t.Fatalf("second decode on a full budget: %v, want busy for 700ms", err)
	}
	img.Release()
	img, err = Decode(data, Limits{Memory: m})
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	img.Release()
	// A decode that fails gives its memory back.
	broken := append([]byte(nil), data[:len(data)/2]...)
	for range 3 {
		if _, err := Decode(broken, Limits{Memory: m}); safeguard.ErrorCode(err) != CodeCorrupt {
			t.Fatalf("truncated image: %v", err)
		}
	}
}
