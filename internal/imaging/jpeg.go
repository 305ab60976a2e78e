package imaging

import "bytes"

// jpegScans counts the scans (SOS markers) of a JPEG by walking its marker
// segments, without decoding: the bytes inside other segments (an EXIF
// thumbnail, say) are skipped by their length, and entropy-coded data is
// walked past its stuffed bytes and restart markers. It stops at EOI.
func jpegScans(data []byte) int {
	n := 0
	i := 2 // after SOI
	for i+1 < len(data) {
		if data[i] != 0xff { // entropy-coded data: jump to the next 0xFF
			j := bytes.IndexByte(data[i:], 0xff)
			if j < 0 {
				return n
			}
			i += j
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xff: // fill byte
			i++
			continue
		case m == 0x00, m == 0x01, 0xd0 <= m && m <= 0xd7: // stuffed zero, TEM, RSTn
			i += 2
			continue
		case m == 0xd9: // EOI
			return n
		}
		if i+3 >= len(data) {
			return n
		}
		if m == 0xda {
			n++
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	return n
}
