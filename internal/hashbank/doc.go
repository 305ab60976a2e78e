// Package hashbank holds hash banks — lists of hashes of known abuse images
// imported from hotlines such as the IWF or NCMEC — and matches media
// against them: PDQ perceptual hashes within a Hamming radius (31 by
// default), MD5 and SHA-256 exactly.
//
// It is pure and storage-independent: it never reads a store. Its caller
// (the known-image scanner, internal/safety/images) reads a bank's entries from
// the store and hands them to an Index (Rebuild), applies later changes as
// deltas (Apply), and compares the index's Generation with the store's bank
// generation before each match, so a change made by another process is seen
// by the next match. Readers never wait: a match works on an immutable
// snapshot reached through an atomic pointer, and writers build a new
// snapshot and swap it in.
//
// Negative banks hold known false positives: a query hash within the
// negative radius of a negative-bank entry yields no positive match, and the
// result says what was suppressed. Disabled banks match nothing.
//
// The PDQ radius search is exact multi-index hashing (package mih); the list
// formats are parsed by package listfmt.
package hashbank
