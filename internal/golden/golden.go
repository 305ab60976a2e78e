// Package golden compares what a test produces with a file committed under
// testdata/, and rewrites the file instead when the tests run with -update:
//
//	go test ./internal/lawreport -run Golden -update
//
// Every package's golden files go through Check, so -update means the same
// thing everywhere.
package golden

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Update reports whether the tests run with -update, for a test that
// regenerates a fixture other than through Check.
func Update() bool { return *update }

// Check compares got with the file at path, or writes got to path when the
// tests run with -update. A difference is reported as a diff (-want +got).
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", path, diff)
	}
}
