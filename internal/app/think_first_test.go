package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/notice"
)

// teens makes two 14- and 15-year-olds who are contacts, and a chat
// between them; it returns their handles, their API clients and the chat.
func teens(t *testing.T, s *stack, a, b string) (string, string, *client.Client, *client.Client, int64) {
	t.Helper()
	ctx := context.Background()
	aHandle, bHandle := s.account(a, 15), s.account(b, 14)
	aAPI, bAPI := login(t, s, aHandle), login(t, s, bHandle)
	req, err := aAPI.RequestContact(ctx, bHandle)
	must(t, "request", err)
	_, err = bAPI.AcceptContact(ctx, req.ID)
	must(t, "accept", err)
	conv, err := aAPI.CreateConversation(ctx, client.ConversationRequest{Members: []string{bHandle}})
	must(t, "conversation", err)
	return aHandle, bHandle, aAPI, bAPI, conv.ID
}

// upload writes img to a temporary file and chooses it with "Add a photo".
func (p *tab) upload(img []byte, name string) {
	p.t.Helper()
	pic := filepath.Join(p.t.TempDir(), name)
	if err := os.WriteFile(pic, img, 0o600); err != nil {
		p.t.Fatal(err)
	}
	sel := p.find("main", "Add a photo", "control")
	p.do("choose a photo", chromedp.SetUploadFiles(chromedp.CSS(sel), []string{pic}))
}

// fetched is how many times the page asked for the bytes of a photo, as
// the browser's resource timing lists its requests.
func fetched(p *tab, mediaID int64) int {
	p.t.Helper()
	return eval[int](p, fmt.Sprintf(`performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname === '/api/v1/media/%d').length`, mediaID))
}

// thinkFirstOpen waits for the think-first dialog and checks it: open and
// modal, named, the server's words, Childline, no picture, and the focus
// on "Don't send".
func thinkFirstOpen(t *testing.T, p *tab) {
	t.Helper()
	p.waitFor("the think-first dialog", `!!document.querySelector('dialog.think[open]')`)
	p.waitFor("the focus on Don't send", `document.activeElement && document.activeElement.textContent === "Don't send"`)
	got := eval[map[string]any](p, `(() => { const d = document.querySelector('dialog.think');
		const name = document.getElementById(d.getAttribute('aria-labelledby'));
		const desc = document.getElementById(d.getAttribute('aria-describedby'));
		return {modal: d.matches(':modal'), name: name ? name.textContent : '', desc: desc ? desc.textContent : '',
			images: d.querySelectorAll('img, picture, canvas, video').length + [...d.querySelectorAll('*')].filter(e => getComputedStyle(e).backgroundImage.includes('blob:')).length,
			tel: [...d.querySelectorAll('a[href^="tel:"]')].map(a => a.getAttribute('href')).join(' ')} })()`)
	if got["modal"] != true || got["name"] != "Think before you send" || got["tel"] != "tel:08001111" || got["images"] != float64(0) {
		t.Errorf("the think-first dialog: %v", got)
	}
	if desc, _ := got["desc"].(string); len(desc) < 20 || strings.Contains(desc, "confirm_image") {
		t.Errorf("the dialog says %q, not the server's sentence", desc)
	}
}

