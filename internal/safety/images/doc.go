// Package images is the known-image scanner: it hashes every image the
// server can see — never an end-to-end encrypted one, which it cannot see —
// and matches it against the hash banks (MD5 and SHA-256 exactly, PDQ within
// a radius, with the hashes of the image's rotations and mirror images). A
// match holds the message and records a hash_match detection; toward a minor
// the check fails closed. It keeps the in-memory match index in step with
// the banks in the store (index.go), and keeps the hashes of every image for
// a while so that entries added to a bank later are checked against recent
// media (retroactive matching, retro.go). Hash is the one way an image file
// is hashed, here and in the command line.
package images
