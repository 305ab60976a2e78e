package nudityscan_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"sync/atomic"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
)

// whiteFlagger counts as nudity any image with a pure white pixel as
// RGBA() gives it (alpha applied), and as neutral any other.
type whiteFlagger struct{ calls atomic.Int32 }

func (w *whiteFlagger) Classify(_ context.Context, img image.Image) (nudity.Scores, error) {
	w.calls.Add(1)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if r == 0xffff && g == 0xffff && bl == 0xffff && a == 0xffff {
				return nuditytest.Nude, nil
			}
		}
	}
	return nuditytest.Neutral, nil
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestClassifyTransparency: an image with transparent pixels is classified
// as it is and composited over white and over black, the worst counting: a
// fully transparent image that shows white over a white background counts,
// as the classifier finds white only there. An opaque image is classified
// once.
func TestClassifyTransparency(t *testing.T) {
	th := nudity.DefaultThresholds()
	clear := image.NewNRGBA(image.Rect(0, 0, 16, 16)) // every pixel transparent black
	cl := &whiteFlagger{}
	r, err := nudityscan.Classify(t.Context(), cl, th, pngOf(t, clear), imaging.Limits{}, 0)
	if err != nil || r.Reason != "" {
		t.Fatalf("Classify: %+v %v", r, err)
	}
	if !th.Nudity(r.Scores) || cl.calls.Load() != 3 {
		t.Errorf("a transparent image: scores %+v after %d calls, want nudity after 3 (as is, over white, over black)", r.Scores, cl.calls.Load())
	}

	opaque := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range opaque.Pix {
		opaque.Pix[i] = 0xff
		if i%4 == 0 {
			opaque.Pix[i] = 0x80 // not white
		}
	}
	opaque.Set(3, 3, color.NRGBA{0x80, 0xff, 0xff, 0xff})
	cl = &whiteFlagger{}
	r, err = nudityscan.Classify(t.Context(), cl, th, pngOf(t, opaque), imaging.Limits{}, 0)
	if err != nil || th.Nudity(r.Scores) || cl.calls.Load() != 1 {
		t.Errorf("an opaque image: %+v %v after %d calls, want neutral after 1", r, err, cl.calls.Load())
	}
}
