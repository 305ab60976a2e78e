package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
)

// until waits for a condition, written in JavaScript, to hold in the page,
// through any navigation on the way.
func until(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === 'complete' && (`+cond+`)`))
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: timed out", what)
}

func eval[T any](t *testing.T, ctx context.Context, what, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	must(t, what, err)
	return v
}

// loginAs logs the browser in through the form.
func loginAs(t *testing.T, ctx context.Context, s *stack, name string) {
	t.Helper()
	must(t, "log in", chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/console/login"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/console/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS("table.queue")),
	))
}

// TestConversationInChromium is a grooming case in a real browser: the
// queue names the young person; a search finds the case by their handle;
// the case page shows the conversation near the top, and one reveal with
// one reason opens the whole thread, recorded as one read.
func TestConversationInChromium(t *testing.T) {
	ctx := chrome(t)
	s := newStack(t)
	s.story()
	groom := s.grooming()
	s.moderator("alice", safeguard.RoleModerator)
	loginAs(t, ctx, s, "alice")

	// The queue says who the young person is.
	row := eval[string](t, ctx, "queue row", fmt.Sprintf(`document.querySelector('tr[data-case="%d"] td.young').innerText`, groom))
	for _, w := range []string{"@" + s.h("tia_13"), "teen, 13 to 17", "Police force area", "Still in contact"} {
		if !strings.Contains(row, w) {
			t.Errorf("the queue's young person reads %q, lacking %q", row, w)
		}
	}

	// Search by the young person's handle, on the server.
	must(t, "search", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("f-q"), "@"+s.h("tia_13")),
		chromedp.Click(chromedp.CSS(`form.filters button`)),
	))
	until(t, ctx, "the search's answer", `location.search.includes('q=')`)
	got := eval[[]string](t, ctx, "rows", `[...document.querySelectorAll('tbody tr[data-case]')].map(r => r.dataset.case)`)
	if len(got) != 1 || got[0] != fmt.Sprint(groom) {
		t.Fatalf("the search lists %v, want case %d", got, groom)
	}
	if v := eval[string](t, ctx, "search box", `document.getElementById('f-q').value`); v != "@"+s.h("tia_13") {
		t.Errorf("the search box keeps %q", v)
	}
	checkAccessible(t, ctx, "queue searched")
	if *update {
		shot(t, ctx, "../../docs/console-search.png")
	}

	// The case: the conversation is near the top, its text hidden.
	must(t, "open the case", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("tbody tr a.case-link")),
		chromedp.WaitVisible(chromedp.ID("conversation")),
	))
	top := eval[float64](t, ctx, "where", `document.getElementById('conversation').getBoundingClientRect().top + scrollY`)
	if top > 700 {
		t.Errorf("the conversation starts %.0f px down the page, want it near the top", top)
	}
	if n := eval[int](t, ctx, "messages", `document.querySelectorAll('ol.conversation li.msg').length`); n != 0 {
		t.Errorf("before the reveal %d messages show", n)
	}

	before := len(reads(t, s, groom))
	must(t, "reveal the conversation", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("why-conversation"), "Read the conversation before deciding"),
		chromedp.Click(chromedp.CSS(`form.conversation-reveal button`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.conversation li.msg`)),
	))
	type thread struct {
		Messages int      `json:"messages"`
		Flagged  []string `json:"flagged"`
		Top      float64  `json:"top"`
	}
	th := eval[thread](t, ctx, "the thread", `(() => {
		const ms = [...document.querySelectorAll('ol.conversation li.msg')];
		return {messages: ms.length,
			flagged: ms.filter(m => m.classList.contains('flagged')).map(m => m.querySelector('.marker').innerText),
			top: document.getElementById('conversation').getBoundingClientRect().top + scrollY};
	})()`)
	// Messages 5 to 31: the three flagged ones and up to ten on each side
	// of each, as far as the vault kept them.
	wantFlagged := []string{"Flagged: occurrence 1, message 15", "Flagged: occurrence 2, message 27", "Flagged: occurrence 3, message 31"}
	if th.Messages != 27 || strings.Join(th.Flagged, "|") != strings.Join(wantFlagged, "|") {
		t.Errorf("the thread: %+v", th)
	}
	text := eval[string](t, ctx, "thread text", `document.querySelector('ol.conversation').innerText`)
	for _, w := range []string{"@" + s.h("tia_13") + " (teen, 13 to 17)", "@" + s.h("gary_38") + " (adult)", groomingChat[14].text, "4 earlier messages not shown"} {
		if !strings.Contains(text, w) {
			t.Errorf("the thread lacks %q", w)
		}
	}
	rs := reads(t, s, groom)
	if len(rs) != before+1 || rs[len(rs)-1].Why != "Read the conversation before deciding" || len(rs[len(rs)-1].Covers) == 0 {
		t.Fatalf("the reveal recorded %+v", rs[before:])
	}
	if page := eval[string](t, ctx, "reads", `document.getElementById('reads').innerText`); strings.Count(page, "Read the conversation before deciding") != 1 ||
		!strings.Contains(page, "The conversation, as one thread") {
		t.Errorf("the evidence reads on the page: %s", page)
	}
	checkAccessible(t, ctx, "case with the conversation")
	if *update {
		must(t, "scroll", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1100)))
		_ = eval[bool](t, ctx, "scroll", `(document.getElementById('conversation').scrollIntoView(), true)`)
		shot(t, ctx, "../../docs/console-conversation.png")
		must(t, "window", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)))
	}

	// Another item is still revealed on its own, with its own reason, and
	// the thread stays open beside it.
	must(t, "reveal a record", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`table.records form.reveal input[name="why"]`), "Check the account details"),
		chromedp.Click(chromedp.CSS(`table.records form.reveal button`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.revealed-row`)),
	))
	if n := eval[int](t, ctx, "messages", `document.querySelectorAll('ol.conversation li.msg').length`); n != 27 {
		t.Errorf("after revealing a record the thread shows %d messages", n)
	}
	if rs := reads(t, s, groom); len(rs) != before+2 || len(rs[len(rs)-1].Covers) != 0 || rs[len(rs)-1].Why != "Check the account details" {
		t.Errorf("reads after a second reveal: %+v", rs[before:])
	}
}

// TestBulkNoViolationInChromium selects cases in the queue and closes them
// as no violation with one reason: each decided on its own, and the ones
// that need senior review or are not open listed back.
func TestBulkNoViolationInChromium(t *testing.T) {
	ctx := chrome(t)
	s := newStack(t)
	_, reported, minor, _ := s.story()
	groom := s.grooming()
	s.moderator("alice", safeguard.RoleModerator)
	loginAs(t, ctx, s, "alice")

	for _, id := range []int64{reported, minor, groom} {
		must(t, "select", chromedp.Do(ctx, chromedp.Click(chromedp.ID(fmt.Sprintf("sel-%d", id)))))
	}
	must(t, "decide", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("bulk-reason"), "Checked: no harm found (TEST)"),
		chromedp.Click(chromedp.CSS(`form.bulk fieldset.bulk-decide button`)),
		chromedp.WaitVisible(chromedp.CSS(".bulk-result")),
	))
	res := eval[string](t, ctx, "result", `document.querySelector('.bulk-result').innerText`)
	for _, w := range []string{"No violation: 2 cases decided", fmt.Sprintf("case %d", reported), fmt.Sprintf("case %d", groom),
		fmt.Sprintf("Case %d: It needs senior review", minor)} {
		if !strings.Contains(res, w) {
			t.Errorf("the result lacks %q:\n%s", w, res)
		}
	}
	for id, want := range map[int64]safeguard.CaseStatus{reported: safeguard.CaseClosed, groom: safeguard.CaseClosed, minor: safeguard.CaseOpen} {
		if c := caseOf(t, s, id); c.Status != want {
			t.Errorf("case %d is %s, want %s", id, c.Status, want)
		}
	}
	checkAccessible(t, ctx, "queue after a bulk decision")
}

// TestStatsChartsInChromium draws the statistics page's chart at 1280 and
// 375 pixels wide: no two labels of its key overlap, and a bar whose
// figures are suppressed is labelled <3 or withheld, never 0.
func TestStatsChartsInChromium(t *testing.T) {
	ctx := chrome(t)
	s := newStack(t)
	s.story()
	s.grooming()
	// One case in a second police force area: a count below 3.
	teen := s.userIn("cara_15", 15, "Cambridge")
	adult := s.userIn("carl_40", 40, "Cambridge")
	s.connect(teen, s.h("carl_40"), adult)
	conv, err := adult.CreateConversation(t.Context(), client.ConversationRequest{Members: []string{s.h("cara_15")}})
	must(t, "conversation", err)
	_, err = adult.SendImage(t.Context(), conv.ID, "picture.png", "image/png", s.img, "")
	must(t, "send", err)
	_, err = s.cs.Process(t.Context())
	must(t, "process", err)
	s.moderator("alice", safeguard.RoleModerator)
	loginAs(t, ctx, s, "alice")

	type drawn struct {
		Items    int      `json:"items"`
		Overlaps []string `json:"overlaps"`
		Smallest float64  `json:"smallest"` // the key's smallest font, in CSS pixels
		Labels   []string `json:"labels"`
		Table    string   `json:"table"`
		Overflow bool     `json:"overflow"`
		Wide     []string `json:"wide"`
	}
	const measure = `(() => {
		const items = [...document.querySelectorAll('ul.chart-legend li')];
		const boxes = [];
		for (const li of items) {
			for (const el of [li.querySelector('svg'), ...li.querySelectorAll('span')]) {
				const r = el.getBoundingClientRect();
				boxes.push({li, name: li.innerText.trim(), r});
			}
		}
		const overlaps = [];
		for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
			const a = boxes[i], b = boxes[j];
			if (a.li === b.li) continue;
			if (a.r.left < b.r.right - 0.5 && b.r.left < a.r.right - 0.5 && a.r.top < b.r.bottom - 0.5 && b.r.top < a.r.bottom - 0.5)
				overlaps.push(a.name + ' / ' + b.name);
		}
		const sizes = items.map(li => parseFloat(getComputedStyle(li.querySelector('span')).fontSize));
		return {items: items.length, overlaps, smallest: Math.min(...sizes),
			labels: [...document.querySelectorAll('svg.chart .bar-label')].map(t => t.textContent),
			table: document.querySelector('.stats table').innerText,
			overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
			wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap')).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))};
	})()`
	for _, by := range []string{"force", "source"} {
		for _, width := range []int64{1280, 375} {
			must(t, "viewport", chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)))
			must(t, "stats", chromedp.Do(ctx,
				chromedp.Navigate(s.url+"/console/stats?"+url.Values{"by": {by}, "count": {"cases"}}.Encode()),
				chromedp.WaitVisible(chromedp.CSS("svg.chart")),
			))
			d := eval[drawn](t, ctx, "measure", measure)
			name := fmt.Sprintf("by %s at %d px", by, width)
			if d.Items < 3 || len(d.Overlaps) > 0 || d.Smallest < 12 || d.Overflow {
				t.Errorf("%s: the key has %d items, overlaps %v, smallest text %.1f px, page overflows %v %v", name, d.Items, d.Overlaps, d.Smallest, d.Overflow, d.Wide)
			}
			if !strings.Contains(d.Table, "<3") {
				t.Fatalf("%s: no suppressed cell in the table:\n%s", name, d.Table)
			}
			hidden := false
			for _, l := range d.Labels {
				if l == "0" || strings.HasPrefix(l, "0 ") || strings.HasPrefix(l, "0;") || strings.HasPrefix(l, "0,") {
					t.Errorf("%s: a bar reads %q", name, l)
				}
				hidden = hidden || strings.Contains(l, "<3") || strings.Contains(l, "withheld")
			}
			if !hidden {
				t.Errorf("%s: no bar names a suppressed cell: %q", name, d.Labels)
			}
		}
	}
	must(t, "viewport", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)))
	checkAccessible(t, ctx, "statistics")
}
