package imaging

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard/pdq"
)

func TestAnalyze(t *testing.T) {
	photo := encodeJPEG(t, textured(300, 200, 5))
	withTrailer := append(bytes.Clone(photo), []byte("trailing bytes after EOI")...)
	tests := []struct {
		name    string
		data    []byte
		code    string // "" for success
		ct      string
		decoded bool
	}{
		{"JPEG", photo, "", JPEG, true},
		{"JPEG with a trailer", withTrailer, "", JPEG, true},
		{"PNG", encodePNG(t, textured(90, 80, 6)), "", PNG, true},
		{"lossless WebP", readTestdata(t, "lossless.webp"), "", WebP, true},
		{"text", []byte("just text"), CodeUnsupported, "", false},
		{"truncated JPEG", photo[:len(photo)/3], CodeCorrupt, JPEG, false},
		{"PNG bomb", pngHeader(100000, 100000), CodeTooLarge, PNG, false},
	}
	for _, tt := range tests {
		a, err := Analyze(tt.data, Limits{})
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code)
		} else if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		want := Analysis{
			ContentType: tt.ct,
			Size:        int64(len(tt.data)),
			MD5:         md5.Sum(tt.data),
			SHA256:      sha256.Sum256(tt.data),
		}
		if tt.decoded {
			img, err := Decode(tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			r := pdq.HashImage(img.Image, pdq.Options{})
			want.Width, want.Height = img.Bounds().Dx(), img.Bounds().Dy()
			want.PDQ, want.Quality = r.Hash, r.Quality
		}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Errorf("%s: Analyze (-want +got):\n%s", tt.name, diff)
		}
		if a.Matchable() != (tt.decoded && a.Quality >= pdq.MinQuality) {
			t.Errorf("%s: Matchable %v with quality %d", tt.name, a.Matchable(), a.Quality)
		}
		b, err := AnalyzeReader(bytes.NewReader(tt.data), Limits{})
		if (err == nil) != (tt.code == "") {
			t.Errorf("%s: AnalyzeReader error %v", tt.name, err)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%s: AnalyzeReader differs from Analyze (-Analyze +AnalyzeReader):\n%s", tt.name, diff)
		}
	}
}

func TestAnalyzeReaderOverLimit(t *testing.T) {
	data := encodeJPEG(t, textured(300, 200, 5))
	a, err := AnalyzeReader(bytes.NewReader(data), Limits{MaxBytes: 1024})
	wantCode(t, "over the limit", err, CodeTooLarge)
	if a != (Analysis{}) {
		t.Errorf("got %+v, want an empty Analysis", a)
	}
	// Analyze has all the bytes, so it still gives their digests.
	a, err = Analyze(data, Limits{MaxBytes: 1024})
	wantCode(t, "over the limit", err, CodeTooLarge)
	if a.SHA256 != sha256.Sum256(data) || a.Size != int64(len(data)) || a.Quality != 0 {
		t.Errorf("Analyze over the limit: %+v", a)
	}
}
