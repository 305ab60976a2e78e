package imaging

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"io"

	"github.com/safeguard-dev/safeguard/pdq"
)

// Analysis is what detection needs to know about an image file: its exact
// digests and its PDQ hash.
type Analysis struct {
	ContentType   string // as sniffed from the bytes; "" if not a supported type
	Size          int64  // bytes
	MD5           [md5.Size]byte
	SHA256        [sha256.Size]byte
	Width, Height int      // 0 if the image was not decoded
	PDQ           pdq.Hash // full-resolution pipeline, as HMA computes it
	Quality       int      // PDQ quality, 0…100; 0 if not decoded
}

// Matchable reports whether the PDQ hash is fit to match: the image was
// decoded and its quality is at least pdq.MinQuality. The exact digests are
// always fit to match.
func (a Analysis) Matchable() bool { return a.Quality >= pdq.MinQuality }

// Analyze decodes data under the limits and computes its MD5, SHA-256 and
// PDQ hash. The digests are computed from the bytes as the decoder reads
// them, so the file is read once. When the image is refused or cannot be
// decoded, Analyze returns the error together with an Analysis that still
// has the size and both digests (exact-hash matching needs no decoding) but
// no PDQ hash: the caller must treat such media as unscanned by PDQ.
func Analyze(data []byte, lim Limits) (Analysis, error) {
	a := Analysis{ContentType: Sniff(data), Size: int64(len(data))}
	d := newDigests()
	r := io.TeeReader(bytes.NewReader(data), d)
	img, err := decode(data, r, lim)
	// The digests must cover every byte, also those the decoder did not
	// need (or all of them, if it never started).
	if _, cerr := io.Copy(io.Discard, r); cerr != nil && err == nil {
		err = cerr
	}
	d.sum(&a)
	if err != nil {
		return a, err
	}
	hashImage(&a, img)
	return a, nil
}

// AnalyzeReader reads at most lim.MaxBytes+1 bytes from r, hashing them as
// they arrive, and analyzes them as Analyze does. A file over the byte limit
// is refused with an empty Analysis, as it was not read to its end.
func AnalyzeReader(r io.Reader, lim Limits) (Analysis, error) {
	d := newDigests()
	data, err := readLimited(io.TeeReader(r, d), lim.withDefaults().MaxBytes)
	if err != nil {
		return Analysis{}, err
	}
	a := Analysis{ContentType: Sniff(data), Size: int64(len(data))}
	d.sum(&a)
	img, err := decode(data, bytes.NewReader(data), lim)
	if err != nil {
		return a, err
	}
	hashImage(&a, img)
	return a, nil
}

func hashImage(a *Analysis, img *Image) {
	defer img.Release()
	b := img.Bounds()
	a.Width, a.Height = b.Dx(), b.Dy()
	r := pdq.HashImage(img.Image, pdq.Options{})
	a.PDQ, a.Quality = r.Hash, r.Quality
}

// digests computes MD5 and SHA-256 of everything written to it.
type digests struct {
	io.Writer
	md5, sha256 hash.Hash
}

func newDigests() *digests {
	d := &digests{md5: md5.New(), sha256: sha256.New()}
	d.Writer = io.MultiWriter(d.md5, d.sha256)
	return d
}

func (d *digests) sum(a *Analysis) {
	d.md5.Sum(a.MD5[:0])
	d.sha256.Sum(a.SHA256[:0])
}
