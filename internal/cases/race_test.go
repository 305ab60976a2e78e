//go:build race

package cases

// raceDetector is true when the tests run under the race detector, which
// makes them several times slower: the large tests then use fewer
// detections.
const raceDetector = true
