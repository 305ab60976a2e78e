package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// TestUnreadAndReportQuoteInChromium: with Chats open, messages that arrive
// put a count beside the chat, live, said in words to a screen reader;
// opening the chat reads them and the count goes. Reporting a message, the
// dialog quotes it (on a phone the dialog covers the chat), and a photo is
// quoted as "A photo".
func TestUnreadAndReportQuoteInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		liaHandle := s.account("ur_lia", 35)
		benHandle := s.account("ur_ben", 36)
		lia, ben := login(t, s, liaHandle), login(t, s, benHandle)
		conv := chatBetween(t, lia, ben)

		p := b.person(t, "lia", 375, 812)
		p.logIn(s.url, liaHandle)
		row := fmt.Sprintf(`main li[data-conversation="%d"]`, conv.ID)
		p.waitText(row, benHandle)
		if eval[bool](p, `!!document.querySelector('main .unread')`) {
			t.Error("an unread count before any message")
		}
		_, err := ben.SendText(ctx, conv.ID, "are we still on for the climbing wall?")
		must(t, "send", err)
		_, err = ben.SendText(ctx, conv.ID, "bring the blue rope")
		must(t, "send", err)
		p.waitText(row+" .unread", "2")
		desc := eval[string](p, `(() => { const a = document.querySelector('`+row+` a'); const d = document.getElementById(a.getAttribute('aria-describedby') || ''); return d ? d.textContent : '' })()`)
		if desc != "2 new messages" {
			t.Errorf("the chat's link is described as %q to a screen reader", desc)
		}
		checkAccessible(t, p, "chats with a new message")

		p.click(row, benHandle)
		p.waitText("main .log", "bring the blue rope")
		p.click("main .log li.msg:last-of-type", "Report")
		p.waitText("dialog.report blockquote", "bring the blue rope")
		checkAccessible(t, p, "the report dialog")
		p.click("dialog.report", "Cancel")
		_, err = ben.SendImage(ctx, conv.ID, "wall.png", "image/png", testImage(120, 80, 3), "")
		must(t, "photo", err)
		p.waitFor("the photo", `document.querySelectorAll('main .log li.msg').length === 3`)
		// The photo loads after its message is drawn and moves the Report
		// button down: click once it is in place.
		p.waitFor("the photo loaded", `(() => { const i = document.querySelector('main .log li.msg:last-of-type img'); return !!i && i.complete && i.naturalWidth > 0 })()`)
		p.click("main .log li.msg:last-of-type", "Report")
		p.waitText("dialog.report blockquote", "A photo")
		p.click("dialog.report", "Cancel")

		eval[bool](p, `(() => { location.hash = '#/chats'; return true })()`)
		p.waitText(row, benHandle)
		p.waitFor("the count gone once read", `!document.querySelector('main .unread')`)
	})
}

// chatBetween makes a and b contacts (a asks, b accepts) and returns b's
// new one-to-one chat with a.
func chatBetween(t *testing.T, a, b *client.Client) *client.Conversation {
	t.Helper()
	ctx := t.Context()
	req, err := a.RequestContact(ctx, b.Handle)
	must(t, "request", err)
	_, err = b.AcceptContact(ctx, req.ID)
	must(t, "accept", err)
	conv, err := b.CreateConversation(ctx, client.ConversationRequest{Members: []string{a.Handle}})
	must(t, "conversation", err)
	return conv
}
