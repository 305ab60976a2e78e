//go:build ignore

// gen_e2ee builds the web app's end-to-end encryption (./wasm) for
// GOOS=js GOARCH=wasm and writes it, with the Go distribution's
// wasm_exec.js and its licence, into static/e2ee:
//
//	safeguard.wasm.gz      the program, stripped, gzipped (served as
//	                       /e2ee/safeguard.wasm with Content-Encoding: gzip)
//	wasm_exec.js           Go's JavaScript support for it, of the same Go
//	wasm_exec.LICENSE.txt  the BSD licence wasm_exec.js comes under
//
// The build is reproducible (-trimpath, -buildvcs=false, no gzip time or
// name), so TestE2EEAssetsCurrent can rebuild it and compare. Run it with
// go generate ./internal/app; -out writes elsewhere.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", filepath.Join("static", "e2ee"), "directory to write the assets to")
	flag.Parse()
	if err := generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen_e2ee:", err)
		os.Exit(1)
	}
}

func generate(out string) error {
	goroot, err := goEnv("GOROOT")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "safeguard-wasm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wasm := filepath.Join(tmp, "safeguard.wasm")
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", wasm, "./wasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOWASM=", "CGO_ENABLED=0", "GOFLAGS=")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build ./wasm: %w", err)
	}
	raw, err := os.ReadFile(wasm)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return err
	}
	execJS, err := firstFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"), filepath.Join(goroot, "misc", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	licence, err := os.ReadFile(filepath.Join(goroot, "LICENSE"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"safeguard.wasm.gz": gz.Bytes(), "wasm_exec.js": execJS, "wasm_exec.LICENSE.txt": licence} {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "gen_e2ee: safeguard.wasm %d bytes, gzipped %d bytes\n", len(raw), gz.Len())
	return nil
}

func goEnv(name string) (string, error) {
	b, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func firstFile(paths ...string) ([]byte, error) {
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("none of %s exists", strings.Join(paths, ", "))
}
