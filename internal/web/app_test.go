package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// TestAppMounted: the web app answers every path outside the API, the
// console, health and metrics, with its security headers; the API keeps
// its own JSON answers, and the server's own paths stay its own.
func TestAppMounted(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir()+"/app.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := newStack(t, db, nil)
	fetch := func(method, path string) (*http.Response, string) {
		req, _ := http.NewRequest(method, s.url+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := fetch("GET", "/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "/js/app.js") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || res.Header.Get("X-Frame-Options") != "DENY" ||
		res.Header.Get("Referrer-Policy") != "no-referrer" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET / headers: %v", res.Header)
	}
	if res, _ := fetch("GET", "/js/app.js"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("GET /js/app.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := fetch("GET", "/no/such/page"); res.StatusCode != 404 {
		t.Errorf("GET /no/such/page: %d", res.StatusCode)
	}
	// The API's own 404, in JSON, and health, are not the app's.
	res, body = fetch("GET", "/api/v1/no-such-thing")
	var e client.ErrorBody
	if res.StatusCode != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "no_such_endpoint" || res.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("GET /api/v1/no-such-thing: %d %s", res.StatusCode, body)
	}
	if res, body := fetch("GET", "/healthz"); res.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("GET /healthz: %d %s", res.StatusCode, body)
	}
	// A method the server's own route does not take reaches the app,
	// which does not claim the path.
	if res, _ := fetch("POST", "/healthz"); res.StatusCode != 404 {
		t.Errorf("POST /healthz: %d", res.StatusCode)
	}
	if res, _ := fetch("GET", "/console/"); res.StatusCode != 404 {
		t.Errorf("GET /console/ without a console: %d", res.StatusCode)
	}
}
