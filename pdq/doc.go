// Package pdq computes PDQ, Meta's 256-bit perceptual image hash, bit for bit
// as Meta's C++ reference does (facebook/ThreatExchange, pdq/cpp).
//
// A PDQ hash summarises an image's appearance: copies that were re-encoded,
// resized, slightly blurred or recoloured hash within a small Hamming
// distance of each other (upstream calls distance 31 or less a match), so a
// list of known hashes can find them. The pipeline: luma, a tent filter and
// decimation to 64×64, a quality score, a 16×16 DCT, and one bit per
// coefficient above the median. Dihedral gives the hashes of the image's
// eight rotations and flips from the same DCT.
//
// Two pipelines are offered: Full (the image at full resolution; what HMA and
// python-threatexchange compute, and the default) and CLI (large images
// first resampled to 512×512, as the reference's command-line tool does).
// Hashes of quality below MinQuality should not be matched; the caller
// decides what to do with them.
//
// The package uses only the standard library. Decoding is the caller's: the
// hash depends on the decoded pixels, and decoders differ by a few bits (see
// docs/pdq.md).
package pdq
