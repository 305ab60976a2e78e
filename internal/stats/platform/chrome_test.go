package platform

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/safeguard-dev/safeguard/internal/golden"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

const chromiumPath = "/usr/bin/chromium"

// chrome opens a page written by write in headless Chromium and returns
// the tab. The test is skipped when Chromium is absent.
func chrome(t *testing.T, write func(*bytes.Buffer) error) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent", chromiumPath)
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1200, 900),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	if err := chromedp.Do(tab, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return tab
}

// screenshot rewrites a screenshot under docs/ with -update.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !golden.Update() {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "..", "docs", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// printed prints the page to PDF and returns its size: the page must print.
func printed(t *testing.T, ctx context.Context) int {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{})
	if err != nil {
		t.Fatalf("print: %v", err)
	}
	return len(res.Data)
}

// TestPlatformTableInChromium draws the published table of the fixture's
// quarter by app and checks what the browser drew: a segment only for each
// count that is shown, in proportion, none for a suppressed or withheld
// one, and the page prints.
func TestPlatformTableInChromium(t *testing.T) {
	tb := stats.NewTable(Table(quarterOfCases(), Query{Period: q3, By: ByApp, Apps: []string{"chat", "kids"}, Now: countedAt}))
	tb.Suppress(stats.SuppressBelow)
	ctx := chrome(t, func(b *bytes.Buffer) error { return tb.Render(b, stats.FormatHTML) })
	type segment struct {
		Force, App string
		Value      int
		Width      float64
	}
	type result struct {
		Segments []segment
		Labels   []string
		Desc     string
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[result](`(() => {
		const svg = document.querySelector('svg.chart');
		return {
			segments: [...svg.querySelectorAll('rect.segment')].map(r => ({
				force: r.closest('g.force').dataset.force, app: r.dataset.app,
				value: Number(r.dataset.value), width: r.getBoundingClientRect().width,
			})),
			labels: [...svg.querySelectorAll('text.bar-label')].map(t => t.textContent),
			desc: svg.querySelector('desc').textContent,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]map[string]string{}
	for i, r := range tb.Dataset.Rows {
		shown[r.Force] = map[string]string{}
		for j, c := range tb.Dataset.Columns {
			shown[r.Force][c.Name] = tb.Cells[i][j].String()
		}
	}
	want := 0
	for _, apps := range shown {
		for app, v := range apps {
			if app != "cases" && v != "<3" && v != "withheld" && v != "0" {
				want++
			}
		}
	}
	if len(got.Segments) != want {
		t.Errorf("%d segments drawn, want %d (one per app count shown): %+v", len(got.Segments), want, got.Segments)
	}
	for _, s := range got.Segments {
		if shown[s.Force][s.App] != fmtInt(s.Value) || s.Width <= 0 {
			t.Errorf("segment %+v: the table shows %q", s, shown[s.Force][s.App])
		}
	}
	if len(got.Segments) > 1 {
		per := got.Segments[0].Width / float64(got.Segments[0].Value)
		for _, s := range got.Segments[1:] {
			if math.Abs(s.Width/float64(s.Value)-per) > 0.02*per {
				t.Errorf("%s %s: %d drawn %.1f px wide, want about %.1f", s.Force, s.App, s.Value, s.Width, per*float64(s.Value))
			}
		}
	}
	for _, l := range got.Labels {
		if l == "" {
			t.Error("a bar without its label")
		}
	}
	if n := printed(t, ctx); n < 1000 {
		t.Errorf("the page printed to %d bytes of PDF", n)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "screen"}); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "stats-platform.png")
}

func fmtInt(n int) string { return stats.Num(int64(n)).String() }

// quarterOfCases is a fuller quarter than the fixture, for a chart with
// bars: cases by area and app, user reports.
func quarterOfCases() []Case {
	counts := []struct {
		area       Area
		chat, kids int
	}{
		{bedford, 14, 6},
		{cambs, 9, 3},
		{Area{Code: "E23000028", Name: "Essex"}, 4, 1},
		{Area{Code: "E23000027", Name: "Hertfordshire"}, 0, 2},
		{Area{}, 1, 0},
	}
	var cs []Case
	at := day(2026, 7, 1).Add(10 * time.Hour)
	for _, c := range counts {
		for app, n := range map[string]int{"chat": c.chat, "kids": c.kids} {
			for range n {
				cs = append(cs, mk(int64(len(cs)+1), c.area, app, "user_report", 3, at))
			}
		}
	}
	return cs
}

// TestTransparencyInChromium opens the transparency report: every section
// is there, every table has its header cells, and it prints.
func TestTransparencyInChromium(t *testing.T) {
	r := suppressed(transparencyTables(transparencyFixture(), TransparencyInput{Service: "Safeguard", Period: q3, Now: countedAt,
		Encryption: policy.NSPCC, Banks: testBanks, BanksConfigured: true}))
	ctx := chrome(t, func(b *bytes.Buffer) error { return r.Render(b, stats.FormatHTML) })
	type result struct {
		Title    string
		Sections []string
		Tables   int
		Headed   int
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[result](`(() => ({
		title: document.querySelector('h1').textContent,
		sections: [...document.querySelectorAll('h2')].map(h => h.textContent),
		tables: document.querySelectorAll('table').length,
		headed: [...document.querySelectorAll('table')].filter(t => t.querySelector('thead th[scope=col]')).length,
	}))()`))
	if err != nil {
		t.Fatal(err)
	}
	wantSections := []string{"Encryption in force", "What the platform found", "How fast it acted", "Decisions", "Appeals",
		"Reports to law enforcement", "Hash banks in use", "About these figures"}
	if got.Title != "Safeguard transparency report, 2026-Q3" || len(got.Sections) != len(wantSections) {
		t.Fatalf("title %q, sections %v", got.Title, got.Sections)
	}
	for i, s := range wantSections {
		if got.Sections[i] != s {
			t.Errorf("section %d is %q, want %q", i+1, got.Sections[i], s)
		}
	}
	if got.Tables != 6 || got.Headed != 6 {
		t.Errorf("%d tables, %d with column headers; want 6 and 6", got.Tables, got.Headed)
	}
	screenshot(t, ctx, "transparency.png")
	if n := printed(t, ctx); n < 1000 {
		t.Errorf("the report printed to %d bytes of PDF", n)
	}
}
