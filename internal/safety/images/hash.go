package images

import (
	"crypto/md5"
	"crypto/sha256"
	"errors"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/pdq"
)

// Hashes are the hashes of one image file: its exact digests always,
// and its PDQ hashes when it could be decoded.
type Hashes struct {
	MD5    hashbank.MD5
	SHA256 hashbank.SHA256
	// Decoded is false when the file could not be decoded as an image; Err
	// then says why (an imaging refusal: not an image, damaged, too large).
	Decoded bool
	Err     error
	Width   int
	Height  int
	Quality int // PDQ quality 0–100; 0 if not decoded
	// PDQ[0] is the hash of the image as given; with Dihedral, PDQ holds
	// the hashes of its eight rotations and flips in pdq.Transform order.
	PDQ      [8]hashbank.PDQ
	Dihedral bool
}

// Matchable reports whether the PDQ hash may be matched: the image was
// decoded and its quality is at least pdq.MinQuality. The exact digests are
// always matched.
func (h *Hashes) Matchable() bool { return h.Decoded && h.Quality >= pdq.MinQuality }

// Code is the reason an image could not be checked by PDQ, as a stable code:
// the imaging refusal's code, "low_quality", or "" when it can be.
func (h *Hashes) Code() string {
	if !h.Decoded {
		var e *safeguard.Error
		if errors.As(h.Err, &e) && e.Code != "" {
			return e.Code
		}
		return imaging.CodeCorrupt
	}
	if h.Quality < pdq.MinQuality {
		return "low_quality"
	}
	return ""
}

// query returns what the index is asked about the image: the exact digests,
// and the PDQ hashes if they may be matched.
func (h *Hashes) query() hashbank.Query {
	q := hashbank.Query{Kinds: hashbank.KindMD5 | hashbank.KindSHA256, MD5: h.MD5, SHA256: h.SHA256}
	if h.Matchable() {
		q.Kinds |= hashbank.KindPDQ
		q.PDQ = h.PDQ
		q.Dihedral = h.Dihedral
	}
	return q
}

// Hash decodes data under lim and computes its digests and PDQ hash,
// with the hashes of its eight rotations and flips when dihedral is set
// (from the same DCT, at about the cost of one hash). It is the one place an
// image file is hashed for matching: the scanner, retroactive matching and
// the command line all use it. A file that cannot be decoded still gets its
// digests.
func Hash(data []byte, lim imaging.Limits, dihedral bool) Hashes {
	h := Hashes{MD5: md5.Sum(data), SHA256: sha256.Sum256(data), Dihedral: dihedral}
	img, err := imaging.Decode(data, lim)
	if err != nil {
		h.Err = err
		return h
	}
	defer img.Release()
	b := img.Bounds()
	h.Decoded, h.Width, h.Height = true, b.Dx(), b.Dy()
	if dihedral {
		d := pdq.Dihedral(img.Image, pdq.Options{})
		for i, x := range d.Hashes {
			h.PDQ[i] = hashbank.PDQ(x)
		}
		h.Quality = d.Quality
		return h
	}
	r := pdq.HashImage(img.Image, pdq.Options{})
	h.PDQ[0], h.Quality = hashbank.PDQ(r.Hash), r.Quality
	return h
}

// mediaHashes is what is kept of an image for retroactive matching.
func (h *Hashes) mediaHashes() *safeguard.MediaHashes {
	mh := &safeguard.MediaHashes{MD5: h.MD5[:], SHA256: h.SHA256[:], Quality: h.Quality}
	if h.Decoded {
		mh.PDQ = append([]byte(nil), h.PDQ[0][:]...)
		if h.Dihedral {
			mh.Dihedral = make([]byte, 0, 8*32)
			for _, p := range h.PDQ {
				mh.Dihedral = append(mh.Dihedral, p[:]...)
			}
		}
	}
	return mh
}

// hashesOf rebuilds the hashes of stored media.
func hashesOf(mh *safeguard.MediaHashes) Hashes {
	var h Hashes
	copy(h.MD5[:], mh.MD5)
	copy(h.SHA256[:], mh.SHA256)
	h.Quality = mh.Quality
	if len(mh.PDQ) == 32 {
		h.Decoded = true
		copy(h.PDQ[0][:], mh.PDQ)
	}
	if len(mh.Dihedral) == 8*32 {
		h.Dihedral = true
		for i := range h.PDQ {
			copy(h.PDQ[i][:], mh.Dihedral[i*32:])
		}
	}
	return h
}
