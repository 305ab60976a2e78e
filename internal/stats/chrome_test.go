package stats

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/safeguard-dev/safeguard/internal/golden"
)

const chromiumPath = "/usr/bin/chromium"

// TestHTMLChartInChromium opens the East of England page in headless
// Chromium and checks what the browser actually drew: a segment per app for
// each force that provided figures, every one with a size, in proportion to
// its count, and no bar for the forces that did not.
func TestHTMLChartInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent", chromiumPath)
	}
	page := filepath.Join(t.TempDir(), "east.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := NewTable(importEast(t)).Render(f, FormatHTML); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1200, 900),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(ctx)
	defer cancelCtx()

	type segment struct {
		Force, App string
		Value      int
		Width      float64
	}
	type result struct {
		Forces      int
		NotProvided []string
		Outlines    int
		Segments    []segment
		Title       string
		Labelled    bool
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+page),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")),
	); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[result](`(() => {
			const svg = document.querySelector('svg.chart');
			const ids = (svg.getAttribute('aria-labelledby') || '').split(' ');
			return {
				forces: svg.querySelectorAll('g.force').length,
				notProvided: [...svg.querySelectorAll('rect.not-provided')].map(r => r.closest('g.force').dataset.force),
				outlines: svg.querySelectorAll('rect.total-outline').length,
				segments: [...svg.querySelectorAll('rect.segment')].map(r => ({
					force: r.closest('g.force').dataset.force,
					app: r.dataset.app,
					value: Number(r.dataset.value),
					width: r.getBoundingClientRect().width,
				})),
				title: svg.querySelector('title').textContent,
				labelled: svg.getAttribute('role') === 'img' && ids.every(id => document.getElementById(id)),
			};
		})()`))
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	t.Logf("drawn: %d forces, %d outlines, %d segments, not provided %v", got.Forces, got.Outlines, len(got.Segments), got.NotProvided)
	if got.Forces != 7 || got.Outlines != 5 {
		t.Errorf("%d force groups and %d total outlines, want 7 and 5", got.Forces, got.Outlines)
	}
	if len(got.NotProvided) != 2 || got.NotProvided[0] != "Essex" || got.NotProvided[1] != "Northamptonshire" {
		t.Errorf("not provided marks for %v, want Essex and Northamptonshire", got.NotProvided)
	}
	if len(got.Segments) != 15 {
		t.Fatalf("%d bar segments, want 15 (5 forces × 3 apps)", len(got.Segments))
	}
	// Width per offence must be the same for every segment.
	perUnit := got.Segments[0].Width / float64(got.Segments[0].Value)
	for _, s := range got.Segments {
		if s.Width <= 0 {
			t.Errorf("%s %s: not drawn", s.Force, s.App)
			continue
		}
		if math.Abs(s.Width/float64(s.Value)-perUnit) > 0.02*perUnit {
			t.Errorf("%s %s: %d drawn %.1f px wide, want about %.1f", s.Force, s.App, s.Value, s.Width, perUnit*float64(s.Value))
		}
	}
	if got.Title == "" || !got.Labelled {
		t.Errorf("chart title %q, labelled %v: want an accessible name and description", got.Title, got.Labelled)
	}
	if golden.Update() { // refresh the screenshot in docs/
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../../docs/stats-returns.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
