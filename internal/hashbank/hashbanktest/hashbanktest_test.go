package hashbanktest

import (
	"bytes"
	"testing"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank/listfmt"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/pdq"
)

// TestImages: generated images are the same for a seed, different across
// seeds, matchable, and their edited copies stay within the match radius.
func TestImages(t *testing.T) {
	hash := func(data []byte) pdq.Result {
		t.Helper()
		img, err := imaging.Decode(data, imaging.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		defer img.Release()
		return pdq.HashImage(img.Image, pdq.Options{})
	}
	a := hash(PNG(Image(1, 320, 240)))
	again, other := hash(PNG(Image(1, 320, 240))), hash(PNG(Image(2, 320, 240)))
	if a.Hash != again.Hash || a.Quality < pdq.MinQuality {
		t.Errorf("seed 1: quality %d, same hash twice %v", a.Quality, a.Hash == again.Hash)
	}
	if d := pdq.Distance(a.Hash, other.Hash); d < 64 {
		t.Errorf("two seeds are %d bits apart", d)
	}
	copyOf := hash(JPEG(Scale(Image(1, 320, 240), 0.6), 40))
	if d := pdq.Distance(a.Hash, copyOf.Hash); d > 31 {
		t.Errorf("a re-encoded, smaller copy is %d bits away", d)
	}
	if r := Rotate90(Image(1, 30, 20)); r.Bounds().Dx() != 20 || r.Bounds().Dy() != 30 {
		t.Errorf("Rotate90 bounds %v", r.Bounds())
	}
	if f := hash(PNG(Flat(100, 100))); f.Quality >= pdq.MinQuality {
		t.Errorf("flat image quality %d", f.Quality)
	}
}

// TestBadFiles: the malformed files are refused for the reasons they stand
// for.
func TestBadFiles(t *testing.T) {
	for name, tt := range map[string]struct {
		data []byte
		code string
	}{
		"truncated": {TruncatedJPEG(), imaging.CodeCorrupt},
		"huge":      {HugePNG(100000, 100000), imaging.CodeTooLarge},
	} {
		_, err := imaging.Decode(tt.data, imaging.Limits{})
		if safeguard.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", name, err, tt.code)
		}
	}
}

func TestWriteRandomList(t *testing.T) {
	var b bytes.Buffer
	if err := WriteRandomList(&b, 100, 3); err != nil {
		t.Fatal(err)
	}
	recs, err := listfmt.Parse(&b, listfmt.Text, listfmt.Options{})
	if err != nil || len(recs) != 100 || recs[99].ExternalID != "r99" {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}
