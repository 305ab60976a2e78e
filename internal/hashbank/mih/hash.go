// Package mih is an exact radius search over 256-bit hashes (PDQ) by
// multi-index hashing (Norouzi, Punjani and Fleet, "Fast Exact Search in
// Hamming Space with Multi-Index Hashing", 2014).
//
// The 256 bits are split into m substrings. If two hashes are within Hamming
// distance r and substring i is searched within radius a_i, where
// Σ(a_i+1) = r+1, then by pigeonhole at least one substring i differs in at
// most a_i bits: were every substring i to differ in a_i+1 bits or more, the
// whole would differ in r+1 or more. Each substring has a table from its value
// (or the value of its top bits) to the rows holding it; a query enumerates
// every key within a_i of its own substring, collects the rows found and
// verifies each by full Hamming distance. The answer is exact: every hash
// within r is found, which tests check against brute force.
//
// Memory is compact: the hashes in one array (32 bytes each), one table per
// substring as CSR postings (uint32 row numbers grouped by key) behind a
// directly addressed offset array stored as uint16 deltas from a uint32 base
// every 64 keys. The hash array itself is sorted by the first substring, so
// the first table needs no postings at all: its rows are contiguous.
package mih

import (
	"encoding/binary"
	"math/bits"
)

// Bits is the length of a hash in bits.
const Bits = 256

// Hash is a 256-bit hash as four big-endian words: word 0 holds bytes 0–7,
// so bit 0 is the most significant bit of byte 0, as in the hex form.
type Hash [4]uint64

// FromBytes returns the hash whose bytes are b.
func FromBytes(b [32]byte) Hash {
	return Hash{
		binary.BigEndian.Uint64(b[0:8]),
		binary.BigEndian.Uint64(b[8:16]),
		binary.BigEndian.Uint64(b[16:24]),
		binary.BigEndian.Uint64(b[24:32]),
	}
}

// Bytes returns the 32 bytes of h.
func (h Hash) Bytes() [32]byte {
	var b [32]byte
	binary.BigEndian.PutUint64(b[0:8], h[0])
	binary.BigEndian.PutUint64(b[8:16], h[1])
	binary.BigEndian.PutUint64(b[16:24], h[2])
	binary.BigEndian.PutUint64(b[24:32], h[3])
	return b
}

// Distance returns the Hamming distance between a and b.
func Distance(a, b *Hash) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// extract returns the n ≤ 32 bits of h that start at bit offset off,
// as the low bits of the result.
func extract(h *Hash, off, n uint) uint32 {
	w := off >> 6
	s := off & 63
	v := h[w] << s
	if s+n > 64 && w < 3 {
		v |= h[w+1] >> (64 - s)
	}
	return uint32(v >> (64 - n))
}

// Hit is one hash found by a search: its row in the index and its distance
// from the query.
type Hit struct {
	Row  uint32
	Dist uint8
}

// BruteForce appends to dst every row of hashes within distance r of q, in
// row order. It is the reference the index is tested against and the
// baseline of the benchmark: a tight loop of XOR and popcount.
func BruteForce(hashes []Hash, q *Hash, r int, dst []Hit) []Hit {
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	for i := range hashes {
		h := &hashes[i]
		d := bits.OnesCount64(h[0]^q0) + bits.OnesCount64(h[1]^q1) +
			bits.OnesCount64(h[2]^q2) + bits.OnesCount64(h[3]^q3)
		if d <= r {
			dst = append(dst, Hit{Row: uint32(i), Dist: uint8(d)})
		}
	}
	return dst
}
