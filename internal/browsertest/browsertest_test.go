package browsertest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

const head = `<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Test page</title></head>`

// pages are small documents whose faults the checks must find, or not.
var pages = map[string]string{
	"/clean": head + `<body><main><h1>Settings</h1>
		<form><label for="p">Password</label> <input id="p" type="password" autocomplete="current-password">
		<button type="submit">Change password</button></form></main></body></html>`,
	"/unnamed": head + `<body><main><h1>Settings</h1><img src="/x.png">
		<button type="button"></button></main></body></html>`,
	"/wide": head + `<body><main><h1>Wide</h1><div style="width:600px">A table as wide as a laptop</div>
		<button type="button" style="margin-left:420px">Save</button></main></body></html>`,
	"/skip": head + `<body><a href="#main" style="position:absolute;left:-10000px">Skip to the content</a>
		<main id="main"><h1>Skip</h1><p>Short.</p></main></body></html>`,
}

func server(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	t.Cleanup(s.Close)
	return s
}

// TestAxeFindsWhatIsWrong: axe-core, injected, names the unlabelled button
// and the image without alt text as blocking, and finds nothing blocking on
// a page without faults.
func TestAxeFindsWhatIsWrong(t *testing.T) {
	browser := Browser(t)
	path, js, err := axeScript()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core: %v", err)
		}
		t.Skipf("axe-core is not installed (%v)", err)
	}
	t.Logf("axe-core from %s", path)
	s := server(t)
	ctx := Context(t, browser)

	Must(t, "open /unnamed", chromedp.Do(ctx, chromedp.Navigate(s.URL+"/unnamed")))
	vs, err := AxeViolations(ctx, js)
	Must(t, "axe on /unnamed", err)
	blocking := map[string]bool{}
	for _, v := range vs {
		if v.Blocking() {
			blocking[v.ID] = true
		}
	}
	if !blocking["button-name"] || !blocking["image-alt"] {
		t.Errorf("axe on a page with an unnamed button and an image without alt: %v", vs)
	}

	Must(t, "open /clean", chromedp.Do(ctx, chromedp.Navigate(s.URL+"/clean")))
	vs, err = AxeViolations(ctx, js)
	Must(t, "axe on /clean", err)
	for _, v := range vs {
		if v.Blocking() {
			t.Errorf("axe on a page without faults: %s", v)
		}
	}
	Axe(t, ctx, "clean") // the helper itself passes it
}

// TestLayoutFindsOverflow: a 600-pixel block and a button pushed past the
// edge are found at the phone's width, not at the desktop's; a page that
// fits, with a skip link waiting off screen, fits at both.
func TestLayoutFindsOverflow(t *testing.T) {
	browser := Browser(t)
	s := server(t)
	ctx := Context(t, browser)

	Must(t, "open /wide", chromedp.Do(ctx, chromedp.Navigate(s.URL+"/wide")))
	phone, err := Measure(ctx, Phone)
	Must(t, "measure at the phone's size", err)
	if phone.Fits() || phone.Width != 375 || phone.ScrollWidth < 600 || len(phone.Outside) != 1 {
		t.Errorf("/wide at %s: %+v; want overflow and the Save button outside", Phone, phone)
	}
	desk, err := Measure(ctx, Desktop)
	Must(t, "measure at the desktop's size", err)
	if !desk.Fits() {
		t.Errorf("/wide at %s: %+v; want it to fit", Desktop, desk)
	}

	Must(t, "open /skip", chromedp.Do(ctx, chromedp.Navigate(s.URL+"/skip")))
	Layout(t, ctx, "skip")
}
