package franking

import (
	"encoding/binary"
	"fmt"
)

// The canonical encodings are sequences of fixed-width big-endian integers and
// byte strings prefixed by their uint32 length, so that no two different
// values share an encoding.

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func appendBytes(b, v []byte) []byte {
	b = appendU32(b, uint32(len(v)))
	return append(b, v...)
}

// reader decodes a canonical encoding. The first error sticks; every read
// after it returns zero values, so decoders check err once at the end.
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
	v := r.take(1, what)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) u32(what string) uint32 {
	v := r.take(4, what)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

func (r *reader) u64(what string) uint64 {
	v := r.take(8, what)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// bytes reads a length-prefixed byte string of at most max bytes. The result
// is a copy, so callers may keep it.
func (r *reader) bytes(what string, max int) []byte {
	n := r.u32(what + " length")
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		r.fail("%s: %d bytes, at most %d allowed", what, n, max)
		return nil
	}
	v := r.take(int(n), what)
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}

// end fails unless every byte was consumed.
func (r *reader) end() {
	if r.err == nil && r.off != len(r.buf) {
		r.fail("%d trailing bytes", len(r.buf)-r.off)
	}
}
