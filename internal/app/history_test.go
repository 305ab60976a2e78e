package app_test

import (
	"fmt"
	"slices"
	"strings"
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

// TestLiveMessageWhileHistoryLoadsInChromium: a message that comes live
// while the chat's history is on its way is shown, in order, once the
// history is in. The page holds back the history's answer (the server has
// written it, without the message) until the message's live event, and the
// notice that follows it on the stream, have reached the page.
func TestLiveMessageWhileHistoryLoadsInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		teenHandle, adultHandle := s.account("noor", 14), s.account("coach_al", 41)
		teenAPI, adultAPI := login(t, s, teenHandle), login(t, s, adultHandle)
		req, err := teenAPI.RequestContact(ctx, adultHandle)
		must(t, "request", err)
		_, err = adultAPI.AcceptContact(ctx, req.ID)
		must(t, "accept", err)
		conv, err := adultAPI.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}})
		must(t, "conversation", err)
		_, err = adultAPI.SendText(ctx, conv.ID, "training moved to four")
		must(t, "send", err)
		flagged := testImage(160, 120, 43)
		s.flag(flagged)

		teen := b.person(t, "noor", 375, 812)
		teen.logIn(s.url, teenHandle)
		eval[bool](teen, `(() => {
			const real = window.fetch;
			window.__held = false;
			window.fetch = async (input, init) => {
				const res = await real(input, init);
				const url = String(input instanceof Request ? input.url : input);
				if (!window.__held && /\/api\/v1\/conversations\/\d+\/messages\?limit=30$/.test(url)) {
					await new Promise(resolve => { window.__release = resolve; window.__held = true; });
				}
				return res;
			};
			return true })()`)
		eval[bool](teen, fmt.Sprintf(`(location.hash = '#/chat/%d', true)`, conv.ID))
		teen.waitFor("the history's answer held back", `window.__held === true`)
		_, err = adultAPI.SendText(ctx, conv.ID, "see you at the match")
		must(t, "text", err)
		// The adult's flagged picture is held; the teen's notice about it
		// comes on the stream after the text's event.
		_, err = adultAPI.SendImage(ctx, conv.ID, "stand.png", "image/png", flagged, "")
		must(t, "image", err)
		teen.waitFor("the notice above the page", `!!document.querySelector('#alerts [data-notice=nudity_stopped]')`)
		eval[bool](teen, `(window.__release(), true)`)
		teen.waitText("main .log", "see you at the match")
		order := eval[string](teen, `[...document.querySelectorAll('main .log li.msg .text')].map(e => e.textContent).join(' | ')`)
		if order != "training moved to four | see you at the match" {
			t.Errorf("the chat reads %q", order)
		}
	})
}

// TestPageLeftWhileDrawingInChromium: a page left while it still drew
// (Contacts, waiting for its list) ends when it is done, and the page shown
// meanwhile (a chat) keeps its own cleanup: once the person goes on again,
// the chat no longer listens, so a message that comes then is not marked
// read by a chat that is not on the screen.
func TestPageLeftWhileDrawingInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		liaHandle, benHandle := s.account("pl_lia", 33), s.account("pl_ben", 34)
		lia, ben := login(t, s, liaHandle), login(t, s, benHandle)
		conv := chatBetween(t, lia, ben)
		first, err := ben.SendText(ctx, conv.ID, "the bus leaves at nine")
		must(t, "send", err)

		p := b.person(t, "lia", 1024, 768)
		p.logIn(s.url, liaHandle)
		row := fmt.Sprintf(`main li[data-conversation="%d"]`, conv.ID)
		p.waitText(row, benHandle)
		eval[bool](p, `(() => {
			const real = window.fetch;
			window.__held = false;
			window.fetch = async (input, init) => {
				const res = await real(input, init);
				const url = String(input instanceof Request ? input.url : input);
				if (!window.__held && /\/api\/v1\/contacts$/.test(url)) {
					await new Promise(resolve => { window.__release = resolve; window.__held = true; });
					setTimeout(() => { window.__drawn = true }, 200);
				}
				return res;
			};
			return true })()`)
		eval[bool](p, `(location.hash = '#/contacts', true)`)
		p.waitFor("the contacts list held back", `window.__held === true`)
		eval[bool](p, fmt.Sprintf(`(location.hash = '#/chat/%d', true)`, conv.ID))
		p.waitText("main .log", "the bus leaves at nine")
		// The chat on the screen marks what it shows read.
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			marks, err := ben.ReadMarkers(ctx, conv.ID)
			must(t, "read markers", err)
			if slices.ContainsFunc(marks, func(m client.ReadMarker) bool {
				return strings.EqualFold(m.Handle, liaHandle) && m.MessageID == first.ID
			}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the chat on the screen never marked its message read: %+v", marks)
			}
		}
		eval[bool](p, `(window.__release(), true)`)
		p.waitFor("Contacts done drawing", `window.__drawn === true`)
		eval[bool](p, `(location.hash = '#/settings', true)`)
		p.waitFor("Settings", `!!document.querySelector('main h1') && !document.querySelector('main .log')`)

		_, err = ben.SendText(ctx, conv.ID, "bring a coat")
		must(t, "send", err)
		// A chat still listening would read it at once: the count stays.
		eval[bool](p, `(location.hash = '#/chats', true)`)
		p.waitText(row+" .unread", "1")
		time.Sleep(time.Second)
		unread := func(when string) {
			t.Helper()
			marks, err := ben.ReadMarkers(ctx, conv.ID)
			must(t, "read markers", err)
			for _, m := range marks {
				if strings.EqualFold(m.Handle, liaHandle) && m.MessageID > first.ID {
					t.Errorf("%s: a message not shown is marked read by %s (marker at %d, the first message %d)", when, m.Handle, m.MessageID, first.ID)
				}
			}
		}
		unread("after the chat was left")

		// A chat left while its history loads marks nothing read.
		eval[bool](p, `(() => {
			const real = window.fetch;
			window.__held2 = false;
			window.fetch = async (input, init) => {
				const res = await real(input, init);
				const url = String(input instanceof Request ? input.url : input);
				if (!window.__held2 && /\/api\/v1\/conversations\/\d+\/messages\?limit=30$/.test(url)) {
					await new Promise(resolve => { window.__release2 = resolve; window.__held2 = true; });
					setTimeout(() => { window.__drawn2 = true }, 500);
				}
				return res;
			};
			return true })()`)
		eval[bool](p, fmt.Sprintf(`(location.hash = '#/chat/%d', true)`, conv.ID))
		p.waitFor("the history held back", `window.__held2 === true`)
		eval[bool](p, `(location.hash = '#/settings', true)`)
		p.waitFor("Settings", `!!document.querySelector('main h1') && !document.querySelector('main .log')`)
		eval[bool](p, `(window.__release2(), true)`)
		p.waitFor("the chat done loading", `window.__drawn2 === true`)
		unread("after a chat left while it loaded")
	})
}
