// Package app is the web app for children, teens, parents and adults: plain
// HTML, CSS and ES modules embedded in the binary and served at / by the web
// server, with a strict Content-Security-Policy. The app speaks to the JSON
// API under /api/v1 like any other client; it holds its session token in
// memory only (docs/app.md).
package app

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every app response. Scripts come only
// from the app's own files (and WebAssembly may be compiled for end-to-end
// encryption); there is no inline script or style; images may be blobs the
// app made from media it fetched with its token; the app cannot be framed.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' blob:; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// types are the content types of the files the app may hold, by extension.
// A file of any other kind makes Handler panic: it would be served wrong.
var types = map[string]string{
	".html":  "text/html; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".json":  "application/json",
	".wasm":  "application/wasm",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// ContentType returns the content type a file of the app is served with,
// and false for a kind of file the app does not serve.
func ContentType(name string) (string, bool) {
	t, ok := types[path.Ext(name)]
	return t, ok
}

// file is one static file, ready to serve plain or gzipped.
type file struct {
	typ  string
	body []byte // nil for a file committed gzipped (name.gz)
	gz   []byte // nil when compressing does not make it smaller
	etag string
}

// Handler serves the app: "/" is index.html, each file under static/ at its
// own path, anything else 404. Only GET and HEAD are answered.
func Handler() http.Handler {
	files, err := load(static)
	if err != nil {
		panic(err)
	}
	return &handler{files: files}
}

// Files lists the paths the app serves ("/index.html", "/js/app.js", …).
func Files() []string {
	files, err := load(static)
	if err != nil {
		panic(err)
	}
	out := make([]string, 0, len(files))
	for p := range files {
		out = append(out, p)
	}
	return out
}

func load(fsys fs.FS) (map[string]*file, error) {
	root, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	files := map[string]*file{}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		// A file ending in .gz was compressed when it was built (the
		// WebAssembly of static/e2ee): it is served under its name without
		// .gz, gzipped as it is.
		name, precompressed := strings.CutSuffix(p, ".gz")
		typ, ok := ContentType(name)
		if !ok {
			return fmt.Errorf("app: %s: no content type for this kind of file", p)
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		if precompressed {
			files["/"+name] = &file{typ: typ, gz: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
			return nil
		}
		f := &file{typ: typ, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body) {
			f.gz = buf.Bytes()
		}
		files["/"+p] = f
		return nil
	})
	return files, err
}

type handler struct{ files map[string]*file }

// reserved are the server's own paths: when one reaches the app (a method
// the server's route does not take), it is not the app's.
var reserved = []string{"/api/", "/api", "/console", "/healthz", "/readyz", "/metrics"}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	p := r.URL.Path
	for _, x := range reserved {
		if p == x || strings.HasPrefix(p, x+"/") || (strings.HasSuffix(x, "/") && strings.HasPrefix(p, x)) {
			notFound(w)
			return
		}
	}
	if p == "/" {
		p = "/index.html"
	}
	f, ok := h.files[p]
	if !ok {
		notFound(w)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "This address only answers GET and HEAD.", http.StatusMethodNotAllowed)
		return
	}
	hd.Set("Content-Type", f.typ)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", f.etag)
	hd.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && match == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if body == nil && !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		gunzip(w, r, f.gz) // a precompressed file, for a client that takes no gzip
		return
	}
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		hd.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

// gunzip serves a precompressed file decompressed, as it streams.
func gunzip(w http.ResponseWriter, r *http.Request, gz []byte) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		http.Error(w, "This file is damaged.", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.Copy(w, zr)
	}
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte("There is nothing at this address. The app is at /.\n"))
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip (and
// does not refuse it with q=0).
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
