package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/safeguard-dev/safeguard/client"
)

// TestRelativesChatLiveInChromium: a teen on a phone adds her aunt, who
// accepts on a desktop; they chat live, the aunt sends a photo (a
// generated textured picture), the teen chooses to see it, and the aunt
// sees that the teen has read her message.
func TestRelativesChatLiveInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		teenHandle := s.account("ella", 14)
		auntHandle := s.account("aunt_jo", 44)
		teen := b.person(t, "teen", 375, 812)
		aunt := b.person(t, "aunt", 1280, 1000)
		teen.logIn(s.url, teenHandle)
		aunt.logIn(s.url, auntHandle)
		aunt.open(s.url + "/#/contacts")

		// The teen asks; the server's support notice for a young person
		// adding an adult is shown as it was sent.
		teen.open(s.url + "/#/contacts")
		teen.fill("main", "Add someone", auntHandle)
		teen.click("main", "Send request")
		teen.waitText("main .result", "Request sent to "+auntHandle)
		teen.waitText("main .result", "Only add adults you know in real life.")

		// The aunt's page shows the request live; she accepts.
		row := fmt.Sprintf(`main li[data-handle="%s"]`, teenHandle)
		aunt.click(row, "Accept")
		aunt.waitText(`main section[aria-label="Your contacts"]`, teenHandle)
		aunt.open(s.url + "/#/chats")

		// The teen's list shows the new contact live; she starts a chat.
		teen.click(fmt.Sprintf(`main li[data-handle="%s"]`, auntHandle), "Chat")
		teen.waitText("main h1", auntHandle)
		teen.waitText("main .encryption", "This chat includes a young person, so it is not end-to-end encrypted.")

		teen.fill("main", "Message", "hi auntie, are you coming on sunday?")
		teen.click("main", "Send")
		teen.waitText("main .log", "hi auntie, are you coming on sunday?")

		// The aunt's chat list gets the conversation live; she opens it.
		aunt.click("main .chats", teenHandle)
		aunt.waitText("main .log", "hi auntie, are you coming on sunday?")
		aunt.fill("main", "Message", "yes! I'll bring the cake")
		aunt.click("main", "Send")
		teen.waitText("main .log", "yes! I'll bring the cake")
		aunt.waitText("main .seen", "Seen by "+teenHandle)

		// A photo, live: the aunt sees hers; the teen chooses to see it.
		pic := filepath.Join(t.TempDir(), "garden.png")
		img := testImage(240, 160, 11)
		if err := os.WriteFile(pic, img, 0o600); err != nil {
			t.Fatal(err)
		}
		sel := aunt.find("main", "Add a photo", "control")
		aunt.do("choose a photo", chromedp.SetUploadFiles(chromedp.CSS(sel), []string{pic}))
		aunt.waitFor("her own photo", `!!document.querySelector('main .msg.mine img[data-state=shown]')`)
		teen.click("main .log li.msg:last-of-type", "Show photo")
		got := drawn(t, teen, "main .log li.msg:last-of-type img")
		if got.Width != 240 || got.Height != 160 || got.Grey || got.Rough < 5 {
			t.Errorf("the teen's browser drew %+v", got)
		}
		if alt := eval[string](teen, `document.querySelector('main .log li.msg:last-of-type img').alt`); alt != "Photo from "+auntHandle {
			t.Errorf("the photo's alt text is %q", alt)
		}

		// Nothing of the session in web storage; the chat page passes the
		// accessibility checks on the phone.
		for _, p := range []*tab{teen, aunt} {
			if st := p.storage(); st != `{"local":[],"session":[],"cookie":""}` {
				t.Errorf("%s: the app keeps %s", p.name, st)
			}
		}
		checkAccessible(t, teen, "the teen's chat")

		// What the teen's browser loaded of the app for all this (log in,
		// contacts, a chat), compressed.
		w := teen.loaded()
		t.Logf("the teen's browser loaded %d bytes of the app: %v", w.Bytes, w.Files)
		if w.Bytes > weightBudget || len(w.Files) < 8 {
			t.Errorf("the app loaded %d bytes in %d files", w.Bytes, len(w.Files))
		}
	})
}

