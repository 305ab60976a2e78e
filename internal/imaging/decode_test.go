package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/pdq"
)

// textured returns a deterministic, synthetic, photo-like RGB image: value
// noise at several scales (so its spectrum falls off like a photograph's)
// over a gradient, with a little per-pixel noise.
func textured(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	lum := make([]float64, w*h)
	for _, o := range []struct{ cells, amp float64 }{{3, 70}, {7, 40}, {17, 22}, {40, 10}} {
		gw := int(o.cells) + 2
		grid := make([]float64, gw*gw)
		for i := range grid {
			grid[i] = r.Float64()*2 - 1
		}
		for y := range h {
			for x := range w {
				fx, fy := float64(x)*o.cells/float64(w), float64(y)*o.cells/float64(h)
				ix, iy := int(fx), int(fy)
				tx, ty := fx-float64(ix), fy-float64(iy)
				tx, ty = tx*tx*(3-2*tx), ty*ty*(3-2*ty)
				top := grid[iy*gw+ix]*(1-tx) + grid[iy*gw+ix+1]*tx
				bot := grid[(iy+1)*gw+ix]*(1-tx) + grid[(iy+1)*gw+ix+1]*tx
				lum[y*w+x] += o.amp * (top*(1-ty) + bot*ty)
			}
		}
	}
	for y := range h {
		for x := range w {
			v := lum[y*w+x] + 60*float64(x)/float64(w)
			n := 3 * r.NormFloat64()
			img.SetNRGBA(x, y, color.NRGBA{clamp(120 + v + n), clamp(110 + 0.8*v + n), clamp(100 - 0.5*v + n), 255})
		}
	}
	return img
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// twoFrameGIF is an animated GIF whose frames differ completely; Decode
// must return the first.
func twoFrameGIF(t testing.TB) (data []byte, first *image.Paletted) {
	t.Helper()
	pal := color.Palette{}
	for i := range 256 {
		pal = append(pal, color.RGBA{uint8(i), uint8(255 - i), uint8(i * 7), 255})
	}
	frames := make([]*image.Paletted, 2)
	for f := range frames {
		m := image.NewPaletted(image.Rect(0, 0, 80, 60), pal)
		src := textured(80, 60, uint64(f+1))
		for i := range m.Pix {
			m.Pix[i] = src.Pix[4*i+f]
		}
		frames[f] = m
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &gif.GIF{Image: frames, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), frames[0]
}

// pngHeader returns a PNG signature and IHDR declaring w×h RGB, followed by
// an empty IDAT and IEND: a decompression bomb's header, with no pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// withJPEGSize patches the frame header of a JPEG to declare w×h.
func withJPEGSize(t testing.TB, data []byte, w, h uint16) []byte {
	t.Helper()
	out := bytes.Clone(data)
	i := bytes.Index(out, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(out[i+5:], h)
	binary.BigEndian.PutUint16(out[i+7:], w)
	return out
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantCode checks that err is a *safeguard.Error of kind ErrInvalid with
// the given code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var se *safeguard.Error
	if !errors.As(err, &se) || !errors.Is(err, safeguard.ErrInvalid) || se.Code != code {
		t.Errorf("%s: error %v, want code %s of kind ErrInvalid", what, err, code)
		return
	}
	if se.Message == "" || strings.Contains(se.Message, "%") {
		t.Errorf("%s: message %q", what, se.Message)
	}
}

func TestDecodeRefuses(t *testing.T) {
	photo := encodeJPEG(t, textured(320, 240, 1))
	manyScans := func() []byte {
		// A real JPEG with 600 extra (empty) scans before EOI: refused by
		// counting, before any decoding.
		i := bytes.LastIndex(photo, []byte{0xff, 0xd9})
		var b bytes.Buffer
		b.Write(photo[:i])
		for range 600 {
			b.Write([]byte{0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00})
		}
		b.Write([]byte{0xff, 0xd9})
		return b.Bytes()
	}()
	tests := []struct {
		name string
		data []byte
		lim  Limits
		code string
	}{
		{"empty file", nil, Limits{}, CodeEmpty},
		{"text named .jpg", []byte("Hello! This is a text file with a .jpg name.\n"), Limits{}, CodeUnsupported},
		{"BMP", append([]byte("BM"), make([]byte, 100)...), Limits{}, CodeUnsupported},
		{"TIFF", append([]byte("II*\x00"), make([]byte, 100)...), Limits{}, CodeUnsupported},
		{"just the JPEG magic", []byte{0xff, 0xd8, 0xff}, Limits{}, CodeCorrupt},
		{"truncated JPEG", photo[:len(photo)/2], Limits{}, CodeCorrupt},
		{"JPEG header only", photo[:600], Limits{}, CodeCorrupt},
		{"PNG declaring 100000×100000", pngHeader(100000, 100000), Limits{}, CodeTooLarge},
		{"PNG declaring 0×10", pngHeader(0, 10), Limits{}, CodeCorrupt},
		{"PNG declaring 8000×8000", pngHeader(8000, 8000), Limits{}, CodeTooLarge},     // 64 MP > 50 MP
		{"PNG declaring 30000×10", pngHeader(30000, 10), Limits{}, CodeTooLarge},       // side > 20000
		{"PNG 2000×2000 with no pixels", pngHeader(2000, 2000), Limits{}, CodeCorrupt}, // within limits, then fails
		{"JPEG declaring 60000×60000", withJPEGSize(t, photo, 60000, 60000), Limits{}, CodeTooLarge},
		{"over the byte limit", photo, Limits{MaxBytes: 1000}, CodeTooLarge},
		{"over a small pixel limit", photo, Limits{MaxPixels: 320*240 - 1}, CodeTooLarge},
		{"over a small side limit", photo, Limits{MaxSide: 300}, CodeTooLarge},
		{"too many scans", manyScans, Limits{}, CodeTooLarge},
		{"RIFF but not WebP", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), Limits{}, CodeUnsupported},
		{"truncated WebP", readTestdata(t, "lossy.webp")[:200], Limits{}, CodeCorrupt},
		{"truncated GIF", func() []byte { d, _ := twoFrameGIF(t); return d[:300] }(), Limits{}, CodeCorrupt},
	}
	for _, tt := range tests {
		img, err := Decode(tt.data, tt.lim)
		if img != nil {
			t.Errorf("%s: decoded %v", tt.name, img.Bounds())
		}
		wantCode(t, tt.name, err, tt.code)
	}
}

// TestDecompressionBombAllocatesNothing: refusing a PNG that declares
// 100000×100000 (40 GB of RGBA) must not allocate for it.
func TestDecompressionBombAllocatesNothing(t *testing.T) {
	bomb := pngHeader(100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := Decode(bomb, Limits{}); err == nil {
			t.Fatal("bomb decoded")
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing the bomb 10 times allocated %d bytes", got)
	}
}

func TestDecodeFormats(t *testing.T) {
	src := textured(160, 120, 2)
	gifData, gifFirst := twoFrameGIF(t)
	opaque, err := png.Decode(bytes.NewReader(readTestdata(t, "opaque.png")))
	if err != nil {
		t.Fatal(err)
	}
	alpha, err := png.Decode(bytes.NewReader(readTestdata(t, "alpha.png")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		ct      string
		w, h    int
		like    image.Image // what the pixels should look like
		maxDist int         // PDQ distance allowed from like
	}{
		{"JPEG", encodeJPEG(t, src), JPEG, 160, 120, src, 16},
		{"PNG", encodePNG(t, src), PNG, 160, 120, src, 0},
		{"GIF first frame", gifData, GIF, 80, 60, gifFirst, 0},
		{"lossless WebP", readTestdata(t, "lossless.webp"), WebP, 128, 96, opaque, 0},
		{"lossy WebP", readTestdata(t, "lossy.webp"), WebP, 128, 96, opaque, 24},
		{"lossy WebP with alpha", readTestdata(t, "lossy-alpha.webp"), WebP, 128, 96, alpha, 24},
	}
	for _, tt := range tests {
		img, err := Decode(tt.data, Limits{})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if img.ContentType != tt.ct || img.Bounds() != image.Rect(0, 0, tt.w, tt.h) {
			t.Errorf("%s: %s %v, want %s %dx%d", tt.name, img.ContentType, img.Bounds(), tt.ct, tt.w, tt.h)
		}
		got, want := pdq.HashImage(img.Image, pdq.Options{}), pdq.HashImage(tt.like, pdq.Options{})
		if d := pdq.Distance(got.Hash, want.Hash); d > tt.maxDist || got.Quality < 80 {
			t.Errorf("%s: PDQ distance %d from the source (allowed %d), quality %d", tt.name, d, tt.maxDist, got.Quality)
		}
		r, err := DecodeReader(bytes.NewReader(tt.data), Limits{})
		if err != nil || r.Bounds() != img.Bounds() {
			t.Errorf("%s: DecodeReader: %v", tt.name, err)
		}
	}
}

func TestSniff(t *testing.T) {
	tests := map[string]string{
		"\xff\xd8\xff\xe0":             JPEG,
		"\x89PNG\r\n\x1a\n....":        PNG,
		"GIF87a":                       GIF,
		"GIF89a...":                    GIF,
		"RIFF\x00\x00\x00\x00WEBPVP8 ": WebP,
		"RIFF\x00\x00\x00\x00WEB":      "",
		"\xff\xd8":                     "",
		"<svg xmlns='http://www.w3.org/2000/svg'": "",
		"": "",
	}
	for in, want := range tests {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJPEGScans(t *testing.T) {
	seg := func(marker byte, body ...byte) []byte {
		return append([]byte{0xff, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)}, body...)
	}
	var b []byte
	b = append(b, 0xff, 0xd8)
	b = append(b, seg(0xe1, 0xff, 0xda, 0xff, 0xda, 0x00)...) // APP1 holding FF DA: not scans
	b = append(b, seg(0xc2, 0, 8, 0, 16, 0, 16, 1, 1, 0x11, 0)...)
	for range 3 {
		b = append(b, seg(0xda, 1, 1, 0, 0, 63, 0)...)
		b = append(b, 0x12, 0xff, 0x00, 0x34, 0xff, 0xd3, 0x56, 0xff) // data, stuffing, RST3, a fill byte
	}
	b = append(b, 0xff, 0xd9, 0xff, 0xda, 0x00, 0x02) // EOI, then trailing junk
	if got := jpegScans(b); got != 3 {
		t.Errorf("jpegScans = %d, want 3", got)
	}
	if got := jpegScans(encodeJPEG(t, textured(64, 64, 1))); got != 1 {
		t.Errorf("baseline JPEG: %d scans, want 1", got)
	}
	for _, short := range [][]byte{{0xff, 0xd8}, {0xff, 0xd8, 0xff}, {0xff, 0xd8, 0xff, 0xda, 0x00}} {
		if got := jpegScans(short); got != 0 {
			t.Errorf("jpegScans(% x) = %d", short, got)
		}
	}
}

func TestSafelyRecoversPanics(t *testing.T) {
	_, err := safely(func() (image.Image, error) {
		var m *image.RGBA
		return m.SubImage(image.Rect(0, 0, 1, 1)), nil // nil dereference
	})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("error %v", err)
	}
}

// FuzzDecode: whatever the bytes, Decode neither panics nor returns an image
// over the limits, and every error is an ErrInvalid *safeguard.Error.
func FuzzDecode(f *testing.F) {
	f.Add(encodeJPEG(f, textured(40, 30, 3)))
	f.Add(encodePNG(f, textured(20, 20, 4)))
	f.Add(pngHeader(100000, 100000))
	gifData, _ := twoFrameGIF(f)
	f.Add(gifData)
	for _, name := range []string{"lossless.webp", "lossy.webp", "lossy-alpha.webp"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("not an image"))
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 2048, MaxScans: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data, lim)
		if err != nil {
			var se *safeguard.Error
			if !errors.As(err, &se) || !errors.Is(err, safeguard.ErrInvalid) {
				t.Fatalf("error %v is not an ErrInvalid *safeguard.Error", err)
			}
			return
		}
		b := img.Bounds()
		if b.Empty() || b.Dx() > lim.MaxSide || b.Dy() > lim.MaxSide || int64(b.Dx()*b.Dy()) > lim.MaxPixels {
			t.Fatalf("decoded %v over the limits", b)
		}
		pdq.HashImage(img.Image, pdq.Options{})
	})
}
