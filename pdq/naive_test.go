package pdq

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveHash is the reference algorithm written the plain way, with whole-image
// buffers and the reference's loop structure: box filters with a stride,
// four full passes, decimation, quality, the DCT as two triple loops. The
// streaming Hasher must agree with it bit for bit.
func naiveHash(luma []float32, w, h int, dihedralCall bool) (block [64 * 64]float32, dct [256]float32, q int, ok bool) {
	if w < 5 || h < 5 {
		return block, dct, 0, false
	}
	if w == 64 && h == 64 && !dihedralCall {
		copy(block[:], luma)
	} else {
		b1 := append([]float32(nil), luma[:w*h]...)
		b2 := make([]float32, w*h)
		wr, wc := (w+127)/128, (h+127)/128
		for range 2 {
			for i := range h {
				naiveBox1D(b1[i*w:], b2[i*w:], w, 1, wr)
			}
			for j := range w {
				naiveBox1D(b2[j:], b1[j:], h, w, wc)
			}
		}
		for oi := range 64 {
			ii := int((float64(oi) + 0.5) * float64(h) / 64)
			for oj := range 64 {
				ij := int((float64(oj) + 0.5) * float64(w) / 64)
				block[oi*64+oj] = b1[ii*w+ij]
			}
		}
	}
	sum := 0
	abs := func(d int) int { return max(d, -d) }
	for i := range 63 {
		for j := range 64 {
			sum += abs(int(float32(float32(block[i*64+j]-block[(i+1)*64+j])*100) / 255))
		}
	}
	for i := range 64 {
		for j := range 63 {
			sum += abs(int(float32(float32(block[i*64+j]-block[i*64+j+1])*100) / 255))
		}
	}
	q = min(sum/90, 100)
	var t [16 * 64]float32
	for i := range 16 {
		for j := range 64 {
			var s float32
			for k := range 64 {
				s += float32(dctMatrix[i*64+k] * block[k*64+j])
			}
			t[i*64+j] = s
		}
	}
	for i := range 16 {
		for j := range 16 {
			var s float32
			for k := range 64 {
				s += float32(t[i*64+k] * dctMatrix[j*64+k])
			}
			dct[i*16+j] = s
		}
	}
	return block, dct, q, true
}

// naiveBox1D is the reference's box1DFloat, four phases, with a stride.
func naiveBox1D(in, out []float32, n, stride, window int) {
	half := (window + 2) / 2
	p1, p2, p3, p4 := half-1, window-half+1, n-window, half-1
	li, ri, oi := 0, 0, 0
	var sum float32
	cw := 0
	for range p1 {
		sum += in[ri]
		cw++
		ri += stride
	}
	for range p2 {
		sum += in[ri]
		cw++
		out[oi] = sum / float32(cw)
		ri += stride
		oi += stride
	}
	for range p3 {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / float32(cw)
		li += stride
		ri += stride
		oi += stride
	}
	for range p4 {
		sum -= in[li]
		cw--
		out[oi] = sum / float32(cw)
		li += stride
		oi += stride
	}
}

// naiveMedianBits sets bits above the median found by sorting.
func naiveMedianBits(b [256]float32) Hash {
	s := append([]float32(nil), b[:]...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	median := s[127]
	var h Hash
	for k, v := range b {
		if v > median {
			h.SetBit(k)
		}
	}
	return h
}

func randomLuma(r *rand.Rand, w, h int) []float32 {
	l := make([]float32, w*h)
	for i := range l {
		l[i] = Luma(uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)))
	}
	return l
}

// TestHasherMatchesNaive compares the streaming filter with the plain one on
// sizes around every boundary the phases and windows have: tiny images,
// window 1 and 2, exactly 64, just over 128 and 256, tall and wide strips.
func TestHasherMatchesNaive(t *testing.T) {
	sizes := [][2]int{
		{4, 100}, {100, 4}, {5, 5}, {5, 300}, {300, 5}, {7, 9}, {34, 42},
		{63, 65}, {64, 64}, {65, 64}, {127, 128}, {128, 129}, {129, 257},
		{255, 256}, {257, 383}, {640, 480}, {1000, 13}, {384, 1031},
	}
	r := rand.New(rand.NewPCG(1, 2))
	var hs Hasher
	for _, sz := range sizes {
		w, h := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			luma := randomLuma(r, w, h)
			keep := append([]float32(nil), luma...)
			block, dct, q, ok := naiveHash(luma, w, h, false)
			want := Result{Quality: q}
			if ok {
				want.Hash = naiveMedianBits(dct)
			}
			if got := hs.HashLuma(luma, w, h, Options{}); got != want {
				t.Errorf("HashLuma %v %d, naive %v %d", got.Hash, got.Quality, want.Hash, want.Quality)
			}
			// The floats themselves must be identical, not just the bits
			// they round to.
			if ok && (hs.block != block || hs.dct != dct) {
				t.Errorf("HashLuma: downsample or DCT differs from the naive one")
			}
			block, dct, q, ok = naiveHash(luma, w, h, true)
			got := hs.DihedralLuma(luma, w, h, Options{})
			if ok && (hs.block != block || hs.dct != dct) {
				t.Errorf("DihedralLuma: downsample or DCT differs from the naive one")
			}
			if got.Quality != q {
				t.Errorf("dihedral quality %d, naive %d", got.Quality, q)
			}
			for tr := range Transform(8) {
				var want Hash
				if ok {
					var aux [256]float32
					dihedral(tr, &dct, &aux)
					want = naiveMedianBits(aux)
				}
				if got.Hashes[tr] != want {
					t.Errorf("%v: %v, naive %v", tr, got.Hashes[tr], want)
				}
			}
			for i := range luma {
				if luma[i] != keep[i] {
					t.Fatalf("HashLuma changed its input at %d", i)
				}
			}
		})
	}
}

// TestCLIResample checks that the CLI pipeline hashes exactly the
// nearest-neighbour resample, floor(x·W/512), of a large image, and leaves
// an image with no side over 512 alone.
func TestCLIResample(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var hs Hasher
	for _, sz := range [][2]int{{1600, 1004}, {513, 200}, {300, 700}, {512, 512}, {100, 512}} {
		w, h := sz[0], sz[1]
		luma := randomLuma(r, w, h)
		rw, rh, res := w, h, luma
		if w > 512 || h > 512 {
			rw, rh = 512, 512
			res = make([]float32, 512*512)
			for y := range 512 {
				for x := range 512 {
					res[y*512+x] = luma[(y*h/512)*w+x*w/512]
				}
			}
		}
		got := hs.HashLuma(luma, w, h, Options{Pipeline: CLI})
		want := hs.HashLuma(res, rw, rh, Options{})
		if got != want {
			t.Errorf("%dx%d: cli %v, resampled %v", w, h, got.Hash, want.Hash)
		}
		gotD := hs.DihedralLuma(luma, w, h, Options{Pipeline: CLI})
		wantD := hs.DihedralLuma(res, rw, rh, Options{})
		if gotD != wantD {
			t.Errorf("%dx%d: cli dihedral differs from the resample's", w, h)
		}
	}
}

func TestTorbenIsLowerMedian(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 300 {
		var b [256]float32
		for i := range b {
			switch n % 3 {
			case 0:
				b[i] = r.Float32()*2e38 - 1e38 // huge values must not stall it
			case 1:
				b[i] = float32(r.IntN(5)) // many ties
			default:
				b[i] = float32(r.NormFloat64())
			}
		}
		if got, want := bitsFromDCT(&b), naiveMedianBits(b); got != want {
			t.Fatalf("case %d: %v, want %v", n, got, want)
		}
	}
}
