package safeguard_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runOutput names what a run of safeguard writes: databases, media, the
// evidence vault, report packages and key files. Such output belongs in a
// temporary or given directory, never in the source tree, where it could be
// committed by mistake.
func runOutput(name string, dir bool) bool {
	if dir {
		for _, p := range []string{"safeguard-data", "safeguard-evidence", "safeguard-media", "safeguard-reports", "evidence", "media", "reports"} {
			if name == p || strings.HasPrefix(name, p+"-") || strings.HasPrefix(name, p+".") {
				return true
			}
		}
		return false
	}
	for _, suf := range []string{".db", ".db-wal", ".db-shm", ".key", ".signing.key", ".keys"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// TestNoRunOutputInTree fails when a run has left databases, media, evidence or
// keys in the source tree (outside testdata, which holds only files whose
// origin testdata/README.md states).
func TestNoRunOutputInTree(t *testing.T) {
	var found []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && (name == ".git" || name == "testdata" || name == "node_modules" || name == ".ci") {
			return filepath.SkipDir
		}
		if runOutput(name, d.IsDir()) && !(d.IsDir() && holdsGo(path)) {
			found = append(found, path)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, p := range found {
		t.Errorf("%s: run output in the source tree; write it to a temporary or given directory", p)
	}
}

// holdsGo reports whether dir is a Go package (internal/media, say), not output.
func holdsGo(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

func TestRunOutputNames(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  bool
		want bool
	}{
		{"safeguard-evidence", true, true},
		{"safeguard-data", true, true},
		{"franking.keys", false, true},
		{"safeguard-evidence.signing.key", false, true},
		{"safeguard.db-wal", false, true},
		{"media", true, true},
		{"internal", true, false},
		{"media.go", false, false},
		{"evidence.go", false, false},
	} {
		if got := runOutput(c.name, c.dir); got != c.want {
			t.Errorf("runOutput(%q, %v) = %v, want %v", c.name, c.dir, got, c.want)
		}
	}
}