// TestStrangerSeesUnknownInChromium: an adult stranger who types a teen's
// username into "Add someone" sees exactly what a username nobody has
// shows.
func TestStrangerSeesUnknownInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		teenHandle := s.account("mia", 13)
		strangerHandle := s.account("friendly_guy", 38)
		stranger := b.person(t, "stranger", 375, 812)
		stranger.logIn(s.url, strangerHandle)
		stranger.open(s.url + "/#/contacts")
		stranger.waitText("main", "Your contacts")

		try := func(handle string) (string, string) {
			stranger.fill("main", "Add someone", handle)
			stranger.click("main", "Send request")
			stranger.waitFor("an answer", `!!document.querySelector('main form.add .error:not([hidden])') || !!document.querySelector('main .result p')`)
			msg := stranger.text("main form.add .error")
			shown := stranger.text("main")
			eval[bool](stranger, `(() => { const e = document.querySelector('main form.add .error'); e.hidden = true; e.textContent = ''; return true })()`)
			return msg, shown
		}
		teenMsg, teenPage := try(teenHandle)
		unknownMsg, unknownPage := try("nobody_here.4821")
		if teenMsg == "" || teenMsg != unknownMsg {
			t.Errorf("the teen's username shows %q, an unknown one %q", teenMsg, unknownMsg)
		}
		teenPage = strings.ReplaceAll(teenPage, teenHandle, "X")
		unknownPage = strings.ReplaceAll(unknownPage, "nobody_here.4821", "X")
		if teenPage != unknownPage {
			t.Errorf("the pages differ:\n%s\n---\n%s", teenPage, unknownPage)
		}
		if strings.Contains(teenPage, "Request sent") || strings.Contains(teenMsg, "account_not_found") {
			t.Errorf("the stranger was told %q", teenPage)
		}
	})
}

// TestRiskWarningInChromium: an adult the teen added writes in a way the
// grooming rules know; the warning appears under the message it is about,
// with Childline's number as a tel: link and its online chat; from it the
// teen blocks and reports, and the receipt brings Report Remove.
func TestRiskWarningInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		teenHandle := s.account("noah", 14)
		adultHandle := s.account("coach_rob", 36)
		teenAPI, adultAPI := login(t, s, teenHandle), login(t, s, adultHandle)
		req, err := teenAPI.RequestContact(ctx, adultHandle)
		must(t, "request", err)
		_, err = adultAPI.AcceptContact(ctx, req.ID)
		must(t, "accept", err)
		conv, err := adultAPI.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}})
		must(t, "conversation", err)
		events, err := teenAPI.Events(ctx)
		must(t, "events", err)

		teen := b.person(t, "teen", 375, 812)
		teen.logIn(s.url, teenHandle)
		teen.waitText("main .chats", adultHandle)

		// The messages come while the teen looks at her chat list.
		var sent []int64
		for _, text := range []string{"good game on saturday, well played", "your parents wouldnt understand, they dont get you like i do", "anyway see you at training"} {
			m, err := adultAPI.SendText(ctx, conv.ID, text)
			must(t, "send", err)
			sent = append(sent, m.ID)
		}
		// Which message the server says the warning is about, from the
		// teen's own event stream.
		var about int64
		for about == 0 {
			select {
			case ev := <-events:
				if ev.Type == "safety.notice" && ev.Message != nil {
					about = ev.Message.ID
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no safety.notice event")
			}
		}
		if about != sent[1] {
			t.Fatalf("the warning is about message %d, want %d", about, sent[1])
		}
		// The list says the chat has a safety message; in the chat it is
		// under the message it is about, not at the end.
		teen.waitText("main .chats", "Is this chat OK?")
		teen.click("main .chats", adultHandle)
		teen.waitText("main .log", "anyway see you at training")
		teen.waitFor("the warning", `!!document.querySelector('main .log [data-notice=risk_warning]')`)
		placed := eval[string](teen, `(() => { const n = document.querySelector('main .log [data-notice=risk_warning]').closest('li');
			const p = n.previousElementSibling; return p ? p.dataset.id : '' })()`)
		if placed != fmt.Sprint(sent[1]) {
			t.Errorf("the warning is under message %s, want %d", placed, sent[1])
		}
		warning := "main .log [data-notice=risk_warning]"
		checkAccessible(t, teen, "the risk warning")
		if txt := teen.text(warning); !contains(txt, "Is this chat OK?", "You don't have to reply.", "0800 1111") {
			t.Errorf("the warning reads %q", txt)
		}
		tel := eval[string](teen, `(() => { const a = document.querySelector('main .log [data-notice=risk_warning] a[href^="tel:"]'); return a ? a.getAttribute('href') + '|' + a.textContent : '' })()`)
		if !strings.HasPrefix(tel, "tel:08001111|") || !strings.Contains(tel, "0800 1111") {
			t.Errorf("the Childline link is %q", tel)
		}
		if n := eval[int](teen, `document.querySelectorAll('main .log [data-notice=risk_warning] a[href^="https://www.childline.org.uk/"]').length`); n != 1 {
			t.Errorf("%d links to Childline's online chat", n)
		}

		// Report from the warning: Reason, a note, Send report; the
		// receipt is the server's, with Report Remove.
		teen.click(warning, "Report")
		teen.choose("dialog", "Reason", "Something else")
		teen.fill("dialog", "Anything you want to add (you can leave this empty)", "TEST report from the browser test")
		checkAccessible(t, teen, "the report dialog")
		teen.click("dialog", "Send report")
		teen.waitText("dialog", "Report sent")
		teen.waitText("dialog", "Thank you for telling us")
		if n := eval[int](teen, `document.querySelectorAll('dialog a[href*="remove-nude-image"]').length`); n != 1 {
			t.Errorf("the receipt has %d Report Remove links: %s", n, teen.text("dialog"))
		}
		teen.click("dialog", "Close")

		// Block from the warning.
		teen.click(warning, "Block")
		teen.waitText(warning, "You blocked "+adultHandle)
		teen.waitText(warning, "They can't send you messages now.")
		if _, err := adultAPI.SendText(ctx, conv.ID, "hello?"); err == nil {
			t.Error("the blocked adult could still send")
		}
	})
}

