package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// browser is one headless Chromium for a test; each person in a flow gets
// a browser context of their own (their own storage, their own tab).
type browser struct {
	t   *testing.T
	ctx context.Context
}

// newBrowser starts Chromium, or skips the test when it is absent.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc(); cancel() })
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: root}
}

// tab is one person's window, in a browser context of its own, at the
// given viewport size.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func (b *browser) person(name string, width, height int64) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	p := &tab{t: b.t, ctx: ctx, name: name}
	p.do("viewport", chromedp.EmulateViewport(width, height))
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
	const sel = kind === 'control' ? 'input, select, textarea' : 'button, a[href], [role=button]';
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
	sel := p.find(scope, name, "button")
	p.do("click "+name, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
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
	p.do("fill "+label, chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// choose picks the option with the given text in the select labelled
// label.
func (p *tab) choose(scope, label, option string) {
	p.t.Helper()
	sel := p.find(scope, label, "control")
	ok := eval[bool](p, fmt.Sprintf(`(() => { const s = document.querySelector(%q);
		const o = [...s.options].find(o => o.textContent.trim() === %q); if (!o) return false;
		s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, option))
	if !ok {
		p.t.Fatalf("%s: no option %q in %s", p.name, option, label)
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
