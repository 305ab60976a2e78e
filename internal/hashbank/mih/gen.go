package mih

import "math/rand/v2"

// Random returns n uniformly random hashes from rng.
func Random(rng *rand.Rand, n int) []Hash {
	hs := make([]Hash, n)
	for i := range hs {
		hs[i] = Hash{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
	}
	return hs
}

// Flip returns h with d distinct random bits flipped, so that its distance
// from h is exactly d (0 ≤ d ≤ 256).
func Flip(rng *rand.Rand, h Hash, d int) Hash {
	for _, b := range rng.Perm(Bits)[:d] {
		h[b/64] ^= 1 << (63 - uint(b%64))
	}
	return h
}

// Clustered returns n hashes in families of near-duplicates, the hard case
// for multi-index hashing: random centres, each with a family of members at
// distances drawn from [lo, hi] from it. Family sizes are drawn from 1 to
// 2·mean-1.
func Clustered(rng *rand.Rand, n, mean, lo, hi int) []Hash {
	hs := make([]Hash, 0, n)
	for len(hs) < n {
		c := Hash{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
		size := 1 + rng.IntN(2*mean-1)
		for range min(size, n-len(hs)) {
			hs = append(hs, Flip(rng, c, lo+rng.IntN(hi-lo+1)))
		}
	}
	return hs
}