// TestThinkFirstAndBlurredPhotoInChromium: a teen sends another teen a
// photo the image classifier (a fake here, deciding by the picture's
// bytes; the pictures are generated textures) says may show nudity. She is
// asked to think first, in a dialog that shows the server's words and
// Childline and not the photo; Escape and "Don't send" send nothing and
// keep what she typed; "Send anyway" sends it. The other teen, whose chat
// is open, gets it blurred: a sentence saying why, "Show photo", and the
// server's notice under it; the photo's bytes are not fetched until she
// chooses "Show photo", which shows it, and "Hide photo" hides it again.
// A photo the classifier passes goes without the dialog.
func TestThinkFirstAndBlurredPhotoInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		zoeHandle, amaHandle, _, amaAPI, conv := teens(t, s, "zoe", "ama")
		chat := fmt.Sprintf("%s/#/chat/%d", s.url, conv)
		flagged, harmless := testImage(240, 160, 21), testImage(200, 120, 5)
		s.flag(flagged)

		zoe := b.person(t, "zoe", 375, 812)
		ama := b.person(t, "ama", 1280, 800)
		zoe.logIn(s.url, zoeHandle)
		ama.logIn(s.url, amaHandle)
		zoe.open(chat)
		zoe.waitText("main h1", amaHandle)
		ama.open(chat)
		ama.waitText("main h1", zoeHandle)
		sent := func() []client.Message {
			t.Helper()
			page, err := amaAPI.History(ctx, conv, client.HistoryQuery{Limit: 100})
			must(t, "history", err)
			return page.Messages
		}

		// A photo the classifier passes goes at once.
		zoe.upload(harmless, "park.png")
		zoe.waitFor("the harmless photo", `document.querySelectorAll('main .msg.mine img[data-state=shown]').length === 1`)
		if eval[bool](zoe, `!!document.querySelector('dialog')`) {
			t.Error("a harmless photo asked to think first")
		}
		if m := sent(); len(m) != 1 || m[0].Kind != "image" {
			t.Fatalf("after the harmless photo the recipient's history holds %+v", m)
		}
		ama.waitFor("the harmless photo, waiting", `document.querySelectorAll('main .log li.msg .photo').length === 1`)
		if eval[bool](ama, `!!document.querySelector('main .log .photo.blurred, main .log .photo .warning')`) {
			t.Error("the harmless photo is blurred")
		}

		// The flagged one: the dialog, with a caption typed.
		zoe.fill("main", "Message", "the sky at the beach today")
		zoe.upload(flagged, "beach.png")
		thinkFirstOpen(t, zoe)
		checkAccessible(t, zoe, "the think-first dialog")
		zoe.check("the think-first dialog")
		// Escape is "Don't send"; the focus goes back to the page.
		zoe.do("Escape", chromedp.KeyEvent(kb.Escape))
		zoe.waitFor("the dialog closed", `!document.querySelector('dialog')`)
		if in := eval[bool](zoe, `!!document.activeElement && document.activeElement !== document.body && !!document.activeElement.closest('main form.compose')`); !in {
			t.Errorf("after Escape the focus is on %q", eval[string](zoe, `document.activeElement ? document.activeElement.outerHTML.slice(0, 80) : ''`))
		}
		if n := len(sent()); n != 1 {
			t.Fatalf("after Escape the chat holds %d messages, want 1", n)
		}

		zoe.upload(flagged, "beach.png")
		thinkFirstOpen(t, zoe)
		zoe.click("dialog.think", "Don't send")
		zoe.waitFor("the dialog closed", `!document.querySelector('dialog')`)
		if n := len(sent()); n != 1 {
			t.Fatalf(`after "Don't send" the chat holds %d messages, want 1`, n)
		}
		if draft := eval[string](zoe, `document.querySelector('main textarea[name=text]').value`); draft != "the sky at the beach today" {
			t.Errorf("the draft became %q", draft)
		}
		if n := eval[int](zoe, `document.querySelectorAll('main .msg.mine').length`); n != 1 {
			t.Errorf("zoe's chat shows %d of her messages, want 1", n)
		}

		// Send anyway: sent with its caption, and the box emptied.
		zoe.upload(flagged, "beach.png")
		thinkFirstOpen(t, zoe)
		zoe.click("dialog.think", "Send anyway")
		zoe.waitFor("her photo sent", `document.querySelectorAll('main .msg.mine img[data-state=shown]').length === 2`)
		zoe.waitText("main .log", "the sky at the beach today")
		if draft := eval[string](zoe, `document.querySelector('main textarea[name=text]').value`); draft != "" {
			t.Errorf("the draft %q stayed after sending", draft)
		}
		msgs := sent()
		if len(msgs) != 2 || msgs[0].Kind != "image" || !msgs[0].Blurred || msgs[1].Blurred {
			t.Fatalf("the recipient's history: %+v", msgs)
		}
		flaggedID, flaggedMedia := msgs[0].ID, msgs[0].MediaID

		// Ama's open chat gets it live, blurred, with the notice under it,
		// and nothing of the photo fetched.
		mine := fmt.Sprintf(`main .log li.msg[data-id="%d"]`, flaggedID)
		blurred := func(p *tab, when string) {
			t.Helper()
			p.waitFor("the blurred photo "+when, fmt.Sprintf(`!!document.querySelector('%s .photo.blurred')`, mine))
			p.waitFor("the notice under it "+when, fmt.Sprintf(`(() => { const n = document.querySelector('%s').nextElementSibling;
				return !!n && n.matches('li.notice-row') && !!n.querySelector('section.notice[data-notice=nudity_blurred] a[href="tel:08001111"]') })()`, mine))
			st := eval[map[string]any](p, fmt.Sprintf(`(() => { const li = document.querySelector('%s');
				const w = li.querySelector('.photo .warning'), b = li.querySelector('.photo button');
				const d = b && document.getElementById(b.getAttribute('aria-describedby') || '');
				return {img: li.querySelectorAll('img').length, warning: w ? w.textContent : '', button: b ? b.textContent : '',
					described: d === w, caption: (li.querySelector('.text') || {}).textContent || ''} })()`, mine))
			if st["img"] != float64(0) || !strings.Contains(st["warning"].(string), "might show nudity") || st["button"] != "Show photo" ||
				st["described"] != true || st["caption"] != "the sky at the beach today" {
				t.Errorf("the blurred photo %s: %v", when, st)
			}
			// The server has served it once, to its sender's app; ama's
			// browser has not asked for it.
			if n := s.mediaFetches(flaggedMedia); n != 1 {
				t.Errorf("the server served the photo %d times before ama chose to see it (%s), want once, to zoe", n, when)
			}
			if n := fetched(p, flaggedMedia); n != 0 {
				t.Errorf("ama's browser fetched the photo %d times before she chose to see it (%s)", n, when)
			}
		}
		blurred(ama, "live")
		checkAccessible(t, ama, "the blurred photo")
		ama.check("the blurred photo")

		// The same from history, after logging in again.
		ama.reload()
		ama.logIn(s.url, amaHandle)
		ama.open(chat)
		blurred(ama, "from history")

		// Show photo shows it, with the focus kept on the button, now "Hide
		// photo"; hiding it takes the picture away.
		ama.click(mine, "Show photo")
		got := drawn(t, ama, mine+" img")
		if got.Width != 240 || got.Height != 160 || got.Grey || got.Rough < 5 {
			t.Errorf("ama's browser drew %+v", got)
		}
		if n, m := s.mediaFetches(flaggedMedia), fetched(ama, flaggedMedia); n != 2 || m != 1 {
			t.Errorf("after Show photo the server served the photo %d times (want 2), ama's browser fetched it %d times (want 1)", n, m)
		}
		if f := eval[string](ama, `document.activeElement.textContent`); f != "Hide photo" {
			t.Errorf("after Show photo the focus is on %q", f)
		}
		checkAccessible(t, ama, "the photo shown")
		ama.click(mine, "Hide photo")
		ama.waitFor("the photo hidden", fmt.Sprintf(`!document.querySelector('%s img') && !!document.querySelector('%s .photo.blurred .veil')`, mine, mine))
	})
}

