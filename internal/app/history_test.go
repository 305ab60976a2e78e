package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// TestHistoryAndReconnectInChromium: a long chat opens at its newest
// messages and loads older ones as the person scrolls up, in order; when
// the connection drops, the app reconnects and shows what was sent
// meanwhile.
func TestHistoryAndReconnectInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		aH, bH := s.account("ann_x", 35), s.account("ben_y", 36)
		a, bc := login(t, s, aH), login(t, s, bH)
		req, err := a.RequestContact(ctx, bH)
		must(t, "request", err)
		_, err = bc.AcceptContact(ctx, req.ID)
		must(t, "accept", err)
		conv, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{bH}})
		must(t, "conversation", err)
		const n = 75
		for i := 1; i <= n; i++ {
			_, err := a.SendText(ctx, conv.ID, fmt.Sprintf("line %02d", i))
			must(t, "send", err)
		}
		ben := b.person(t, "ben", 375, 812)
		ben.logIn(s.url, bH)
		ben.open(fmt.Sprintf("%s/#/chat/%d", s.url, conv.ID))
		ben.waitText("main .log", "line 75")
		if got := eval[int](ben, `document.querySelectorAll('main .log li.msg').length`); got >= n {
			t.Fatalf("the chat opened with all %d messages", got)
		}
		// Scroll up until everything is there.
		ben.waitFor("the whole history", `(() => { const l = document.querySelector('main .log'); l.scrollTop = 0;
			l.dispatchEvent(new Event('scroll')); return l.querySelectorAll('li.msg').length === 75 })()`)
		order := eval[string](ben, `[...document.querySelectorAll('main .log li.msg .text')].map(e => e.textContent.slice(5)).join(',')`)
		want := ""
		for i := 1; i <= n; i++ {
			if i > 1 {
				want += ","
			}
			want += fmt.Sprintf("%02d", i)
		}
		if order != want {
			t.Errorf("the history reads %s", order)
		}

		// The stream ends (the server ends it when one of Ben's memberships
		// ends: Ann removes him from another group); a message comes before
		// the app is back; it is there once the app has reconnected, and the
		// next one comes live.
		group, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{bH}, Title: "Book club"})
		must(t, "group", err)
		_, err = a.RemoveMember(ctx, group.ID, bH)
		must(t, "remove", err)
		time.Sleep(200 * time.Millisecond)
		_, err = a.SendText(ctx, conv.ID, "sent while you were away")
		must(t, "send", err)
		ben.waitText("main .log", "sent while you were away")
		_, err = a.SendText(ctx, conv.ID, "and this one live")
		must(t, "send", err)
		ben.waitText("main .log", "and this one live")
		if got := eval[int](ben, `document.querySelectorAll('main .log li.msg').length`); got != n+2 {
			t.Errorf("the log holds %d messages, want %d", got, n+2)
		}
	})
}
