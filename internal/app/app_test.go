package app_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/app"
)

// wantType is the content type each kind of file must be served with,
// written out here rather than taken from the package.
var wantType = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".json": "application/json",
	".wasm": "application/wasm",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".txt":  "text/plain; charset=utf-8",
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func checkHeaders(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	h := w.Result().Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'",
		"object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") {
		t.Errorf("%s: CSP %q allows inline or eval", what, csp)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

// TestEveryFileServedWithItsType serves every embedded file, plain and
// gzipped, and checks its type, its bytes and the headers.
func TestEveryFileServedWithItsType(t *testing.T) {
	h := app.Handler()
	files := app.Files()
	for _, need := range []string{"/index.html", "/app.css", "/js/app.js", "/js/api.js", "/js/dom.js", "/js/auth.js",
		"/js/chats.js", "/js/contacts.js", "/js/notices.js", "/js/report.js"} {
		found := false
		for _, f := range files {
			found = found || f == need
		}
		if !found {
			t.Errorf("the app has no %s", need)
		}
	}
	for _, f := range files {
		want, ok := wantType[path.Ext(f)]
		if !ok {
			t.Errorf("%s: a kind of file this test does not know", f)
			continue
		}
		plain := get(t, h, "GET", f, nil)
		if plain.Code != 200 || plain.Header().Get("Content-Type") != want {
			t.Errorf("%s: %d %q, want 200 %q", f, plain.Code, plain.Header().Get("Content-Type"), want)
		}
		if plain.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: encoded without Accept-Encoding", f)
		}
		checkHeaders(t, f, plain)
		gz := get(t, h, "GET", f, map[string]string{"Accept-Encoding": "br, gzip"})
		if gz.Header().Get("Content-Type") != want {
			t.Errorf("%s gzipped: type %q", f, gz.Header().Get("Content-Type"))
		}
		body := gz.Body.Bytes()
		if gz.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(gz.Body)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			body, _ = io.ReadAll(zr)
		}
		if string(body) != plain.Body.String() {
			t.Errorf("%s: the gzipped body differs from the plain one", f)
		}
	}
}

// TestRootAndUnknownPaths: / is the app's page; unknown paths, the
// server's own paths and other methods are not the app's.
func TestRootAndUnknownPaths(t *testing.T) {
	h := app.Handler()
	root := get(t, h, "GET", "/", nil)
	if root.Code != 200 || root.Header().Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(root.Body.String(), `src="/js/app.js"`) {
		t.Fatalf("/: %d %q", root.Code, root.Header().Get("Content-Type"))
	}
	checkHeaders(t, "/", root)
	if strings.Contains(root.Body.String(), "<script>") || strings.Contains(root.Body.String(), "style=") {
		t.Error("index.html has an inline script or style, which the CSP refuses")
	}
	for _, p := range []string{"/nope", "/js/nope.js", "/static/index.html", "/../app.go", "/api/v1/x", "/console/x", "/healthz", "/metrics"} {
		w := get(t, h, "GET", p, nil)
		if w.Code != 404 {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
		checkHeaders(t, p, w)
	}
	if w := get(t, h, "POST", "/", nil); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	head := get(t, h, "HEAD", "/js/app.js", nil)
	if head.Code != 200 || head.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", head.Code, head.Body.Len())
	}
	etag := head.Header().Get("ETag")
	if w := get(t, h, "GET", "/js/app.js", map[string]string{"If-None-Match": etag}); etag == "" || w.Code != 304 {
		t.Errorf("If-None-Match %q: %d", etag, w.Code)
	}
	if w := get(t, h, "GET", "/js/app.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); w.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
}

// TestNoInlineHandlersOrHTMLParsing keeps the files within the CSP and the
// rule that text is never parsed as HTML.
func TestNoInlineHandlersOrHTMLParsing(t *testing.T) {
	h := app.Handler()
	for _, f := range app.Files() {
		body := get(t, h, "GET", f, nil).Body.String()
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
			"localStorage.setItem", "sessionStorage.setItem", "document.cookie ="} {
			if strings.Contains(body, bad) {
				t.Errorf("%s uses %s", f, bad)
			}
		}
		if strings.HasSuffix(f, ".html") && (strings.Contains(body, " onclick=") || strings.Contains(body, " style=")) {
			t.Errorf("%s has an inline handler or style", f)
		}
	}
}

// weightBudget is the most the app may weigh, compressed, before any
// end-to-end encryption is loaded.
const weightBudget = 200 << 10

// TestPageWeight adds up every file of the app but the end-to-end
// encryption (js/e2ee.js and e2ee/*) as the server sends it to a browser
// that takes gzip: everything a person can load without an encrypted
// chat, whichever pages they open, stays within the budget.
func TestPageWeight(t *testing.T) {
	h := app.Handler()
	total := 0
	for _, f := range app.Files() {
		if f == "/js/e2ee.js" || strings.HasPrefix(f, "/e2ee/") {
			continue
		}
		total += get(t, h, "GET", f, map[string]string{"Accept-Encoding": "gzip"}).Body.Len()
	}
	t.Logf("the app without E2EE: %d bytes gzipped", total)
	if total > weightBudget || total == 0 {
		t.Errorf("the app weighs %d bytes gzipped, over the budget of %d", total, weightBudget)
	}
}
