package nsfw

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/nudity/nsfw/internal/modelfile"
)

// TestRGBReader checks the pixel formats against what pngjs hands nsfwjs.
func TestRGBReader(t *testing.T) {
	nrgba := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 0}) // transparent keeps its colour
	pal := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.NRGBA{10, 20, 30, 0}})
	n64 := image.NewNRGBA64(image.Rect(0, 0, 1, 1))
	n64.SetNRGBA64(0, 0, color.NRGBA64{0x8080, 0x807f, 0xffff, 0})
	g16 := image.NewGray16(image.Rect(0, 0, 1, 1))
	g16.SetGray16(0, 0, color.Gray16{0x0180}) // 384*255/65535 = 1.494 → 1
	gray := image.NewGray(image.Rect(0, 0, 1, 1))
	gray.SetGray(0, 0, color.Gray{77})
	sub := image.NewRGBA(image.Rect(0, 0, 4, 4)).SubImage(image.Rect(2, 2, 4, 4)).(*image.RGBA)
	sub.SetRGBA(3, 3, color.RGBA{1, 2, 3, 255})
	for _, c := range []struct {
		name    string
		img     image.Image
		x, y    int
		r, g, b uint8
	}{
		{"nrgba transparent", nrgba, 0, 0, 200, 100, 50},
		{"palette transparent", pal, 0, 0, 10, 20, 30},
		{"nrgba64", n64, 0, 0, 128, 128, 255},
		{"gray16", g16, 0, 0, 1, 1, 1},
		{"gray", gray, 0, 0, 77, 77, 77},
		{"sub-image", sub, 3, 3, 1, 2, 3},
	} {
		r, g, b := rgbReader(c.img)(c.x, c.y)
		if r != c.r || g != c.g || b != c.b {
			t.Errorf("%s: got %d,%d,%d, want %d,%d,%d", c.name, r, g, b, c.r, c.g, c.b)
		}
	}
}

// TestScale16 compares the integer form with pngjs's floor(v*255/65535+0.5).
func TestScale16(t *testing.T) {
	for v := range 65536 {
		want := uint8(math.Floor(float64(v)*255/65535 + 0.5))
		if got := scale16(uint16(v)); got != want {
			t.Fatalf("scale16(%d) = %d, want %d", v, got, want)
		}
	}
}

// TestResizeAxis checks the aligned-corners sampling: the first and last
// output pixels sit exactly on the first and last source pixels.
func TestResizeAxis(t *testing.T) {
	a := newAxis(640, 224)
	if a.lo[0] != 0 || a.frac[0] != 0 || a.lo[223] != 639 || a.hi[223] != 639 {
		t.Errorf("ends: lo %d..%d hi %d, frac %v", a.lo[0], a.lo[223], a.hi[223], a.frac[0])
	}
	// 639/223 * 1 = 2.865…
	if a.lo[1] != 2 || a.hi[1] != 3 || math.Abs(a.frac[1]-(639.0/223-2)) > 1e-12 {
		t.Errorf("index 1: lo %d hi %d frac %v", a.lo[1], a.hi[1], a.frac[1])
	}
	up := newAxis(1, 224) // a one-pixel axis is read at its one pixel
	for i := range 224 {
		if up.lo[i] != 0 || up.hi[i] != 0 {
			t.Fatalf("one-pixel axis reads %d..%d at %d", up.lo[i], up.hi[i], i)
		}
	}
}

// TestPreprocessBilinear checks one interpolated value by hand.
func TestPreprocessBilinear(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(img.Pix, []uint8{0, 255, 255, 255})
	dst := make([]float32, 3*3*3)
	preprocess(dst, img, 3)
	// Centre of a 2×2 image resized to 3×3 with aligned corners: the mean
	// of the four pixels, 765/4/255 = 0.75.
	if got := dst[(1*3+1)*3]; math.Abs(float64(got)-0.75) > 1e-7 {
		t.Errorf("centre = %v, want 0.75", got)
	}
	if dst[0] != 0 || dst[len(dst)-1] != 1 {
		t.Errorf("corners %v and %v, want 0 and 1", dst[0], dst[len(dst)-1])
	}
}

func TestClassifyRejectsEmpty(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Classify(image.NewRGBA(image.Rect(0, 0, 0, 5))); err == nil {
		t.Error("empty image classified")
	}
	if _, err := m.Classify(nil); err == nil {
		t.Error("nil image classified")
	}
}

// TestClassifyConcurrent runs Classify from several goroutines: every call
// must give the same scores as a lone call.
func TestClassifyConcurrent(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	imgs := []image.Image{image.NewGray(image.Rect(0, 0, 50, 40)), image.NewRGBA(image.Rect(0, 0, 300, 200))}
	for i := range imgs[1].(*image.RGBA).Pix {
		imgs[1].(*image.RGBA).Pix[i] = uint8(i * 7)
	}
	want := make([]Scores, len(imgs))
	for i, img := range imgs {
		if want[i], err = m.Classify(img); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan string, 8)
	for g := range 8 {
		go func() {
			got, err := m.Classify(imgs[g%2])
			if err != nil || got != want[g%2] {
				errs <- "concurrent call differs"
				return
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	s := want[1]
	if sum := s.Drawing + s.Hentai + s.Neutral + s.Porn + s.Sexy; math.Abs(sum-1) > 1e-5 {
		t.Errorf("scores add up to %v", sum)
	}
}

// TestLoadRefusesBrokenModels checks that load checks what it is given.
func TestLoadRefusesBrokenModels(t *testing.T) {
	if _, err := load([]byte("not a model")); err == nil {
		t.Error("garbage loaded")
	}
	if _, err := load(modelBin[:len(modelBin)/2]); err == nil {
		t.Error("truncated model loaded")
	}
	for name, breakIt := range map[string]func(h *modelfile.Header){
		"channels":   func(h *modelfile.Header) { h.Ops[1].InC++ },
		"input":      func(h *modelfile.Header) { h.Ops[3].Inputs[0] = "nowhere" },
		"kernel":     func(h *modelfile.Header) { h.Ops[0].Kernel = h.Ops[1].Kernel },
		"activation": func(h *modelfile.Header) { h.Ops[0].Act = "tanh" },
		"classes":    func(h *modelfile.Header) { h.Classes = h.Classes[:4] },
	} {
		h, data, err := modelfile.Read(modelBin)
		if err != nil {
			t.Fatal(err)
		}
		breakIt(h)
		var buf bytes.Buffer
		if err := modelfile.Write(&buf, h, data); err != nil {
			t.Fatal(err)
		}
		if _, err := load(buf.Bytes()); err == nil {
			t.Errorf("model with a broken %s loaded", name)
		}
	}
}
