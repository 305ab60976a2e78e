package mih

import (
	"fmt"
	"math"
)

// Params is the shape of an index: how the 256 bits are split into
// substrings and how many of each substring's top bits key its table.
type Params struct {
	// Widths are the substring widths in bits, in order from bit 0; they
	// sum to 256.
	Widths []int
	// KeyBits[i] ≤ min(Widths[i], MaxKeyBits) is how many of the top bits of
	// substring i key table i. Fewer key bits than the width keep the table
	// small; the search stays exact because a substring within a of the query
	// has its top bits within a too.
	KeyBits []int
}

// MaxKeyBits bounds a table key: a table has 2^KeyBits offsets.
const MaxKeyBits = 28

// Validate reports whether p describes a usable index.
func (p Params) Validate() error {
	if len(p.Widths) == 0 || len(p.Widths) != len(p.KeyBits) {
		return fmt.Errorf("mih: %d widths and %d key sizes", len(p.Widths), len(p.KeyBits))
	}
	sum := 0
	for i, w := range p.Widths {
		if w < 1 {
			return fmt.Errorf("mih: substring %d has width %d", i, w)
		}
		if k := p.KeyBits[i]; k < 1 || k > w || k > MaxKeyBits {
			return fmt.Errorf("mih: substring %d of width %d has %d key bits", i, w, k)
		}
		sum += w
	}
	if sum != Bits {
		return fmt.Errorf("mih: widths sum to %d, not %d", sum, Bits)
	}
	return nil
}

// String shows p compactly, e.g. "m=12 widths=22,22,…  keys=21,21,…".
func (p Params) String() string {
	return fmt.Sprintf("m=%d widths=%v keys=%v", len(p.Widths), p.Widths, p.KeyBits)
}

// Split returns m widths as equal as possible that sum to 256, wider first.
func Split(m int) []int {
	w := make([]int, m)
	for i := range w {
		w[i] = Bits / m
		if i < Bits%m {
			w[i]++
		}
	}
	return w
}

// Cost-model weights, in nanoseconds on the machine the figures in
// docs/hashbank.md come from: one table probe (an offset lookup, usually a
// cache miss) and one candidate (a posting read and a hash fetch, usually a
// cache miss, then four popcounts).
const (
	costProbe     = 1.0
	costCandidate = 1.3
	costPlan      = 40.0 // per substring searched: key extraction, loop set-up
)

// DefaultBudget is the memory the index may use per hash, in bytes,
// including the 32 bytes of the hash itself.
const DefaultBudget = 88

// Plan chooses the shape for n hashes searched within radius r that has the
// lowest modelled query cost within budget bytes per hash. The model counts,
// for random hashes, the probes (keys enumerated) and the expected candidates
// (rows in the probed buckets); the figures in docs/hashbank.md show how it
// fares on random and clustered data.
func Plan(n, r, budget int) Params {
	if r < 0 {
		r = 0
	}
	if n < 1 {
		n = 1
	}
	limit := float64(budget) * float64(n)
	if small := float64(1 << 20); limit < small {
		limit = small // a small index may spend a megabyte on its tables
	}
	var best Params
	bestCost := math.Inf(1)
	for m := 1; m <= min(r+1, 64); m++ {
		widths := Split(m)
		for kb := 4; kb <= MaxKeyBits; kb++ {
			keys := make([]int, m)
			for i, w := range widths {
				keys[i] = min(w, kb)
			}
			p := Params{Widths: widths, KeyBits: keys}
			if float64(p.Bytes(n)) > limit {
				continue
			}
			_, c := allocate(keys, n, r)
			if c < bestCost {
				best, bestCost = p, c
			}
			if kb >= widths[0] {
				break
			}
		}
	}
	if best.Widths == nil { // nothing fits: the smallest tables there are
		best = Params{Widths: []int{Bits}, KeyBits: []int{4}}
	}
	return best
}

// Bytes is the modelled memory of an index of n hashes with shape p: the
// hashes, the postings of every table but the first, and the offsets.
func (p Params) Bytes(n int) int64 {
	b := int64(n) * 32
	for i, k := range p.KeyBits {
		if i > 0 {
			b += int64(n)*int64(RowBytes(n)) + 3
		}
		b += offsetBytes(k)
	}
	return b
}

func offsetBytes(keyBits int) int64 {
	keys := int64(1) << keyBits
	return (keys+1)*2 + (keys/blockSize+1)*4
}

// allocate spreads the r+1 units of the pigeonhole over the tables (a table
// with u units is searched within radius u-1; u = 0 skips it), greedily
// adding each unit where it costs least, and returns the radii and the
// modelled cost.
func allocate(keyBits []int, n, r int) ([]int, float64) {
	units := make([]int, len(keyBits))
	cost := func(i, u int) float64 {
		if u == 0 {
			return 0
		}
		probes := ballSize(keyBits[i], u-1)
		return costPlan + probes*(costProbe+costCandidate*float64(n)/math.Exp2(float64(keyBits[i])))
	}
	for range r + 1 {
		bi, bd := -1, math.Inf(1)
		for i := range units {
			if units[i]-1 >= keyBits[i] {
				// Searching past the key width finds every row already;
				// another unit here buys nothing but is still correct.
				continue
			}
			if d := cost(i, units[i]+1) - cost(i, units[i]); d < bd {
				bi, bd = i, d
			}
		}
		if bi < 0 {
			bi = 0
		}
		units[bi]++
	}
	radii := make([]int, len(units))
	total := 0.0
	for i, u := range units {
		radii[i] = u - 1
		total += cost(i, u)
	}
	return radii, total
}

// ballSize is the number of b-bit keys within distance a of a key.
func ballSize(b, a int) float64 {
	s, c := 0.0, 1.0
	for j := 0; j <= a && j <= b; j++ {
		s += c
		c = c * float64(b-j) / float64(j+1)
	}
	return s
}