// TestThinkFirstHelpIsTheNotices keeps the think-first dialog's title and
// help the same as the server's notice nudity_confirm, whose sentence the
// 409 answer carries alone.
func TestThinkFirstHelpIsTheNotices(t *testing.T) {
	src, err := os.ReadFile("static/js/chats.js")
	if err != nil {
		t.Fatal(err)
	}
	n, ok := notice.Get("nudity_confirm")
	if !ok || len(n.Links) == 0 {
		t.Fatalf("nudity_confirm: %+v", n)
	}
	want := []string{n.Title}
	for _, l := range n.Links {
		want = append(want, l.Label, l.Phone, l.URL)
	}
	for _, s := range want {
		if s != "" && !strings.Contains(string(src), fmt.Sprintf("'%s'", s)) {
			t.Errorf("chats.js lacks %q of the notice nudity_confirm", s)
		}
	}
}

// TestHeldPictureNoticesInChromium: pictures the classifier flags between a
// teen and an adult are held, and the teen is told through the notices she
// already gets. The adult's to her never reaches her chat; the notice
// nudity_stopped comes above the page, with Childline and CEOP. Hers to
// the adult asks nothing (no think-first dialog), never reaches him, and
// the notice nudity_not_sent is under her message, with Report Remove and
// CEOP.
func TestHeldPictureNoticesInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		teenHandle, adultHandle := s.account("kai", 14), s.account("uncle_dev", 45)
		teenAPI, adultAPI := login(t, s, teenHandle), login(t, s, adultHandle)
		req, err := teenAPI.RequestContact(ctx, adultHandle)
		must(t, "request", err)
		_, err = adultAPI.AcceptContact(ctx, req.ID)
		must(t, "accept", err)
		conv, err := adultAPI.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}})
		must(t, "conversation", err)
		fromAdult, fromTeen := testImage(200, 150, 41), testImage(180, 120, 42)
		s.flag(fromAdult)
		s.flag(fromTeen)

		teen := b.person(t, "kai", 375, 812)
		teen.logIn(s.url, teenHandle)
		teen.open(fmt.Sprintf("%s/#/chat/%d", s.url, conv.ID))
		teen.waitText("main h1", adultHandle)
		_, err = adultAPI.SendText(ctx, conv.ID, "see you at the match")
		must(t, "text", err)
		_, err = adultAPI.SendImage(ctx, conv.ID, "stand.png", "image/png", fromAdult, "")
		must(t, "image", err)
		teen.waitFor("the notice above the page", `!!document.querySelector('#alerts [data-notice=nudity_stopped] a[href^="https://www.ceop.police.uk/"]')`)
		teen.waitText("main .log", "see you at the match")
		if n := eval[int](teen, `document.querySelectorAll('main .log li.msg').length`); n != 1 {
			t.Errorf("the teen's chat shows %d messages, want the text alone", n)
		}
		checkAccessible(t, teen, "a picture stopped")

		teen.upload(fromTeen, "me.png")
		teen.waitFor("the notice under her photo", `(() => { const m = [...document.querySelectorAll('main .log li.msg.mine')].pop();
			const n = m && m.nextElementSibling; return !!n && !!n.querySelector('[data-notice=nudity_not_sent] a[href^="https://www.ceop.police.uk/"]') })()`)
		if eval[bool](teen, `!!document.querySelector('dialog')`) {
			t.Error("a picture to an adult asked to think first")
		}
		if txt := teen.text("main .log [data-notice=nudity_not_sent]"); !contains(txt, "Your picture was not sent", "Report Remove") {
			t.Errorf("the notice reads %q", txt)
		}
		page, err := adultAPI.History(ctx, conv.ID, client.HistoryQuery{Limit: 100})
		must(t, "history", err)
		for _, m := range page.Messages {
			if m.Kind == "image" && m.Sender == teenHandle {
				t.Errorf("the adult's history holds the teen's picture: %+v", m)
			}
		}
		checkAccessible(t, teen, "a picture not sent")
		teen.check("a picture not sent")
	})
}
