package console_test

import (
	"archive/zip"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	safeguard "github.com/safeguard-dev/safeguard"
)

const chromiumPath = "/usr/bin/chromium"

var update = flag.Bool("update", false, "rewrite the screenshots docs/console-*.png")

// chrome starts headless Chromium for a test and returns a tab's context.
// The test is skipped when Chromium is absent.
func chrome(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 1000),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tab
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, "location", err)
	return loc
}

// imageState is what the browser drew of an image.
type imageState struct {
	State  string  `json:"state"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Grey   bool    `json:"grey"`  // every pixel has R = G = B
	Rough  float64 `json:"rough"` // mean luminance step between neighbours
}

// drawn reads back, through a canvas, the pixels the browser decoded for
// the first image matching sel.
func drawn(t *testing.T, ctx context.Context, sel string) imageState {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
		`(() => { const i = document.querySelector(%q); return !!i && i.complete && i.naturalWidth > 0 })()`, sel),
		chromedp.WithPollingTimeout(30*time.Second)))
	must(t, "wait for "+sel, err)
	st, err := chromedp.Run(ctx, chromedp.Evaluate[imageState](fmt.Sprintf(`(() => {
		const img = document.querySelector(%q);
		const c = document.createElement('canvas');
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		let grey = true, rough = 0, n = 0;
		for (let y = 0; y < c.height; y++) {
			for (let x = 0; x < c.width; x++) {
				const i = (y * c.width + x) * 4;
				if (d[i] !== d[i+1] || d[i+1] !== d[i+2]) grey = false;
				if (x > 0) {
					const l = 0.299*d[i] + 0.587*d[i+1] + 0.114*d[i+2];
					const k = i - 4, m = 0.299*d[k] + 0.587*d[k+1] + 0.114*d[k+2];
					rough += Math.abs(l - m); n++;
				}
			}
		}
		return {state: img.dataset.state || '', width: c.width, height: c.height, grey, rough: rough / n};
	})()`, sel)))
	must(t, "draw "+sel, err)
	return st
}

// audit is what the accessibility check found on a page.
type audit struct {
	Contrast  []string `json:"contrast"`  // text below WCAG AA contrast
	Unlabeled []string `json:"unlabeled"` // controls without a label
	NoAlt     int      `json:"noAlt"`     // images without alt text
	H1        int      `json:"h1"`
	Lang      string   `json:"lang"`
	Overflow  bool     `json:"overflow"` // the page scrolls sideways
}

// accessibility checks the page as a browser renders it: the contrast of
// every piece of visible text against its background (WCAG 2.2 AA: 4.5:1,
// 3:1 for large text), a label for every control, alt text, one h1, the
// language, and no sideways scrolling of the page.
func accessibility(t *testing.T, ctx context.Context) audit {
	t.Helper()
	a, err := chromedp.Run(ctx, chromedp.Evaluate[audit](`(() => {
		const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
			const p = m[1].split(',').map(s => parseFloat(s)); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
		const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
			return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
		const bg = el => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
			if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
		const contrast = [];
		const seen = new Set();
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
			const need = (size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5;
			if (ratio < need) contrast.push(el.tagName + ' "' + n.textContent.trim().slice(0, 40) + '": ' + ratio.toFixed(2));
		}
		const unlabeled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
			.filter(e => e.tagName === 'BUTTON' ? !e.textContent.trim() : !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
			.map(e => e.name || e.id || e.tagName);
		return {contrast, unlabeled, noAlt: [...document.images].filter(i => !i.hasAttribute('alt')).length,
			h1: document.querySelectorAll('h1').length, lang: document.documentElement.lang,
			overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1};
	})()`))
	must(t, "accessibility", err)
	return a
}

func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	a := accessibility(t, ctx)
	if len(a.Contrast) > 0 || len(a.Unlabeled) > 0 || a.NoAlt > 0 || a.H1 != 1 || a.Lang != "en-GB" || a.Overflow {
		t.Errorf("%s: accessibility %+v", page, a)
	}
	// At 200% zoom (a 1280-pixel window shows 640 CSS pixels) the page
	// reflows: nothing scrolls sideways but the tables in their own
	// scrolling regions.
	must(t, "zoom", chromedp.Do(ctx, chromedp.EmulateViewport(640, 1000)))
	if z := accessibility(t, ctx); z.Overflow || len(z.Contrast) > 0 {
		t.Errorf("%s at 200%% zoom: %+v", page, z)
	}
	must(t, "unzoom", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)))
}

// TestConsoleInChromium is the moderator's path in a real browser: log in,
// the queue, the top case with its image blurred (the bytes served are the
// derivative), an audited reveal, a decision to report, the download of
// the package; then what must be refused: a forged form token, a chat
// account's session, an ended session.
func TestConsoleInChromium(t *testing.T) {
	ctx := chrome(t)
	s := newStack(t)
	known, reported, _, adult := s.story()
	s.grooming() // a risk alert beside the images: the queue names its young person
	s.moderator("alice", safeguard.RoleModerator)

	// Log in: the console sends a stranger to the login page.
	must(t, "open the console", chromedp.Do(ctx, chromedp.Navigate(s.url+"/console/"), chromedp.WaitVisible(chromedp.ID("name"))))
	if loc := location(t, ctx); !strings.HasPrefix(loc, s.url+"/console/login") {
		t.Fatalf("the console without a session shows %s", loc)
	}
	checkAccessible(t, ctx, "login")
	must(t, "log in", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/console/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS("table.queue")),
	))

	// The queue: the known image to a teen comes first.
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tbody tr').dataset.case`))
	must(t, "queue", err)
	if first != fmt.Sprint(known) {
		t.Fatalf("the top case is %s, want %d", first, known)
	}
	badge, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("tbody tr .badge.prio")))
	if badge != "Priority 1 — urgent" {
		t.Errorf("the top badge reads %q", badge)
	}
	if *update {
		shot(t, ctx, "../../docs/console-queue.png")
	}
	checkAccessible(t, ctx, "queue")
	keyboard(t, ctx)

	// The top case: its image is blurred, in the DOM and in the bytes.
	must(t, "open the top case", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("tbody tr a.case-link")),
		chromedp.WaitVisible(chromedp.ID("evidence")),
	))
	pv := drawn(t, ctx, `figure.preview img`)
	if pv.State != "blurred" || !pv.Grey || pv.Rough > 2 || pv.Width != 320 || pv.Height != 240 {
		t.Errorf("the preview as drawn: %+v", pv)
	}
	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('figure.preview img').src`))
	must(t, "preview src", err)
	checkDerivative(t, fetchAs(t, ctx, src), s.img)
	checkAccessible(t, ctx, "case")
	checkPrint(t, ctx)
	if *update {
		must(t, "tall window", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1500)))
		shot(t, ctx, "../../docs/console-case.png")
		must(t, "window", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)))
	}

	// Reveal: one click, a POST with a reason, recorded before the bytes
	// are read.
	readsBefore := len(reads(t, s, known))
	must(t, "reveal", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`div.item:has(figure.preview) input[name="why"]`), "Confirm the bank match before deciding"),
		chromedp.Click(chromedp.CSS(`div.item:has(figure.preview) form.reveal button`)),
		chromedp.WaitVisible(chromedp.CSS(`figure.original img`)),
	))
	or := drawn(t, ctx, `figure.original img`)
	if or.State != "revealed" || or.Grey || or.Rough < 8 || or.Width != 320 || or.Height != 240 {
		t.Errorf("the revealed original as drawn: %+v", or)
	}
	rs := reads(t, s, known)
	if len(rs) != readsBefore+1 || rs[len(rs)-1].Who != "alice" || rs[len(rs)-1].Why != "Confirm the bank match before deciding" {
		t.Errorf("evidence reads after the reveal: %+v", rs)
	}

	// Decide to report, then download the package.
	must(t, "decide", chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("d-report")),
		chromedp.SendKeys(chromedp.ID("reason"), "A known image sent to a 15-year-old contact."),
		chromedp.Click(chromedp.CSS("form.decide button")),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
	))
	notice, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notice")))
	c := caseOf(t, s, known)
	if !strings.Contains(notice, "the report has been filed") || c.Status != safeguard.CaseReported || c.DecidedBy != "alice" {
		t.Fatalf("after deciding: notice %q, case %s by %q", notice, c.Status, c.DecidedBy)
	}
	dir := t.TempDir()
	_, err = chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: ptr(true)})
	must(t, "allow downloads", err)
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	must(t, "export", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#export button`))))
	for ev, err := range progress {
		must(t, "download", err)
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			break
		}
	}
	zipPath := filepath.Join(dir, c.ReportReference+".zip")
	zr, err := zip.OpenReader(zipPath)
	must(t, "open the download", err)
	found := false
	for _, f := range zr.File {
		found = found || f.Name == c.ReportReference+"/nca-report.json"
	}
	zr.Close()
	if !found || !strings.Contains(c.ReportReference, "TEST") {
		t.Errorf("the download %s: NCA report found %v", zipPath, found)
	}

	// A forged form token is refused, and nothing changes.
	must(t, "open the reported case", chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/console/cases/%d", s.url, reported)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/claim"]`)),
		chromedp.SetValue(chromedp.CSS(`form[action$="/claim"] input[name="csrf"]`), "forged-token"),
		chromedp.Click(chromedp.CSS(`form[action$="/claim"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")),
	))
	h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if h1 != "Not allowed" || caseOf(t, s, reported).Status != safeguard.CaseOpen {
		t.Errorf("a forged token: page %q, case %s", h1, caseOf(t, s, reported).Status)
	}

	// A chat account's session gets no console page.
	chat, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	must(t, "chat browser", chromedp.Do(chat))
	_, err = chromedp.Call(chat, network.Enable, network.EnableParams{})
	must(t, "network", err)
	_, err = chromedp.Call(chat, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Authorization": "Bearer " + adult.Token}})
	must(t, "bearer header", err)
	must(t, "chat user opens a case", chromedp.Do(chat,
		chromedp.Navigate(fmt.Sprintf("%s/console/cases/%d", s.url, known)),
		chromedp.WaitVisible(chromedp.ID("password")),
	))
	body, _ := chromedp.Run(chat, chromedp.Text(chromedp.CSS("body")))
	if loc := location(t, chat); !strings.HasPrefix(loc, s.url+"/console/login") || strings.Contains(body, "mallory") {
		t.Errorf("a chat session at %s sees %q", loc, body)
	}

	// An ended session goes back to the login page.
	s.clock.advance(31 * time.Minute)
	must(t, "after the idle limit", chromedp.Do(ctx, chromedp.Navigate(s.url+"/console/"), chromedp.WaitVisible(chromedp.ID("password"))))
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if loc := location(t, ctx); !strings.HasPrefix(loc, s.url+"/console/login?ended=1") || !strings.Contains(text, "Your session has ended") {
		t.Errorf("an ended session: at %s, %q", loc, text)
	}
}

