package mih

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"
)

// scratch is per-query working memory, pooled so that a search does not
// allocate.
type scratch struct {
	starts, ends []uint32
	cands        []uint32
	sink         uint64 // what the touch loops read, kept so they are not optimised away
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Search appends to dst every row whose hash is within distance r of q, each
// row once, sorted by distance and then row, and returns the extended slice.
// A negative r finds nothing.
//
// Each table is searched in three passes — look up the bounds of every key
// of the ball, gather the rows of those buckets, verify the rows — so that
// the memory loads of one pass do not wait on each other. Before each pass a
// loop that does nothing but load touches the addresses it will read: so
// small a loop keeps many more cache misses in flight than the pass itself,
// which made the search 1.5–2× faster (docs/hashbank.md).
func (x *Index) Search(q *Hash, r int, dst []Hit) []Hit {
	if r < 0 || len(x.hashes) == 0 {
		return dst
	}
	r = min(r, Bits)
	p := x.plan(r)
	sc := scratchPool.Get().(*scratch)
	start := len(dst)
	hashes := x.hashes
	for ti := range x.tables {
		if p.radii[ti] < 0 {
			continue
		}
		t := &x.tables[ti]
		masks := p.masks[ti]
		qk := t.key(q)
		sc.starts = slices.Grow(sc.starts[:0], len(masks))[:len(masks)]
		sc.ends = slices.Grow(sc.ends[:0], len(masks))[:len(masks)]
		starts, ends := sc.starts, sc.ends
		if t.wide != nil {
			for i, m := range masks {
				k := qk ^ m
				starts[i], ends[i] = t.wide[k], t.wide[k+1]
			}
		} else {
			base, rel := t.base, t.rel
			var sink uint16
			for _, m := range masks {
				sink += rel[qk^m]
			}
			sc.sink += uint64(sink)
			for i, m := range masks {
				k := qk ^ m
				starts[i] = base[k/blockSize] + uint32(rel[k])
				ends[i] = base[(k+1)/blockSize] + uint32(rel[k+1])
			}
		}
		cands := sc.cands[:0]
		if t.post == nil {
			for i, s := range starts {
				for j := s; j < ends[i]; j++ {
					cands = append(cands, j)
				}
			}
		} else {
			post, rb, mask := t.post, uint32(x.rowBytes), x.rowMask
			var sink byte
			for _, s := range starts {
				sink += post[s*rb]
			}
			sc.sink += uint64(sink)
			for i, s := range starts {
				for j := s * rb; j < ends[i]*rb; j += rb {
					cands = append(cands, binary.LittleEndian.Uint32(post[j:j+4])&mask)
				}
			}
		}
		sc.cands = cands
		var sink uint64
		for _, row := range cands {
			sink += hashes[row][0]
		}
		sc.sink += sink
		q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
		for _, row := range cands {
			h := &hashes[row]
			d := bits.OnesCount64(h[0]^q0) + bits.OnesCount64(h[1]^q1) +
				bits.OnesCount64(h[2]^q2) + bits.OnesCount64(h[3]^q3)
			if d <= r && !x.foundEarlier(p, ti, h, q) {
				dst = append(dst, Hit{Row: row, Dist: uint8(d)})
			}
		}
	}
	scratchPool.Put(sc)
	slices.SortFunc(dst[start:], func(a, b Hit) int {
		if c := cmp.Compare(a.Dist, b.Dist); c != 0 {
			return c
		}
		return cmp.Compare(a.Row, b.Row)
	})
	return dst
}

// foundEarlier reports whether a table searched before table ti also finds
// h, so that each row is reported once without a set of rows seen.
func (x *Index) foundEarlier(p *queryPlan, ti int, h, q *Hash) bool {
	for tj := range ti {
		a := p.radii[tj]
		if a < 0 {
			continue
		}
		t := &x.tables[tj]
		if bits.OnesCount32(t.key(h)^t.key(q)) <= a {
			return true
		}
	}
	return false
}
