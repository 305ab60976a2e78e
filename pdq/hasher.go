package pdq

import (
	"fmt"
	"image"
	"sync"
)

// Pipeline says what the hash is computed from.
type Pipeline uint8

const (
	// Full hashes the decoded image at full resolution. It is what the
	// reference library call, the Java reference and python-threatexchange
	// (and so HMA) compute, and the default.
	Full Pipeline = iota
	// CLI first resamples an image with a side over 512 to exactly 512×512
	// by nearest neighbour (aspect ratio not kept), as the reference's
	// command-line tool pdq-photo-hasher does.
	CLI
)

// CLISize is the side the CLI pipeline resamples large images to.
const CLISize = 512

// String returns "full" or "cli".
func (p Pipeline) String() string {
	switch p {
	case Full:
		return "full"
	case CLI:
		return "cli"
	}
	return fmt.Sprintf("Pipeline(%d)", uint8(p))
}

// ParsePipeline parses "full" or "cli".
func ParsePipeline(s string) (Pipeline, error) {
	switch s {
	case "full":
		return Full, nil
	case "cli":
		return CLI, nil
	}
	return 0, fmt.Errorf("pdq: unknown pipeline %q (want full or cli)", s)
}

// Options choose how an image is hashed. The zero value is the Full
// pipeline with the reference's grey handling.
type Options struct {
	Pipeline Pipeline
	// GreyAsRGB hashes *image.Gray images through the RGB luma formula with
	// R=G=B, as python-threatexchange does (it copies a grey image into three
	// channels). By default a grey image is hashed by its grey value, as the
	// C++ reference does. The two differ by rounding, rarely by more than a
	// bit or two.
	GreyAsRGB bool
}

// MinQuality is the lowest quality at which a hash is fit to match against:
// upstream discards hashes of quality below 50. HashImage still returns such
// hashes; the caller decides what to do with them.
const MinQuality = 50

// Result is a hash and its quality, 0…100: a measure of how much gradient
// (detail) the image has. Flat images score low, and their hashes are
// unstable.
type Result struct {
	Hash    Hash
	Quality int
}

// Matchable reports whether the quality is at least MinQuality.
func (r Result) Matchable() bool { return r.Quality >= MinQuality }

// DihedralResult holds the hashes of the eight rotations and flips of an
// image, indexed by Transform, and their common quality.
type DihedralResult struct {
	Hashes  [8]Hash
	Quality int
}

// Matchable reports whether the quality is at least MinQuality.
func (r DihedralResult) Matchable() bool { return r.Quality >= MinQuality }

// minSide is the smallest side the reference hashes; smaller images get the
// zero hash and quality 0.
const minSide = 5

// Hasher holds the scratch memory of hashing, so that hashing many images
// in turn makes no garbage. The zero value is ready to use. A Hasher must not
// be used by two goroutines at once; the package-level functions take one
// from a pool.
type Hasher struct {
	src    rowSource
	xs, ys []int
	luma   [ahead][]float32 // luma rows
	out1   [ahead][]float32 // output rows of the first column pass
	sums   [ahead][]float32 // running sums of the second row pass
	nout   int              // rows waiting in out1
	pass1  colStream        // first column pass, all columns
	pass2  colStream        // second column pass, the 64 sampled columns
	cols   [64]int
	colDiv [64]float32
	rows   [64]int
	next   int // next sampled row to fill in block
	block  [64 * 64]float32
	t      [16 * 64]float32
	dct    [16 * 16]float32
	aux    [16 * 16]float32
}

var hashers = sync.Pool{New: func() any { return new(Hasher) }}

// HashImage returns the PDQ hash and quality of img. See Hasher.HashImage.
func HashImage(img image.Image, opts Options) Result {
	h := hashers.Get().(*Hasher)
	defer hashers.Put(h)
	return h.HashImage(img, opts)
}

// Dihedral returns the hashes of the eight rotations and flips of img. See
// Hasher.Dihedral.
func Dihedral(img image.Image, opts Options) DihedralResult {
	h := hashers.Get().(*Hasher)
	defer hashers.Put(h)
	return h.Dihedral(img, opts)
}

// HashImage returns the PDQ hash and quality of img's pixels within its
// bounds. Colour is turned into luma as color.NRGBAModel would give it:
// non-premultiplied, alpha ignored (a transparent pixel counts as its
// colour, as in the reference, which never reads alpha). *image.Gray is
// hashed by its grey value (see Options.GreyAsRGB). Nothing here reads EXIF
// orientation: the pixels are hashed as stored, as the reference and HMA do,
// so that hashes agree with theirs. An image with a side under 5 pixels
// gets the zero hash and quality 0.
func (h *Hasher) HashImage(img image.Image, opts Options) Result {
	h.src.setImage(img, opts.GreyAsRGB)
	defer h.src.drop()
	b := img.Bounds()
	h.setSize(b.Dx(), b.Dy(), opts.Pipeline)
	return h.hash()
}

// Dihedral is HashImage for all eight rotations and flips at once, from one
// DCT, as the reference's dihedral call computes them. Its Original hash can
// differ from HashImage's for a 64×64 image: the reference's single hash
// skips the filter at exactly that size, its dihedral call does not.
func (h *Hasher) Dihedral(img image.Image, opts Options) DihedralResult {
	h.src.setImage(img, opts.GreyAsRGB)
	defer h.src.drop()
	b := img.Bounds()
	h.setSize(b.Dx(), b.Dy(), opts.Pipeline)
	return h.dihedral()
}

// HashLuma hashes a luma buffer: width×height float32 values, row-major,
// such as Luma gives for each pixel. luma is not modified. Values must be
// finite; image luma lies in 0…255. Only opts.Pipeline is used.
func (h *Hasher) HashLuma(luma []float32, width, height int, opts Options) Result {
	h.setLuma(luma, width, height)
	defer h.src.drop()
	h.setSize(width, height, opts.Pipeline)
	return h.hash()
}