// keyboard checks the first Tab reaches the skip link, shown with a focus
// ring, and that following it moves focus to the main content.
func keyboard(t *testing.T, ctx context.Context) {
	t.Helper()
	type focus struct {
		Class   string `json:"class"`
		ID      string `json:"id"`
		Visible bool   `json:"visible"`
		Ring    bool   `json:"ring"`
	}
	read := `(() => { const e = document.activeElement, r = e.getBoundingClientRect(), cs = getComputedStyle(e);
		return {class: e.className, id: e.id, visible: r.top >= 0 && r.height > 0,
			ring: cs.outlineStyle !== 'none' || cs.boxShadow !== 'none'} })()`
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement.blur(), true`))
	must(t, "blur", err)
	must(t, "tab", chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	f, err := chromedp.Run(ctx, chromedp.Evaluate[focus](read))
	must(t, "focus", err)
	if f.Class != "skip" || !f.Visible || !f.Ring {
		t.Errorf("the first Tab focuses %+v, want the visible skip link with a focus ring", f)
	}
	must(t, "enter", chromedp.Do(ctx, chromedp.KeyEvent("\r")))
	f, err = chromedp.Run(ctx, chromedp.Evaluate[focus](read))
	must(t, "focus", err)
	if f.ID != "main" {
		t.Errorf("the skip link leaves focus on %+v", f)
	}
}

// fetchAs fetches url with the browser's session cookie.
func fetchAs(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	must(t, "cookies", err)
	req, _ := http.NewRequest("GET", url, nil)
	for _, c := range res.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, "fetch", err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, "read", err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return b
}

// shot writes a screenshot of the viewport.
func shot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	must(t, "screenshot", err)
	must(t, "write "+path, os.WriteFile(path, b, 0o644))
}

func ptr[T any](v T) *T { return &v }

// checkPrint checks the case page as printed: no navigation and no forms,
// the record itself shown.
func checkPrint(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	must(t, "print media", err)
	type printed struct {
		Forms   int  `json:"forms"`   // forms still shown
		Nav     bool `json:"nav"`     // navigation shown
		Record  bool `json:"record"`  // summary, evidence and timeline shown
		Preview bool `json:"preview"` // the blurred image shown
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[printed](`(() => {
		const shown = e => !!e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().height > 0;
		return {forms: [...document.forms].filter(shown).length, nav: shown(document.querySelector('.top nav')),
			record: ['#summary', '#evidence', '#timeline', '#reads'].every(s => shown(document.querySelector(s))),
			preview: shown(document.querySelector('figure.preview img'))};
	})()`))
	must(t, "printed", err)
	if p.Forms != 0 || p.Nav || !p.Record || !p.Preview {
		t.Errorf("the case page as printed: %+v", p)
	}
	_, err = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
	must(t, "screen media", err)
}
