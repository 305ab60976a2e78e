// Package wire is the small binary encoding shared by the end-to-end
// encryption envelopes and message franking: big-endian integers and
// length-prefixed strings, decoded by a Reader whose first error sticks.
package wire

import (
	"encoding/binary"
	"fmt"
)

// AppendU32 appends v big-endian.
func AppendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// AppendU64 appends v big-endian.
func AppendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// AppendBytes appends v with a u32 length.
func AppendBytes(b, v []byte) []byte {
	b = AppendU32(b, uint32(len(v)))
	return append(b, v...)
}

// AppendShort appends a string of at most 255 bytes with a u8 length.
func AppendShort(b []byte, v string) []byte {
	b = append(b, byte(len(v)))
	return append(b, v...)
}

// Reader decodes an encoding. The first error sticks in Err; every read
// after it returns zero values, so decoders check Err once at the end.
type Reader struct {
	buf []byte
	off int
	Err error
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Fail records an error at the current offset, unless one is recorded.
func (r *Reader) Fail(format string, args ...any) {
	if r.Err == nil {
		r.Err = fmt.Errorf("at byte %d: %s", r.off, fmt.Sprintf(format, args...))
	}
}

// Take returns the next n bytes (not a copy), or nil.
func (r *Reader) Take(n int, what string) []byte {
	if r.Err != nil {
		return nil
	}
	if n < 0 || len(r.buf)-r.off < n {
		r.Fail("%s: need %d bytes, have %d", what, n, len(r.buf)-r.off)
		return nil
	}
	v := r.buf[r.off : r.off+n]
	r.off += n
	return v
}

// U8 reads a byte.
func (r *Reader) U8(what string) byte {
	if v := r.Take(1, what); v != nil {
		return v[0]
	}
	return 0
}

// U32 reads a big-endian uint32.
func (r *Reader) U32(what string) uint32 {
	if v := r.Take(4, what); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

// U64 reads a big-endian uint64.
func (r *Reader) U64(what string) uint64 {
	if v := r.Take(8, what); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Bytes reads a byte string with a u32 length of at most max bytes. The
// result is a copy, so callers may keep it; an empty string reads as nil.
func (r *Reader) Bytes(what string, max int) []byte {
	n := r.U32(what + " length")
	if r.Err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		r.Fail("%s: %d bytes, at most %d allowed", what, n, max)
		return nil
	}
	return append([]byte(nil), r.Take(int(n), what)...)
}

// Short reads a string with a u8 length.
func (r *Reader) Short(what string) string {
	n := int(r.U8(what + " length"))
	return string(r.Take(n, what))
}

// Fixed reads exactly len(dst) bytes into dst.
func (r *Reader) Fixed(dst []byte, what string) {
	copy(dst, r.Take(len(dst), what))
}

// End fails unless every byte was read.
func (r *Reader) End() {
	if r.Err == nil && r.off != len(r.buf) {
		r.Fail("%d trailing bytes", len(r.buf)-r.off)
	}
}
