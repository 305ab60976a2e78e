package e2ee

import (
	"encoding/binary"
	"fmt"
)

// The binary encodings here are sequences of fixed-width big-endian integers,
// fixed-size keys and length-prefixed byte strings.

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// appendShort appends a byte string of at most 255 bytes with a u8 length.
func appendShort(b []byte, v string) []byte {
	b = append(b, byte(len(v)))
	return append(b, v...)
}

// appendLong appends a byte string with a u32 length.
func appendLong(b, v []byte) []byte {
	b = appendU32(b, uint32(len(v)))
	return append(b, v...)
}

// reader decodes a binary encoding. The first error sticks; reads after it
// return zero values, so decoders check err once.
type reader struct {
	buf []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at byte %d: %s", r.off, fmt.Sprintf(format, args...))
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.buf)-r.off < n {
		r.fail("%s: need %d bytes, have %d", what, n, len(r.buf)-r.off)
		return nil
	}
	v := r.buf[r.off : r.off+n]
	r.off += n
	return v
}

func (r *reader) u8(what string) byte {
	if v := r.take(1, what); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if v := r.take(4, what); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64(what string) uint64 {
	if v := r.take(8, what); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (r *reader) short(what string) string {
	n := int(r.u8(what + " length"))
	return string(r.take(n, what))
}

func (r *reader) long(what string, max int) []byte {
	n := r.u32(what + " length")
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		r.fail("%s: %d bytes, at most %d allowed", what, n, max)
		return nil
	}
	return append([]byte(nil), r.take(int(n), what)...)
}

func (r *reader) fixed(dst []byte, what string) {
	copy(dst, r.take(len(dst), what))
}

func (r *reader) end() {
	if r.err == nil && r.off != len(r.buf) {
		r.fail("%d trailing bytes", len(r.buf)-r.off)
	}
}
