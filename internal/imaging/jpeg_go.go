//go:build !turbojpeg || !cgo

package imaging

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
)

// JPEGDecoder names the JPEG decoder this build uses.
const JPEGDecoder = "image/jpeg"

func jpegConfig(data []byte) (image.Config, error) {
	return jpeg.DecodeConfig(bytes.NewReader(data))
}

// decodeJPEG decodes the JPEG whose bytes r yields (data holds the same
// bytes).
func decodeJPEG(data []byte, r io.Reader) (image.Image, error) {
	return jpeg.Decode(r)
}