// TestRiskWarningAfterLoginInChromium: the grooming lines come while the
// teen is not online at all. Logging in afterwards, with no live event to
// bring it, the teen finds the chat flagged in the list and, in the chat,
// the warning with Childline's number under the message it is about; the
// adult's own chat shows no warning.
func TestRiskWarningAfterLoginInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		teenHandle := s.account("isla", 14)
		adultHandle := s.account("coach_tom", 36)
		teenAPI, adultAPI := login(t, s, teenHandle), login(t, s, adultHandle)
		req, err := teenAPI.RequestContact(ctx, adultHandle)
		must(t, "request", err)
		_, err = adultAPI.AcceptContact(ctx, req.ID)
		must(t, "accept", err)
		conv, err := adultAPI.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}})
		must(t, "conversation", err)
		var sent []int64
		for _, text := range []string{"good game on saturday, well played", "your parents wouldnt understand, they dont get you like i do", "anyway see you at training"} {
			m, err := adultAPI.SendText(ctx, conv.ID, text)
			must(t, "send", err)
			sent = append(sent, m.ID)
		}

		teen := b.person(t, "teen", 375, 812)
		teen.logIn(s.url, teenHandle)
		teen.waitText("main .chats", adultHandle)
		teen.waitText("main .chats", "Is this chat OK?")
		teen.click("main .chats", adultHandle)
		teen.waitText("main .log", "anyway see you at training")
		teen.waitFor("the warning", `!!document.querySelector('main .log [data-notice=risk_warning]')`)
		if n := eval[int](teen, `document.querySelectorAll('main .log [data-notice=risk_warning]').length`); n != 1 {
			t.Errorf("%d warnings in the chat, want 1", n)
		}
		placed := eval[string](teen, `(() => { const n = document.querySelector('main .log [data-notice=risk_warning]').closest('li');
			const p = n.previousElementSibling; return p ? p.dataset.id : '' })()`)
		if placed != fmt.Sprint(sent[1]) {
			t.Errorf("the warning is under message %s, want %d", placed, sent[1])
		}
		tel := eval[string](teen, `(() => { const a = document.querySelector('main .log [data-notice=risk_warning] a[href^="tel:"]'); return a ? a.getAttribute('href') + '|' + a.textContent : '' })()`)
		if !strings.HasPrefix(tel, "tel:08001111|") || !strings.Contains(tel, "0800 1111") {
			t.Errorf("the Childline link is %q", tel)
		}
		checkAccessible(t, teen, "the kept risk warning")

		// The adult's chat is as it always was.
		adult := b.person(t, "adult", 1024, 768)
		adult.logIn(s.url, adultHandle)
		adult.waitText("main .chats", teenHandle)
		if n := eval[int](adult, `document.querySelectorAll('main .chats .flag').length`); n != 0 {
			t.Errorf("the adult's chat list has %d flags", n)
		}
		adult.click("main .chats", teenHandle)
		adult.waitText("main .log", "anyway see you at training")
		if n := eval[int](adult, `document.querySelectorAll('main .log [data-notice]').length`); n != 0 {
			t.Errorf("the adult's chat shows %d notices", n)
		}
	})
}

func login(t *testing.T, s *stack, handle string) *client.Client {
	t.Helper()
	c := client.New(s.url)
	_, err := c.Login(context.Background(), handle, pw)
	must(t, "log in "+handle, err)
	return c
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
