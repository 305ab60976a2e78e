package pdq

import "math"

// Floating-point note. Every float32 product below is wrapped in an explicit
// float32 conversion. The Go specification lets a compiler fuse x*y+z into
// one fused multiply-add, which rounds once instead of twice; an explicit
// conversion forbids that. The reference, built for baseline x86-64, rounds
// every product, and bit-exact hashes need the same.

// dctMatrix is the reference's 16×64 DCT-II matrix, row-major: row i is the
// basis vector of frequency i+1 (the DC row is left out), scaled by √(2/64).
// The scale is rounded to float32 first and the product is computed in
// float64, then rounded, as the reference's initialiser does.
var dctMatrix = func() (d [16 * 64]float32) {
	scale := float32(math.Sqrt(2.0 / 64.0))
	for i := range 16 {
		for j := range 64 {
			d[i*64+j] = float32(float64(scale) * math.Cos(math.Pi/2.0/64.0*float64(i+1)*float64(2*j+1)))
		}
	}
	return d
}()

// dct64To16 computes the 16×16 block of DCT coefficients (1…16)×(1…16) of
// the 64×64 block a: b = D·a·Dᵀ, first t = D·a, then b = t·Dᵀ. Each sum runs
// over k in increasing order from 0.0, as in the reference, so the float32
// roundings are the same; the loops are ordered for the cache, which does
// not change any single sum's order.
func dct64To16(a *[64 * 64]float32, t *[16 * 64]float32, b *[16 * 16]float32) {
	for i := range 16 {
		ti := t[i*64 : i*64+64 : i*64+64]
		clear(ti)
		di := dctMatrix[i*64 : i*64+64 : i*64+64]
		for k := range 64 {
			d := di[k]
			ak := a[k*64 : k*64+64 : k*64+64]
			for j := range ti {
				ti[j] += float32(d * ak[j])
			}
		}
	}
	for i := range 16 {
		ti := t[i*64 : i*64+64 : i*64+64]
		for j := range 16 {
			dj := dctMatrix[j*64 : j*64+64 : j*64+64]
			var sum float32
			for k := range 64 {
				sum += float32(ti[k] * dj[k])
			}
			b[i*16+j] = sum
		}
	}
}

// Transform names one of the eight symmetries of the square (the dihedral
// group) that Dihedral hashes: the hash an image would have after that
// rotation or flip, computed from the original's DCT.
type Transform int

// The eight transforms, in the reference's order.
const (
	Original   Transform = iota // the image as it is
	Rotate90                    // rotated 90° (the reference's rot90)
	Rotate180                   // rotated 180°
	Rotate270                   // rotated 270°
	FlipX                       // mirrored top to bottom (about the horizontal axis)
	FlipY                       // mirrored left to right (about the vertical axis)
	FlipPlus1                   // flipped about the main diagonal (transposed)
	FlipMinus1                  // flipped about the anti-diagonal
)

var transformNames = [8]string{"orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"}

// String returns the reference's short name: orig, rot90, rot180, rot270,
// flipx, flipy, flipp, flipm.
func (t Transform) String() string {
	if t < 0 || int(t) >= len(transformNames) {
		return "Transform(invalid)"
	}
	return transformNames[t]
}

// dihedral writes into out the coefficients that transform tr gives the DCT
// block b. A flip of the image negates the odd-frequency basis functions
// along its axis; a transposition swaps rows and columns. The sign rules are
// the reference's, with i the row (vertical) and j the column index.
func dihedral(tr Transform, b, out *[16 * 16]float32) {
	for i := range 16 {
		for j := range 16 {
			v := b[i*16+j]
			switch tr {
			case Original:
				out[i*16+j] = v
			case Rotate90:
				out[j*16+i] = sign(j&1 == 1, v)
			case Rotate180:
				out[i*16+j] = sign((i+j)&1 == 0, v)
			case Rotate270:
				out[j*16+i] = sign(i&1 == 1, v)
			case FlipX:
				out[i*16+j] = sign(i&1 == 1, v)
			case FlipY:
				out[i*16+j] = sign(j&1 == 1, v)
			case FlipPlus1:
				out[j*16+i] = v
			case FlipMinus1:
				out[j*16+i] = sign((i+j)&1 == 0, v)
			}
		}
	}
}

func sign(keep bool, v float32) float32 {
	if keep {
		return v
	}
	return -v
}

// bitsFromDCT sets bit i*16+j of the hash when coefficient (i, j) is above
// the median of all 256.
func bitsFromDCT(b *[16 * 16]float32) Hash {
	median := torben(b[:])
	var h Hash
	for k, v := range b {
		if v > median {
			h.SetBit(k)
		}
	}
	return h
}

// torben returns the median of m without reordering it (Torben Mogensen's
// algorithm, as the reference uses it). For an even count it returns the
// lower of the two middle values, which the hash relies on. The result is
// always an element of m, the exact lower median, whatever the guesses on the
// way; the guess is lo/2+hi/2 rather than the reference's (lo+hi)/2 so that
// huge values cannot overflow to infinity and stall the search.
func torben(m []float32) float32 {
	n := len(m)
	lo, hi := m[0], m[0]
	for _, v := range m[1:] {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	half := (n + 1) / 2
	var less, greater, equal int
	var guess, maxLT, minGT float32
	for {
		guess = lo/2 + hi/2
		less, greater, equal = 0, 0, 0
		maxLT, minGT = lo, hi
		for _, v := range m {
			switch {
			case v < guess:
				less++
				if v > maxLT {
					maxLT = v
				}
			case v > guess:
				greater++
				if v < minGT {
					minGT = v
				}
			default:
				equal++
			}
		}
		if less <= half && greater <= half {
			break
		}
		if less > greater {
			hi = maxLT
		} else {
			lo = minGT
		}
	}
	switch {
	case less >= half:
		return maxLT
	case less+equal >= half:
		return guess
	}
	return minGT
}
