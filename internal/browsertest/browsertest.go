// Package browsertest drives headless Chromium for the web app's tests:
// a browser per test and a fresh browser context per flow, axe-core run on
// every page visited, and the layout checked at a phone's and a desktop's
// width.
//
// Chromium is /usr/bin/chromium; a test is skipped when it is absent.
// axe-core comes from npm, pinned by .ci/axe/package-lock.json and
// installed by .ci/run with npm ci; the tests read axe.min.js from
// SAFEGUARD_AXE, or else from .ci/axe/node_modules/axe-core/ at the root of
// the module. Outside CI a missing axe is logged and its check skipped; with
// CI=true it fails the test.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where the tests look for Chromium.
const ChromiumPath = "/usr/bin/chromium"

// Phone and Desktop are the viewport sizes the app is checked at.
var (
	Phone   = Size{Width: 375, Height: 812, Mobile: true}
	Desktop = Size{Width: 1280, Height: 800}
)

// Size is a viewport.
type Size struct {
	Width, Height int64
	Mobile        bool // emulate a phone: the page's meta viewport applies
}

func (s Size) String() string { return fmt.Sprintf("%d×%d", s.Width, s.Height) }

// Browser starts headless Chromium for the test and returns its first
// tab's context, sized Desktop. The test is skipped when Chromium is
// absent; the browser ends with the test.
func Browser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("%s is absent", ChromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(Desktop.Width), int(Desktop.Height)),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	Must(t, "start chromium", chromedp.Do(tab, Resize(Desktop)))
	return tab
}

// Context opens a new browser context (its own storage, like a separate
// profile) in the browser of parent, sized Desktop, closed with the test.
// Each flow of a test runs in its own.
func Context(t testing.TB, parent context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	Must(t, "new browser context", chromedp.Do(ctx, Resize(Desktop)))
	return ctx
}

// Resize sets the viewport.
func Resize(s Size) chromedp.Action[chromedp.Void] {
	if s.Mobile {
		return chromedp.EmulateViewport(s.Width, s.Height, chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(s.Width, s.Height)
}

// Must fails the test when err is not nil.
func Must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Page runs every check on the page the tab shows: axe-core, then the
// layout at the phone's and the desktop's size (the viewport is left at
// Desktop).
func Page(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	Axe(t, ctx, name)
	Layout(t, ctx, name)
}

// AxePath is the axe.min.js the tests use: SAFEGUARD_AXE, or
// .ci/axe/node_modules/axe-core/axe.min.js at the root of the module that
// holds the working directory.
func AxePath() string {
	if p := os.Getenv("SAFEGUARD_AXE"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".ci", "axe", "node_modules", "axe-core", "axe.min.js")
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

var axeSource struct {
	once sync.Once
	path string
	js   string
	err  error
}

// axeScript reads axe.min.js once per test binary.
func axeScript() (string, string, error) {
	axeSource.once.Do(func() {
		axeSource.path = AxePath()
		if axeSource.path == "" {
			axeSource.err = errors.New("no go.mod above the working directory and SAFEGUARD_AXE is not set")
			return
		}
		b, err := os.ReadFile(axeSource.path)
		axeSource.js, axeSource.err = string(b), err
	})
	return axeSource.path, axeSource.js, axeSource.err
}

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"` // minor, moderate, serious or critical
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// Blocking reports whether the violation fails a test.
func (v Violation) Blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		target, _ := json.Marshal(n.Target)
		fmt.Fprintf(&b, "\n    %s: %s", target, strings.ReplaceAll(n.Summary, "\n", "; "))
	}
	return b.String()
}

// axeRun runs axe on the document and answers its violations as JSON.
// The rules are the WCAG 2.2 A and AA ones and axe's best practices.
const axeRun = `(async () => {
	const r = await axe.run(document, {resultTypes: ['violations'],
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
	return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary}))})));
})()`

// Axe injects axe-core into the page the tab shows, runs it, logs every
// violation (rule, impact, the nodes and what is wrong with each) and fails
// the test on a serious or critical one. Without axe.min.js it logs and
// returns, unless CI=true, where it fails.
func Axe(t testing.TB, ctx context.Context, page string) []Violation {
	t.Helper()
	path, js, err := axeScript()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core: %v (CI installs it: cd .ci/axe && npm ci)", err)
		}
		t.Logf("axe-core not checked on %s: %v (install it: cd .ci/axe && npm ci)", page, err)
		return nil
	}
	vs, err := AxeViolations(ctx, js)
	Must(t, "axe-core ("+path+") on "+page, err)
	for _, v := range vs {
		if v.Blocking() {
			t.Errorf("%s: axe: %s", page, v)
		} else {
			t.Logf("%s: axe: %s", page, v)
		}
	}
	return vs
}

