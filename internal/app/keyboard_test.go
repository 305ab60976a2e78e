package app_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// activeName is the accessible name of the focused element, as finder
// reads names.
const activeName = `(() => { const e = document.activeElement; if (!e || e === document.body) return '';
	if (e.getAttribute('aria-label')) return e.getAttribute('aria-label');
	if (e.labels && e.labels.length) return [...e.labels].map(l => l.textContent).join(' ').trim();
	return e.textContent.replace(/\s+/g, ' ').trim(); })()`

// tabTo presses Tab until the focused element is named name, and checks
// that its focus can be seen.
func (p *tab) tabTo(name string) {
	p.t.Helper()
	var seen []string
	for range 60 {
		p.do("Tab", chromedp.KeyEvent("\t"))
		got := eval[string](p, activeName)
		if strings.EqualFold(got, name) {
			ring := eval[string](p, `(() => { const s = getComputedStyle(document.activeElement);
				const f = document.activeElement.closest('.file'); const l = f ? getComputedStyle(f.querySelector('label')) : s;
				return s.outlineStyle + '/' + l.outlineStyle + '/' + s.boxShadow })()`)
			if ring == "none/none/none" {
				p.t.Errorf("%s: %q has no visible focus", p.name, name)
			}
			return
		}
		seen = append(seen, got)
	}
	p.t.Fatalf("%s: Tab never reached %q; it went through %q", p.name, name, seen)
}

// TestKeyboardOnlyInChromium: with the keyboard alone a person logs in,
// goes to Contacts, sends a request, opens a chat from the list and sends
// a message, every control reached with Tab and its focus visible.
func TestKeyboardOnlyInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		meH, friendH := s.account("kim_k", 29), s.account("lee_l", 31)
		friend := login(t, s, friendH)
		p := b.person(t, "kim", 375, 812)
		p.open(s.url + "/#/login")
		if got := eval[string](p, activeName); got != "Username" {
			t.Errorf("the log-in page starts at %q", got)
		}
		p.do("log in", chromedp.KeyEvent(meH), chromedp.KeyEvent("\t"), chromedp.KeyEvent(pw), chromedp.KeyEvent("\r"))
		p.waitText("main h1", "Chats")

		p.tabTo("Contacts")
		p.do("Enter", chromedp.KeyEvent("\r"))
		p.waitText("main h1", "Contacts")
		p.tabTo("Add someone")
		p.do("type", chromedp.KeyEvent(friendH))
		p.tabTo("Send request")
		p.do("Enter", chromedp.KeyEvent("\r"))
		p.waitText("main .result", "Request sent to "+friendH)

		// The friend accepts and starts a chat; Kim opens it from her list.
		c, err := friend.Contacts(ctx)
		must(t, "contacts", err)
		if len(c.Incoming) != 1 {
			t.Fatalf("the friend has %d requests", len(c.Incoming))
		}
		_, err = friend.AcceptContact(ctx, c.Incoming[0].ID)
		must(t, "accept", err)
		_, err = friend.SendDirect(ctx, meH, "hello kim")
		must(t, "send", err)
		p.tabTo("Chats")
		p.do("Enter", chromedp.KeyEvent("\r"))
		p.waitText("main .chats", friendH)
		p.tabTo(friendH)
		p.do("Enter", chromedp.KeyEvent("\r"))
		p.waitText("main .log", "hello kim")
		p.tabTo("Report")
		p.tabTo("Message")
		p.do("type", chromedp.KeyEvent("hi lee, typed without a mouse"), chromedp.KeyEvent("\r"))
		p.waitText("main .log", "hi lee, typed without a mouse")
		p.waitFor("the focus to stay in the message box", activeName+` === 'Message'`)
		p.tabTo("Add a photo")
		p.tabTo("Send")
	})
}
