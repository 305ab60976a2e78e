package pdq

import (
	"image"
	"testing"
)

// TestHasherAllocations: a reused Hasher hashes without garbage.
func TestHasherAllocations(t *testing.T) {
	rgb := photoLike(320, 240, 1)
	luma := lumaOf(rgb)
	images := map[string]image.Image{
		"NRGBA":    rgb,
		"YCbCr420": toYCbCr(rgb, image.YCbCrSubsampleRatio420),
		"Gray":     image.NewGray(rgb.Rect),
	}
	var h Hasher
	for name, img := range images {
		for _, p := range []Pipeline{Full, CLI} {
			h.HashImage(img, Options{Pipeline: p}) // warm the scratch
			if n := testing.AllocsPerRun(5, func() { h.HashImage(img, Options{Pipeline: p}) }); n != 0 {
				t.Errorf("HashImage(%s, %v): %v allocations", name, p, n)
			}
			if n := testing.AllocsPerRun(5, func() { h.Dihedral(img, Options{Pipeline: p}) }); n != 0 {
				t.Errorf("Dihedral(%s, %v): %v allocations", name, p, n)
			}
		}
	}
	if n := testing.AllocsPerRun(5, func() { h.HashLuma(luma, 320, 240, Options{}) }); n != 0 {
		t.Errorf("HashLuma: %v allocations", n)
	}
}

// TestHasherReuse: hashing a big image, then a small one, then the big one
// again with the same Hasher gives the same answers as fresh Hashers.
func TestHasherReuse(t *testing.T) {
	big, small := photoLike(700, 500, 1), photoLike(90, 70, 2)
	var h Hasher
	for _, img := range []image.Image{big, small, big, small} {
		var fresh Hasher
		for _, p := range []Pipeline{Full, CLI} {
			if a, b := h.HashImage(img, Options{Pipeline: p}), fresh.HashImage(img, Options{Pipeline: p}); a != b {
				t.Fatalf("reused %v, fresh %v", a, b)
			}
		}
	}
}

func TestQualityAndMatchable(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 100, 100))
	tests := []struct {
		name      string
		img       image.Image
		matchable bool
	}{
		{"flat", flat, false},
		{"photo", photoLike(200, 150, 4), true},
		{"tiny", image.NewNRGBA(image.Rect(0, 0, 4, 400)), false},
		{"empty", image.NewNRGBA(image.Rectangle{}), false},
	}
	for _, tt := range tests {
		r := HashImage(tt.img, Options{})
		if r.Matchable() != tt.matchable || (r.Quality >= MinQuality) != tt.matchable {
			t.Errorf("%s: quality %d, Matchable %v, want %v", tt.name, r.Quality, r.Matchable(), tt.matchable)
		}
		d := Dihedral(tt.img, Options{})
		if d.Quality != r.Quality || d.Matchable() != r.Matchable() {
			t.Errorf("%s: dihedral quality %d, single %d", tt.name, d.Quality, r.Quality)
		}
	}
	if r := HashImage(image.NewNRGBA(image.Rect(0, 0, 4, 400)), Options{}); !r.Hash.IsZero() || r.Quality != 0 {
		t.Errorf("too small: %v", r)
	}
}

func TestHashLumaPanicsOnShortBuffer(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	var h Hasher
	h.HashLuma(make([]float32, 10), 5, 5, Options{})
}

// TestHasherForgetsImage: a pooled Hasher must not keep the last image (or
// luma buffer) alive.
func TestHasherForgetsImage(t *testing.T) {
	var h Hasher
	h.HashImage(photoLike(100, 80, 1), Options{Pipeline: CLI})
	h.Dihedral(toYCbCr(photoLike(90, 70, 2), image.YCbCrSubsampleRatio420), Options{})
	h.HashLuma(make([]float32, 600*20), 600, 20, Options{Pipeline: CLI})
	s := h.src
	if s.img != nil || s.ycc != nil || s.nrgba != nil || s.rgba != nil || s.gray != nil || s.pal != nil || s.luma != nil {
		t.Error("the Hasher still holds its last input")
	}
}
