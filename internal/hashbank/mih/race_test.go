//go:build race

package mih

// raceEnabled shrinks the brute-force comparisons under the race detector,
// which slows the search loops twentyfold.
const raceEnabled = true
