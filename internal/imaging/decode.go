// Package imaging is the server's safe intake for images: it recognises the
// type from the bytes, refuses what it cannot or should not decode before
// spending memory on it, decodes under limits, and computes what detection
// needs (PDQ, MD5, SHA-256) in one pass over the bytes.
//
// Supported: JPEG, PNG, GIF (the first frame; DecodeFrames gives every
// frame of an animated GIF, and Animated says whether a file is animated)
// and WebP (lossy and lossless).
// Every refusal is a *safeguard.Error of kind safeguard.ErrInvalid with one of
// the codes below, except that a decode memory budget (Memory) that stays
// taken answers safeguard.ErrUnavailable, to be tried again later. Built with the "turbojpeg" tag (and cgo), JPEGs are
// decoded by libjpeg-turbo, the decoder family of Meta's reference tools, so
// that PDQ hashes agree with theirs bit for bit more often; otherwise
// everything is pure Go.
package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/budget"
)

// Content types Decode recognises.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	GIF  = "image/gif"
	WebP = "image/webp"
)

// Error codes of the refusals, all of kind safeguard.ErrInvalid.
const (
	CodeEmpty       = "image_empty"       // no bytes at all
	CodeUnsupported = "image_unsupported" // not an image, or a type not supported
	CodeTooLarge    = "image_too_large"   // over a byte, pixel, side or scan limit
	CodeCorrupt     = "image_corrupt"     // damaged, truncated, or the decoder failed
)

// Default limits, used for any Limits field left zero.
const (
	DefaultMaxBytes  = 32 << 20   // 32 MiB of file
	DefaultMaxPixels = 50_000_000 // 50 megapixels
	DefaultMaxSide   = 20_000     // pixels on either side
	DefaultMaxScans  = 500        // JPEG scans (progressive JPEGs have several)
)

// Limits bound what Decode accepts. A field that is zero (or negative)
// takes its default.
type Limits struct {
	MaxBytes  int64 // size of the encoded file
	MaxPixels int64 // width × height as declared in the header
	MaxSide   int   // width or height as declared in the header
	// MaxScans bounds the scans of a JPEG. Each scan of a progressive JPEG
	// walks the whole image again, so a small file with very many scans
	// would cost minutes of CPU.
	MaxScans int
	// Memory, if set, bounds the memory of decoding by a budget shared
	// with every other decode (see Memory); nil decodes at once.
	Memory *Memory
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultMaxSide
	}
	if l.MaxScans <= 0 {
		l.MaxScans = DefaultMaxScans
	}
	return l
}

// Image is a decoded image.
type Image struct {
	image.Image
	ContentType string // one of JPEG, PNG, GIF, WebP
	grant       *budget.Grant
}

// Release gives the image's memory back to the Limits.Memory budget it was
// decoded under; the pixels must not be used after. Without a budget it
// does nothing.
func (img *Image) Release() {
	if img != nil {
		img.grant.Release()
	}
}

// Sniff returns the content type that data starts like, or "" if it is not
// one Decode supports.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return JPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return GIF
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

// Decode decodes an image from data under the limits. The type comes from
// the bytes, never from a file name. The header's declared size is checked
// before any pixel is decoded, so a small file that declares a huge image (a
// decompression bomb) is refused without allocating for it. A panic inside
// a decoder is recovered and reported as CodeCorrupt. EXIF orientation is
// not applied: PDQ hashes the pixels as stored, as the reference and HMA do.
func Decode(data []byte, lim Limits) (*Image, error) {
	return decode(data, bytes.NewReader(data), lim)
}

// DecodeReader reads at most lim.MaxBytes+1 bytes from r and decodes them as
// Decode does.
func DecodeReader(r io.Reader, lim Limits) (*Image, error) {
	data, err := readLimited(r, lim.withDefaults().MaxBytes)
	if err != nil {
		return nil, err
	}
	return Decode(data, lim)
}

