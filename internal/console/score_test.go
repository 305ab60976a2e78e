package console

import "testing"

// TestScoreWords: scores and thresholds keep four significant digits, and a
// tiny threshold is not rounded to zero.
func TestScoreWords(t *testing.T) {
	for v, want := range map[float64]string{0.5: "0.5", 0.91: "0.91", 0.9700000000000001: "0.97", 0.123456: "0.1235",
		1e-9: "1e-09", 0.00012: "0.00012", 0.000012345: "1.234e-05", 0: "0", 1: "1"} {
		if got := scoreWords(v); got != want {
			t.Errorf("scoreWords(%v) = %q, want %q", v, got, want)
		}
	}
}
