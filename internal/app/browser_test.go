package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/safeguard-dev/safeguard/internal/browsertest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium for a test; each person in a flow gets
// a browser context of their own (their own storage, their own tab).
type browser struct {
	t   *testing.T
	ctx context.Context
}

// newBrowser starts Chromium, or skips the test when it is absent.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	root := browsertest.Browser(t) // one way to start Chromium for every browser test
	return &browser{t: t, ctx: root}
}

// tab is one person's window, in a browser context of its own, at the
// given viewport size.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func (b *browser) person(t *testing.T, name string, width, height int64) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &tab{t: t, ctx: ctx, name: name}
	p.do("viewport", chromedp.EmulateViewport(width, height))
	// Record what the Content-Security-Policy refuses, and errors no code
	// caught, from before the app's own scripts run.
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		window.__problems = [];
		document.addEventListener('securitypolicyviolation', e => window.__problems.push('CSP ' + e.violatedDirective + ' ' + e.blockedURI));
		window.addEventListener('error', e => window.__problems.push('error ' + e.message));
		window.addEventListener('unhandledrejection', e => window.__problems.push('unhandled ' + (e.reason && e.reason.message || e.reason)));`})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		if probs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__problems || []`)); err == nil && len(probs) > 0 {
			t.Errorf("%s: the page had problems: %q", name, probs)
		}
	})
	return p
}

func (p *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

// eval runs a JavaScript expression in the page and decodes its value.
func eval[T any](p *tab, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: evaluate %.80q: %v", p.name, expr, err)
	}
	return v
}

// finder is the page-side helper that finds a control by its accessible
// name, as a person using a screen reader would: a button or link by its
// aria-label or text, a form control by its <label> or aria-label, within
// the elements matching scope. It marks the element found with a data-t
// attribute so that chromedp can type into it and click it as a person
// would. It answers the attribute's value, or "" when nothing matches.
const finder = `((scope, name, kind) => {
	const norm = s => (s || '').replace(/\s+/g, ' ').trim().toLowerCase();
	const want = norm(name);
	const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
	const nameOf = e => {
		if (e.getAttribute('aria-label')) return e.getAttribute('aria-label');
		if (e.getAttribute('aria-labelledby')) return e.getAttribute('aria-labelledby').split(' ').map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
		if (e.labels && e.labels.length) return [...e.labels].map(l => l.textContent).join(' ');
		return e.textContent;
	};
	const sel = kind === 'control' ? 'input, select, textarea' : 'button, a[href], summary, [role=button]';
	for (const root of document.querySelectorAll(scope)) {
		for (const e of root.querySelectorAll(sel)) {
			if (norm(nameOf(e)) !== want) continue;
			if (kind !== 'control' && !visible(e)) continue;
			if (kind === 'control' && e.type !== 'file' && !visible(e)) continue;
			window.__t = (window.__t || 0) + 1;
			e.dataset.t = String(window.__t);
			return e.dataset.t;
		}
	}
	return '';
})`