// AxeViolations injects the axe-core source js into the page the tab
// shows (unless it is there already) and returns what it finds.
func AxeViolations(ctx context.Context, js string) ([]Violation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return nil, err
	}
	if !loaded {
		// Through the DevTools protocol, not a script element, so the
		// page's Content-Security-Policy stays as strict as it is.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
			return nil, fmt.Errorf("inject: %w", err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return nil, fmt.Errorf("axe results: %w", err)
	}
	return vs, nil
}

// Misfit is what the layout check found wrong at one size.
type Misfit struct {
	ScrollWidth int      `json:"scrollWidth"` // the page's width
	Width       int      `json:"width"`       // the viewport's
	Outside     []string `json:"outside"`     // controls reaching past its sides
}

// Fits reports whether nothing is wrong.
func (m Misfit) Fits() bool { return m.ScrollWidth <= m.Width && len(m.Outside) == 0 }

// measure finds sideways overflow and the visible controls that reach
// outside the viewport's width. An element placed wholly off screen (a skip
// link waiting for focus) or clipped to a pixel (text for screen readers
// only) is not shown, so not measured.
const measure = `(() => {
	const w = document.documentElement.clientWidth;
	const outside = [];
	const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link], [tabindex]:not([tabindex="-1"])';
	for (const e of document.querySelectorAll(sel)) {
		const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
		if (r.width <= 1 || r.height <= 1 || cs.visibility === 'hidden') continue;
		if (r.right <= 0 || r.bottom <= 0) continue;
		if (r.left < -0.5 || r.right > w + 0.5) {
			const name = (e.getAttribute('aria-label') || e.textContent || e.name || e.id || '').trim().slice(0, 40);
			outside.push(e.tagName.toLowerCase() + ' "' + name + '" at ' + Math.round(r.left) + '…' + Math.round(r.right));
		}
	}
	return {scrollWidth: document.documentElement.scrollWidth, width: w, outside};
})()`

// Measure sizes the viewport and measures the page's layout there.
func Measure(ctx context.Context, s Size) (Misfit, error) {
	if err := chromedp.Do(ctx, Resize(s), chromedp.Sleep(50*time.Millisecond)); err != nil {
		return Misfit{}, err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[Misfit](measure))
}

// Layout checks the page at Phone and at Desktop size: nothing scrolls
// sideways and every control is inside the viewport's width. The viewport
// is left at Desktop.
func Layout(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	for _, s := range []Size{Phone, Desktop} {
		m, err := Measure(ctx, s)
		Must(t, "layout of "+page+" at "+s.String(), err)
		if !m.Fits() {
			t.Errorf("%s at %s: the page is %d px wide in a %d px viewport; controls outside it: %v",
				page, s, m.ScrollWidth, m.Width, m.Outside)
		}
	}
}

// Screenshot writes a PNG of the viewport at size s to path.
func Screenshot(t testing.TB, ctx context.Context, s Size, path string) {
	t.Helper()
	Must(t, "resize for "+path, chromedp.Do(ctx, Resize(s), chromedp.Sleep(100*time.Millisecond)))
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	Must(t, "screenshot "+path, err)
	Must(t, "write "+path, os.WriteFile(path, b, 0o644))
}

// Downloads lets the browser context of ctx save downloads, without
// asking, into a new temporary directory, which it returns.
func Downloads(t testing.TB, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	c := chromedp.FromContext(ctx)
	if c == nil {
		t.Fatal("downloads: not a chromedp context")
	}
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: c.BrowserContextID, DownloadPath: dir})
	Must(t, "allow downloads", err)
	return dir
}

// Downloaded waits until a file whose name ends in suffix is complete in
// dir, and returns its path.
func Downloaded(t testing.TB, dir, suffix string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		names, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
		if len(names) > 0 {
			return names[0]
		}
		if time.Now().After(deadline) {
			all, _ := filepath.Glob(filepath.Join(dir, "*"))
			t.Fatalf("no *%s downloaded into %s; found %v", suffix, dir, all)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