// readLimited reads all of r, refusing more than max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	if int64(len(data)) > max {
		return nil, tooLarge(fmt.Sprintf("The file is larger than %s.", byteSize(max)))
	}
	return data, nil
}

// decode decodes data, reading its pixels through r, which must yield the
// same bytes (Analyze passes a reader that hashes them on the way).
func decode(data []byte, r io.Reader, lim Limits) (*Image, error) {
	lim = lim.withDefaults()
	ct, cfg, err := check(data, lim)
	if err != nil {
		return nil, err
	}
	grant, err := lim.Memory.take(ct, cfg, data)
	if err != nil {
		return nil, err
	}
	img, err := safely(func() (image.Image, error) {
		switch ct {
		case JPEG:
			return decodeJPEG(data, r)
		case PNG:
			return png.Decode(r)
		case GIF:
			return gif.Decode(r)
		}
		return webp.Decode(r)
	})
	if err == nil && img == nil {
		err = errors.New("decoder returned no image")
	}
	if err != nil {
		grant.Release()
		return nil, corrupt(err)
	}
	b := img.Bounds()
	if b.Empty() || int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels || b.Dx() > lim.MaxSide || b.Dy() > lim.MaxSide {
		grant.Release()
		return nil, corrupt(fmt.Errorf("decoded bounds %v disagree with the header", b))
	}
	return &Image{Image: img, ContentType: ct, grant: grant}, nil
}

// check sniffs the type and reads the header's declared size, refusing what
// is over the limits, before anything is decoded.
func check(data []byte, lim Limits) (string, image.Config, error) {
	if len(data) == 0 {
		return "", image.Config{}, safeguard.Invalid(CodeEmpty, "The file is empty.")
	}
	if int64(len(data)) > lim.MaxBytes {
		return "", image.Config{}, tooLarge(fmt.Sprintf("The file is larger than %s.", byteSize(lim.MaxBytes)))
	}
	ct := Sniff(data)
	if ct == "" {
		return "", image.Config{}, safeguard.Invalid(CodeUnsupported, "The file is not a supported image. Send a JPEG, PNG, GIF or WebP picture.")
	}
	cfg, err := safely(func() (image.Config, error) {
		r := bytes.NewReader(data)
		switch ct {
		case JPEG:
			return jpegConfig(data)
		case PNG:
			return png.DecodeConfig(r)
		case GIF:
			return gif.DecodeConfig(r)
		}
		return webp.DecodeConfig(r)
	})
	if err != nil {
		return "", image.Config{}, corrupt(err)
	}
	w, h := cfg.Width, cfg.Height
	switch {
	case w <= 0 || h <= 0:
		return "", image.Config{}, corrupt(fmt.Errorf("header declares %d×%d", w, h))
	case w > lim.MaxSide || h > lim.MaxSide:
		return "", image.Config{}, tooLarge(fmt.Sprintf("The image is %d×%d pixels; the largest side allowed is %d.", w, h, lim.MaxSide))
	case int64(w)*int64(h) > lim.MaxPixels:
		return "", image.Config{}, tooLarge(fmt.Sprintf("The image is %d×%d pixels; at most %s are allowed.", w, h, pixels(lim.MaxPixels)))
	}
	if ct == JPEG {
		if n := jpegScans(data); n > lim.MaxScans {
			return "", image.Config{}, tooLarge(fmt.Sprintf("The image has %d scans; at most %d are allowed.", n, lim.MaxScans))
		}
	}
	return ct, cfg, nil
}

// safely runs a decoder, turning a panic into an error.
func safely[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return f()
}

func corrupt(cause error) error {
	return &safeguard.Error{
		Kind:    safeguard.ErrInvalid,
		Code:    CodeCorrupt,
		Message: "The image could not be read: it is damaged or incomplete.",
		Err:     cause,
	}
}

func tooLarge(msg string) error {
	return safeguard.Invalid(CodeTooLarge, "%s", msg)
}

func pixels(n int64) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%d megapixels", n/1_000_000)
	}
	return fmt.Sprintf("%d pixels", n)
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
