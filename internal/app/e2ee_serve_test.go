package app_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/app"
)

// TestE2EEWasmServedPrecompressed serves the WebAssembly as it was
// committed (gzipped) to a browser, and decompressed to a client that takes
// no gzip, with the type WebAssembly.instantiateStreaming requires.
func TestE2EEWasmServedPrecompressed(t *testing.T) {
	h := app.Handler()
	committed, err := os.ReadFile("static/e2ee/safeguard.wasm.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(committed))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || !bytes.HasPrefix(raw, []byte("\x00asm")) {
		t.Fatalf("the committed wasm is not WebAssembly: %v", err)
	}
	t.Logf("safeguard.wasm: %d bytes, %d gzipped", len(raw), len(committed))

	w := get(t, h, "GET", "/e2ee/safeguard.wasm", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	checkHeaders(t, "wasm", w)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/wasm" || w.Header().Get("Content-Encoding") != "gzip" ||
		w.Header().Get("Vary") != "Accept-Encoding" || !bytes.Equal(w.Body.Bytes(), committed) {
		t.Errorf("gzipped: %d %v, %d bytes", w.Code, w.Header(), w.Body.Len())
	}
	plain := get(t, h, "GET", "/e2ee/safeguard.wasm", nil)
	if plain.Code != 200 || plain.Header().Get("Content-Type") != "application/wasm" || plain.Header().Get("Content-Encoding") != "" ||
		!bytes.Equal(plain.Body.Bytes(), raw) {
		t.Errorf("plain: %d %v, %d bytes", plain.Code, plain.Header(), plain.Body.Len())
	}
	head := get(t, h, "HEAD", "/e2ee/safeguard.wasm", nil)
	if head.Code != 200 || head.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", head.Code, head.Body.Len())
	}
	if w := get(t, h, "GET", "/e2ee/safeguard.wasm.gz", nil); w.Code != 404 {
		t.Errorf("the .gz name is served too: %d", w.Code)
	}
	for _, f := range []string{"/e2ee/wasm_exec.js", "/e2ee/wasm_exec.LICENSE.txt", "/js/e2ee.js"} {
		if w := get(t, h, "GET", f, nil); w.Code != 200 || w.Body.Len() < 1000 {
			t.Errorf("%s: %d, %d bytes", f, w.Code, w.Body.Len())
		}
	}
}
