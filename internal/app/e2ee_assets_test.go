package app

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// wasmGoVersion is the Go release static/e2ee was built with. A build is
// reproducible only with the same release, so another one cannot check the
// committed files: after moving to a new Go, run go generate ./internal/app,
// commit static/e2ee and change this constant.
const wasmGoVersion = "go1.26.8"

// TestE2EEAssetsCurrent rebuilds the WebAssembly program and wasm_exec.js
// and checks that the committed files are the same bytes.
func TestE2EEAssetsCurrent(t *testing.T) {
	if v := runtime.Version(); v != wasmGoVersion {
		t.Fatalf("internal/app/static/e2ee was built with %s, and this is %s: run `go generate ./internal/app`, "+
			"commit static/e2ee, and set wasmGoVersion in %s to %s", wasmGoVersion, v, "e2ee_assets_test.go", v)
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "gen_e2ee.go", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_e2ee.go: %v\n%s", err, b)
	}
	for _, name := range []string{"safeguard.wasm.gz", "wasm_exec.js", "wasm_exec.LICENSE.txt"} {
		fresh, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("static", "e2ee", name))
		if err != nil {
			t.Fatalf("static/e2ee/%s: %v: run `go generate ./internal/app` and commit static/e2ee", name, err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("static/e2ee/%s is not what the source builds (%d bytes built, %d committed): "+
				"run `go generate ./internal/app` and commit static/e2ee", name, len(fresh), len(committed))
		}
	}
}