// DihedralLuma is Dihedral for a luma buffer, as in HashLuma.
func (h *Hasher) DihedralLuma(luma []float32, width, height int, opts Options) DihedralResult {
	h.setLuma(luma, width, height)
	defer h.src.drop()
	h.setSize(width, height, opts.Pipeline)
	return h.dihedral()
}

func (h *Hasher) setLuma(luma []float32, width, height int) {
	if width < 0 || height < 0 || (height > 0 && width > len(luma)/height) {
		panic(fmt.Sprintf("pdq: luma buffer of %d values for a %d×%d image", len(luma), width, height))
	}
	h.src.drop()
	h.src.luma, h.src.lumaW = luma, width
}

// setSize sets what is hashed: the whole w×h source, or for the CLI
// pipeline its 512×512 nearest-neighbour resample when a side exceeds 512.
// Source index of output x is floor(x·w/512), as CImg's resize computes it.
func (h *Hasher) setSize(w, height int, p Pipeline) {
	h.src.w, h.src.h = w, height
	if p != CLI || (w <= CLISize && height <= CLISize) {
		return
	}
	h.xs, h.ys = growInts(h.xs, CLISize), growInts(h.ys, CLISize)
	for i := range CLISize {
		h.xs[i] = i * w / CLISize
		h.ys[i] = i * height / CLISize
	}
	h.src.xs, h.src.ys = h.xs, h.ys
	h.src.w, h.src.h = CLISize, CLISize
}

func (h *Hasher) hash() Result {
	w, ht := h.src.w, h.src.h
	if w < minSide || ht < minSide {
		return Result{}
	}
	if w == 64 && ht == 64 {
		// The reference takes a 64×64 input as the downsample itself.
		h.luma[0] = grow(h.luma[0], 64)
		for y := range 64 {
			copy(h.block[y*64:y*64+64], h.src.row(y, h.luma[0]))
		}
	} else {
		h.downsample()
	}
	q := quality(&h.block)
	dct64To16(&h.block, &h.t, &h.dct)
	return Result{Hash: bitsFromDCT(&h.dct), Quality: q}
}

func (h *Hasher) dihedral() DihedralResult {
	if h.src.w < minSide || h.src.h < minSide {
		return DihedralResult{}
	}
	h.downsample()
	r := DihedralResult{Quality: quality(&h.block)}
	dct64To16(&h.block, &h.t, &h.dct)
	for tr := range r.Hashes {
		dihedral(Transform(tr), &h.dct, &h.aux)
		r.Hashes[tr] = bitsFromDCT(&h.aux)
	}
	return r
}

// downsample runs the tent filter over the source and keeps the 64×64
// samples in h.block. See filter.go.
func (h *Hasher) downsample() {
	w, ht := h.src.w, h.src.h
	wr, wc := windowSize(w), windowSize(ht)
	for i := range 64 {
		h.cols[i] = sampleIndex(i, w)
		h.colDiv[i] = boxDivisor(h.cols[i], w, wr)
		h.rows[i] = sampleIndex(i, ht)
	}
	h.next, h.nout = 0, 0
	for i := range ahead {
		h.luma[i] = grow(h.luma[i], w)
		h.out1[i] = grow(h.out1[i], w)
		h.sums[i] = grow(h.sums[i], w)
	}
	h.pass1.reset(wc, ht, w)
	h.pass2.reset(wc, ht, 64)
	var in, out [ahead][]float32
	for y := 0; y < ht; y += ahead {
		k := min(ahead, ht-y)
		for i := range ahead {
			if i < k {
				in[i] = h.src.row(y+i, h.luma[i])
				out[i] = h.pass1.slot(i)
			} else {
				in[i], out[i] = in[0], out[0]
			}
		}
		boxRow4(&in, &out, wr)
		for range k {
			if _, ok := h.pass1.push(); ok {
				h.collect()
			}
		}
	}
	for _, ok := h.pass1.next(); ok; _, ok = h.pass1.next() {
		h.collect()
	}
	h.secondPass()
	for o, ok := h.pass2.next(); ok; o, ok = h.pass2.next() {
		h.keep(o)
	}
}

// collect takes the output row the first column pass just announced; each
// four go on together to the second pass.
func (h *Hasher) collect() {
	h.pass1.output(h.out1[h.nout])
	h.nout++
	if h.nout == ahead {
		h.secondPass()
	}
}

// secondPass takes the collected output rows of the first column pass (in
// order) through the second row pass, divided at the sampled columns only,
// and into the second column pass.
func (h *Hasher) secondPass() {
	if h.nout == 0 {
		return
	}
	in := h.out1
	for i := h.nout; i < ahead; i++ {
		in[i] = in[0]
	}
	boxRowSums4(&in, &h.sums, windowSize(h.src.w))
	for r := range h.nout {
		sums := h.sums[r]
		row := h.pass2.slot(0)[:64]
		for i, c := range h.cols {
			row[i] = sums[c] / h.colDiv[i]
		}
		if o, ok := h.pass2.push(); ok {
			h.keep(o)
		}
	}
	h.nout = 0
}

// keep copies output row o of the second column pass into the block rows
// that sample it (several when the image is under 64 rows high).
func (h *Hasher) keep(o int) {
	if h.next >= 64 || h.rows[h.next] != o {
		return
	}
	first := h.next
	h.pass2.output(h.block[first*64 : first*64+64])
	for h.next++; h.next < 64 && h.rows[h.next] == o; h.next++ {
		copy(h.block[h.next*64:h.next*64+64], h.block[first*64:first*64+64])
	}
}

func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}