// find waits for the control or button named name inside scope and
// returns a selector for it.
func (p *tab) find(scope, name, kind string) string {
	p.t.Helper()
	expr := fmt.Sprintf(`%s(%q, %q, %q)`, finder, scope, name, kind)
	var got string
	deadline := time.Now().Add(15 * time.Second)
	for {
		got = eval[string](p, expr)
		if got != "" {
			return fmt.Sprintf(`[data-t="%s"]`, got)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no %s named %q in %s; the page says: %s", p.name, kind, name, scope, p.text("body"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// click clicks the button or link named name inside scope.
func (p *tab) click(scope, name string) {
	p.t.Helper()
	// The page may draw the element again between finding and clicking
	// (a live event refreshed a list): find it again then.
	// A photo that loads moves what is below it: a click aimed before it
	// loaded lands elsewhere. Wait (a little) for the page's pictures.
	chromedp.Run(p.ctx, chromedp.Poll[bool](`[...document.images].every(i => i.complete)`, chromedp.WithPollingTimeout(5*time.Second)))
	var err error
	for range 5 {
		sel := p.find(scope, name, "button")
		ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		cancel()
		if err == nil {
			return
		}
	}
	p.t.Fatalf("%s: click %s: %v", p.name, name, err)
}

// fill types value into the control labelled label inside scope.
func (p *tab) fill(scope, label, value string) {
	p.t.Helper()
	sel := p.find(scope, label, "control")
	if eval[string](p, fmt.Sprintf(`document.querySelector(%q).type`, sel)) == "date" {
		// A date field's keys depend on the browser's locale: set its
		// value as the date picker would.
		eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
			e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, value))
		return
	}
	eval[bool](p, fmt.Sprintf(`(() => { document.querySelector(%q).value = ''; return true })()`, sel))
	p.do("fill "+label, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// choose picks the option with the given text in the select labelled
// label.
func (p *tab) choose(scope, label, option string) {
	p.t.Helper()
	sel := p.find(scope, label, "control")
	expr := fmt.Sprintf(`(() => { const s = document.querySelector(%q);
		const o = [...s.options].find(o => o.textContent.trim() === %q); if (!o) return false;
		s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, option)
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		p.t.Fatalf("%s: no option %q in %s: %s", p.name, option, label, p.text(scope))
	}
}

// text returns the visible text of the first element matching sel.
func (p *tab) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ''}).innerText`, sel))
}

// waitText waits until the element matching sel shows want.
func (p *tab) waitText(sel, want string) {
	p.t.Helper()
	expr := fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.innerText.includes(%q))`, sel, want)
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		p.t.Fatalf("%s: %q never appeared in %s; the page says: %s", p.name, want, sel, p.text("body"))
	}
}

// waitFor waits until a JavaScript expression is true.
func (p *tab) waitFor(what, expr string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		p.t.Fatalf("%s: %s never happened; the page says: %s", p.name, what, p.text("body"))
	}
}

// open loads the app.
func (p *tab) open(url string) {
	p.t.Helper()
	p.do("open the app", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// logIn logs in through the log-in page.
func (p *tab) logIn(url, handle string) {
	p.t.Helper()
	p.open(url + "/#/login")
	p.fill("main", "Username", handle)
	p.fill("main", "Password", pw)
	p.click("main", "Log in")
	p.waitText("main h1", "Chats")
}

// storage lists what the page keeps in web storage and cookies: the
// session token must be in none of them.
func (p *tab) storage() string {
	p.t.Helper()
	v := eval[json.RawMessage](p, `({local: Object.keys(localStorage), session: Object.keys(sessionStorage), cookie: document.cookie})`)
	return string(v)
}

func contains(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// reload reloads the page and waits for the app to draw it.
func (p *tab) reload() {
	p.t.Helper()
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// imageState is what the browser drew of an image.
type imageState struct {
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Grey   bool    `json:"grey"`  // every pixel has R = G = B
	Rough  float64 `json:"rough"` // mean luminance step between neighbours
}

// drawn waits for the image matching sel to load and reads back, through
// a canvas, the pixels the browser decoded.
func drawn(t *testing.T, p *tab, sel string) imageState {
	t.Helper()
	p.waitFor("the image "+sel, fmt.Sprintf(`(() => { const i = document.querySelector(%q); return !!i && i.complete && i.naturalWidth > 0 })()`, sel))
	return eval[imageState](p, fmt.Sprintf(`(() => {
		const img = document.querySelector(%q);
		const c = document.createElement('canvas');
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		let grey = true, rough = 0, n = 0;
		for (let y = 0; y < c.height; y++) for (let x = 1; x < c.width; x++) {
			const i = (y * c.width + x) * 4, k = i - 4;
			if (d[i] !== d[i+1] || d[i+1] !== d[i+2]) grey = false;
			rough += Math.abs((0.299*d[i] + 0.587*d[i+1] + 0.114*d[i+2]) - (0.299*d[k] + 0.587*d[k+1] + 0.114*d[k+2])); n++;
		}
		return {width: c.width, height: c.height, grey, rough: rough / n};
	})()`, sel))
}

// audit is what the accessibility check found on a page.
type audit struct {
	Contrast  []string `json:"contrast"`
	Unlabeled []string `json:"unlabeled"`
	NoAlt     int      `json:"noAlt"`
	H1        int      `json:"h1"`
	Lang      string   `json:"lang"`
	Overflow  bool     `json:"overflow"`
	NoFocus   []string `json:"noFocus"`
}

// checkAccessible checks the page as the browser renders it: WCAG 2.2 AA
// text contrast, a name for every control, alt text, one h1, the
// language, no sideways scrolling, and a visible focus indicator on each
// control.
func checkAccessible(t *testing.T, p *tab, page string) {
	t.Helper()
	noStray(t, p, page)
	axe(t, p, page)
	a := eval[audit](p, `(() => {
		const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
			const q = m[1].split(',').map(s => parseFloat(s)); return {r: q[0], g: q[1], b: q[2], a: q.length > 3 ? q[3] : 1}; };
		const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
			return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
		const bg = el => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
			if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
		const contrast = [], seen = new Set();
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		while (w.nextNode()) {
			const n = w.currentNode, el = n.parentElement;
			if (!n.textContent.trim() || seen.has(el)) continue;
			seen.add(el);
			const cs = getComputedStyle(el), r = el.getBoundingClientRect();
			if (cs.visibility === 'hidden' || r.width <= 1 || r.height <= 1) continue;
			const L1 = lum(parse(cs.color)), L2 = lum(bg(el));
			const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
			const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight) >= 700;
			if (ratio < ((size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5)) contrast.push(el.tagName + ' "' + n.textContent.trim().slice(0, 40) + '": ' + ratio.toFixed(2));
		}
		const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')];
		const unlabeled = controls.filter(e => (e.tagName === 'BUTTON' || e.tagName === 'A') ? !(e.textContent.trim() || e.getAttribute('aria-label'))
			: !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name || e.id || e.tagName);
		const noFocus = [];
		for (const e of controls) {
			const r = e.getBoundingClientRect();
			if (r.width === 0 || e.disabled) continue;
			e.focus({focusVisible: true});
			if (document.activeElement !== e) continue;
			const cs = getComputedStyle(e), host = e.closest('.file') ? getComputedStyle(e.closest('.file').querySelector('label')) : cs;
			if (cs.outlineStyle === 'none' && host.outlineStyle === 'none' && cs.boxShadow === 'none') noFocus.push(e.textContent.trim() || e.name || e.tagName);
			e.blur();
		}
		return {contrast, unlabeled, noAlt: [...document.images].filter(i => !i.hasAttribute('alt')).length, noFocus,
			h1: document.querySelectorAll('h1').length, lang: document.documentElement.lang,
			overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1};
	})()`)
	if len(a.Contrast) > 0 || len(a.Unlabeled) > 0 || a.NoAlt > 0 || a.H1 != 1 || a.Lang != "en-GB" || a.Overflow || len(a.NoFocus) > 0 {
		t.Errorf("%s: accessibility %+v", page, a)
	}
}

// loaded is what the page loaded of the app itself (not the API), as the
// browser's resource timing counts it: the bytes on the wire of each file
// (compressed), and their sum.
type loaded struct {
	Files []string `json:"files"`
	Bytes int      `json:"bytes"`
}

func (p *tab) loaded() loaded {
	p.t.Helper()
	return eval[loaded](p, `(() => {
		const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
			.filter(e => new URL(e.name).origin === location.origin && !new URL(e.name).pathname.startsWith('/api/'));
		return {files: all.map(e => new URL(e.name).pathname + ' ' + e.encodedBodySize),
			bytes: all.reduce((n, e) => n + e.encodedBodySize, 0)};
	})()`)
}

// noStray fails when the page shows "null", "undefined" or "[object": a
// value drawn as text by mistake.
func noStray(t *testing.T, p *tab, page string) {
	t.Helper()
	txt := p.text("body")
	for _, bad := range []string{"null", "undefined", "[object", "NaN"} {
		for _, word := range strings.Fields(txt) {
			if word == bad || strings.HasPrefix(word, "[object") && bad == "[object" {
				t.Errorf("%s shows %q: %s", page, bad, txt)
				return
			}
		}
	}
}

// axePath is the axe.min.js the tests inject: SAFEGUARD_AXE, or
// .ci/axe/node_modules/axe-core/axe.min.js at the root of the module.
func axePath() string {
	if p := os.Getenv("SAFEGUARD_AXE"); p != "" {
		return p
	}
	dir, _ := os.Getwd()
	for dir != "/" && dir != "." {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".ci", "axe", "node_modules", "axe-core", "axe.min.js")
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

// axe runs axe-core's WCAG 2.2 A and AA rules on the page and fails the
// test on a serious or critical violation. Without axe.min.js it logs and
// skips the check, except in CI (CI=true), where that fails.
func axe(t *testing.T, p *tab, page string) {
	t.Helper()
	path := axePath()
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is missing (%s): %v", path, err)
		}
		t.Logf("axe-core not checked on %s: %v", page, err)
		return
	}
	eval[bool](p, string(src)+"\n;true")
	type violation struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Help   string   `json:"help"`
		Nodes  []string `json:"nodes"`
	}
	vs, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]violation](`(async () => {
		const r = await axe.run(document, {resultTypes: ['violations'],
			runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
		return r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", page, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
		} else {
			t.Logf("%s: axe %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
}
