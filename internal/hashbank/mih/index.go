package mih

import (
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// blockSize is how many keys share one uint32 base offset; within a block
// each key's offset is a uint16 delta from the base.
const blockSize = 64

// table maps the key of one substring to the rows that have it.
type table struct {
	off, width, keyBits uint // substring position and size; top keyBits key the table
	base                []uint32
	rel                 []uint16 // compact offsets: start(k) = base[k/blockSize] + rel[k]
	wide                []uint32 // full offsets, when a block holds 65536 rows or more
	post                []byte   // rows grouped by key, rowBytes each, little-endian; nil for table 0, whose rows are contiguous
}

func (t *table) key(h *Hash) uint32 {
	return extract(h, t.off, t.keyBits)
}

// Index is an immutable multi-index over a set of hashes. It is safe for
// concurrent use by any number of readers.
type Index struct {
	params Params
	hashes []Hash
	tables []table
	// rowBytes is the size of a posting: 3 bytes while rows fit in 24 bits,
	// else 4. Postings are read as a 4-byte word masked with rowMask, so
	// post has 3 bytes of padding at its end.
	rowBytes int
	rowMask  uint32

	plans sync.Map // query radius → *queryPlan
}

// queryPlan is how a query of one radius searches: each table's radius (-1:
// not searched) and the XOR masks of its ball.
type queryPlan struct {
	radii []int
	masks [][]uint32
}

// Build indexes hashes with shape p (use Plan to choose one). The index
// keeps its own copy of the hashes in its own order; Order tells where each
// came from.
func Build(hashes []Hash, p Params) (*Index, []uint32, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if len(hashes) >= 1<<32-1 {
		return nil, nil, errTooMany
	}
	x := &Index{params: p, rowBytes: RowBytes(len(hashes)), rowMask: 1<<32 - 1}
	if x.rowBytes == 3 {
		x.rowMask = 1<<24 - 1
	}
	off := uint(0)
	x.tables = make([]table, len(p.Widths))
	for i, w := range p.Widths {
		x.tables[i] = table{off: off, width: uint(w), keyBits: uint(p.KeyBits[i])}
		off += uint(w)
	}
	n := len(hashes)

	// Table 0: sort the hashes by its key (a counting sort), so that its
	// postings are the rows themselves.
	t0 := &x.tables[0]
	keys := make([]uint32, n)
	for i := range hashes {
		keys[i] = t0.key(&hashes[i])
	}
	counts := countKeys(keys, t0.keyBits)
	order := make([]uint32, n)
	next := slices.Clone(counts)
	for i, k := range keys {
		order[next[k]] = uint32(i)
		next[k]++
	}
	x.hashes = make([]Hash, n)
	adviseHuge(unsafe.Pointer(unsafe.SliceData(x.hashes)), n*32)
	for i, o := range order {
		x.hashes[i] = hashes[o]
	}
	t0.setOffsets(counts)

	// The other tables are independent of each other: build them on as
	// many cores as the process may use.
	workers := min(runtime.GOMAXPROCS(0), len(x.tables)-1)
	var wg sync.WaitGroup
	todo := make(chan int, len(x.tables))
	for ti := 1; ti < len(x.tables); ti++ {
		todo <- ti
	}
	close(todo)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := keys
			if w > 0 {
				k = make([]uint32, n)
			}
			for ti := range todo {
				x.buildTable(&x.tables[ti], k)
			}
		}()
	}
	wg.Wait()
	return x, order, nil
}

// buildTable fills t's postings and offsets from the hashes, using keys as
// scratch space.
func (x *Index) buildTable(t *table, keys []uint32) {
	for i := range x.hashes {
		keys[i] = t.key(&x.hashes[i])
	}
	counts := countKeys(keys, t.keyBits)
	rb := x.rowBytes
	post := make([]byte, len(x.hashes)*rb+3)
	adviseHuge(unsafe.Pointer(unsafe.SliceData(post)), len(post))
	next := slices.Clone(counts)
	for i, k := range keys {
		j := int(next[k]) * rb
		post[j] = byte(i)
		post[j+1] = byte(i >> 8)
		post[j+2] = byte(i >> 16)
		if rb == 4 {
			post[j+3] = byte(i >> 24)
		}
		next[k]++
	}
	t.post = post
	t.setOffsets(counts)
}

// RowBytes is the size of one posting in an index of n hashes.
func RowBytes(n int) int {
	if n <= 1<<24 {
		return 3
	}
	return 4
}

type mihError string

func (e mihError) Error() string { return string(e) }

const errTooMany = mihError("mih: too many hashes for uint32 rows")

// countKeys returns, for every key, the number of rows before it: a prefix
// sum with one extra slot at the end holding n.
func countKeys(keys []uint32, keyBits uint) []uint32 {
	counts := make([]uint32, (1<<keyBits)+1)
	for _, k := range keys {
		counts[k+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	return counts
}

func (t *table) setOffsets(starts []uint32) {
	nb := (len(starts)-1)/blockSize + 1
	base := make([]uint32, nb+1)
	rel := make([]uint16, len(starts))
	adviseHuge(unsafe.Pointer(unsafe.SliceData(rel)), 2*len(rel))
	for k, s := range starts {
		b := k / blockSize
		if k%blockSize == 0 {
			base[b] = s
		}
		d := s - base[b]
		if d > 0xffff {
			t.wide = starts
			return
		}
		rel[k] = uint16(d)
	}
	t.base, t.rel = base, rel
}

// Len returns the number of hashes in the index.
func (x *Index) Len() int { return len(x.hashes) }

// Params returns the shape of the index.
func (x *Index) Params() Params { return x.params }

// Hash returns the hash at row i.
func (x *Index) Hash(i uint32) Hash { return x.hashes[i] }

// Hashes returns the hashes in row order. The caller must not modify them.
func (x *Index) Hashes() []Hash { return x.hashes }

// Bytes returns the memory the index holds, counted from the lengths of its
// arrays (not from the allocator).
func (x *Index) Bytes() int64 {
	b := int64(len(x.hashes)) * 32
	for i := range x.tables {
		t := &x.tables[i]
		b += int64(len(t.base))*4 + int64(len(t.rel))*2 + int64(len(t.wide))*4 + int64(len(t.post))
	}
	return b
}

// Radii returns the per-table search radius used for query radius r; -1
// means the table is not searched.
func (x *Index) Radii(r int) []int {
	return slices.Clone(x.plan(r).radii)
}

// plan returns how a query of radius r searches, computing it once.
func (x *Index) plan(r int) *queryPlan {
	if p, ok := x.plans.Load(r); ok {
		return p.(*queryPlan)
	}
	radii, _ := allocate(x.params.KeyBits, len(x.hashes), r)
	p := &queryPlan{radii: radii, masks: make([][]uint32, len(radii))}
	for i, a := range radii {
		if a >= 0 {
			p.masks[i] = ball(int(x.tables[i].keyBits), a)
		}
	}
	got, _ := x.plans.LoadOrStore(r, p)
	return got.(*queryPlan)
}

// ball returns every b-bit mask of weight at most a.
func ball(b, a int) []uint32 {
	a = min(a, b)
	out := []uint32{0}
	var rec func(start, left int, m uint32)
	rec = func(start, left int, m uint32) {
		for i := start; i < b; i++ {
			mm := m | 1<<uint(i)
			out = append(out, mm)
			if left > 1 {
				rec(i+1, left-1, mm)
			}
		}
	}
	if a > 0 {
		rec(0, a, 0)
	}
	return out
}
