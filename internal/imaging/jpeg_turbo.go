//go:build turbojpeg && cgo

package imaging

/*
#cgo LDFLAGS: -lturbojpeg
#include <turbojpeg.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"unsafe"
)

// JPEGDecoder names the JPEG decoder this build uses.
const JPEGDecoder = "libjpeg-turbo"

// jpegConfig reads a JPEG's size with libjpeg-turbo's header parser, so that
// every JPEG it can decode passes (Go's parser refuses, for one, arithmetic
// coding).
func jpegConfig(data []byte) (image.Config, error) {
	h := C.tjInitDecompress()
	if h == nil {
		return image.Config{}, errors.New("turbojpeg: cannot initialise")
	}
	defer C.tjDestroy(h)
	var w, ht, subsamp, cs C.int
	if C.tjDecompressHeader3(h, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), &w, &ht, &subsamp, &cs) != 0 {
		return image.Config{}, tjError(h)
	}
	return image.Config{Width: int(w), Height: int(ht)}, nil
}

// decodeJPEG decodes data with libjpeg-turbo, with the accurate (islow)
// inverse DCT and fancy upsampling, as ImageMagick and Pillow call libjpeg:
// RGB into an *image.NRGBA (alpha set opaque), greyscale into an
// *image.Gray. CMYK and YCCK JPEGs, which libjpeg-turbo will not turn into
// RGB, go to Go's decoder, reading r (which yields the same bytes as data).
// When libjpeg-turbo decodes with a warning (a truncated or slightly damaged
// file), Go's stricter decoder decides: if it fails too, the file is
// refused, so both builds refuse the same damaged files.
func decodeJPEG(data []byte, r io.Reader) (image.Image, error) {
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("turbojpeg: cannot initialise")
	}
	defer C.tjDestroy(h)
	src, size := (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data))
	var w, ht, subsamp, cs C.int
	if C.tjDecompressHeader3(h, src, size, &w, &ht, &subsamp, &cs) != 0 {
		return nil, tjError(h)
	}
	var (
		img    image.Image
		pix    []byte
		stride int
		format C.int
	)
	rect := image.Rect(0, 0, int(w), int(ht))
	switch cs {
	case C.TJCS_CMYK, C.TJCS_YCCK:
		return jpeg.Decode(r)
	case C.TJCS_GRAY:
		m := image.NewGray(rect)
		img, pix, stride, format = m, m.Pix, m.Stride, C.TJPF_GRAY
	default:
		m := image.NewNRGBA(rect)
		img, pix, stride, format = m, m.Pix, m.Stride, C.TJPF_RGBA
	}
	if C.tjDecompress2(h, src, size, (*C.uchar)(unsafe.Pointer(&pix[0])), w, C.int(stride), ht, format, C.TJFLAG_ACCURATEDCT) != 0 {
		err := tjError(h)
		if C.tjGetErrorCode(h) != C.TJERR_WARNING {
			return nil, err
		}
		if _, gerr := jpeg.Decode(r); gerr != nil {
			return nil, fmt.Errorf("%v; image/jpeg: %w", err, gerr)
		}
	}
	return img, nil
}

func tjError(h C.tjhandle) error {
	return fmt.Errorf("turbojpeg: %s", C.GoString(C.tjGetErrorStr2(h)))
}
