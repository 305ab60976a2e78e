package golden_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/golden"
)

// recorder is a testing.TB that records whether a check failed.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(format string, args ...any) { r.failed = true }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = true; r.FailNow() }
func (r *recorder) Helper()                           {}

func TestCheck(t *testing.T) {
	if golden.Update() {
		t.Skip("-update rewrites instead of comparing")
	}
	path := filepath.Join(t.TempDir(), "out.golden")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		got      string
		wantFail bool
	}{
		{"equal", "same\n", false},
		{"different", "other\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			golden.Check(r, path, []byte(tt.got))
			if r.failed != tt.wantFail {
				t.Errorf("failed = %v, want %v", r.failed, tt.wantFail)
			}
		})
	}
}
