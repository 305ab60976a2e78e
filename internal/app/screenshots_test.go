package app_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/browsertest"
)

// shots asks TestScreenshots to write the pictures of docs/app.md:
//
//	go test ./internal/app -run TestScreenshots -shots
var shots = flag.Bool("shots", false, "write the screenshots of docs/app.md into docs/app/ (phone 375×812, desktop 1280×800)")

// shotDir is where the screenshots go, from this package's directory.
const shotDir = "../../docs/app"

// shoot writes the page p shows as docs/app/NAME-phone.png and
// NAME-desktop.png, after checking it with axe-core and the layout check.
func shoot(t *testing.T, p *tab, name string) {
	t.Helper()
	p.check(name)
	browsertest.Screenshot(t, p.ctx, browsertest.Phone, filepath.Join(shotDir, name+"-phone.png"))
	browsertest.Screenshot(t, p.ctx, browsertest.Desktop, filepath.Join(shotDir, name+"-desktop.png"))
}

// family is the story the screenshots show: Sam, a parent; Maya, 12, her
// child; Leo, 15, Maya's cousin; Raj, Leo's uncle; Vic, an adult Leo met
// in a game.
type family struct {
	sam, maya, leo, raj, vic *client.Client
	h                        map[string]string // nickname → handle
	familyChat, vicChat      int64
}

func newFamily(t *testing.T, s *stack) *family {
	t.Helper()
	ctx := context.Background()
	f := &family{h: map[string]string{}}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	f.h["sam"] = s.verifiedAdult("sam")
	f.sam = client.New(s.url)
	_, err := f.sam.Login(ctx, f.h["sam"], pw)
	must("sam logs in", err)
	var maya *client.Account
	f.maya, maya = s.loggedIn("maya", 12)
	f.h["maya"] = maya.Handle
	_, err = f.sam.LinkGuardian(ctx, maya.GuardianCode)
	must("sam links maya", err)
	var a *client.Account
	f.leo, a = s.loggedIn("leo", 15)
	f.h["leo"] = a.Handle
	f.h["raj"] = s.verifiedAdult("uncle_raj")
	f.raj = client.New(s.url)
	_, err = f.raj.Login(ctx, f.h["raj"], pw)
	must("raj logs in", err)
	f.vic, a = s.loggedIn("gamer_vic", 31)
	f.h["vic"] = a.Handle

	// Leo and his uncle, and the family group.
	req, err := f.leo.RequestContact(ctx, f.h["raj"])
	must("leo asks raj", err)
	_, err = f.raj.AcceptContact(ctx, req.ID)
	must("raj accepts", err)
	conv, err := f.raj.CreateConversation(ctx, client.ConversationRequest{Members: []string{f.h["leo"]}, Title: "Family"})
	must("the family group", err)
	f.familyChat = conv.ID
	_, err = f.leo.AcceptInvitation(ctx, conv.ID)
	must("leo joins", err)
	_, err = f.raj.SendText(ctx, conv.ID, "Pizza at ours on Saturday?")
	must("raj writes", err)
	_, err = f.leo.SendText(ctx, conv.ID, "Yes please! Can Maya come too?")
	must("leo writes", err)

	// Maya and Leo are contacts (Sam approved); her request to Raj waits.
	req, err = f.maya.RequestContact(ctx, f.h["leo"])
	must("maya asks leo", err)
	must("sam approves", f.sam.GuardianDecide(ctx, req.ID, true))
	_, err = f.leo.AcceptContact(ctx, req.ID)
	must("leo accepts maya", err)
	_, err = f.maya.RequestContact(ctx, f.h["raj"])
	must("maya asks raj", err)

	// Leo and the man from the game.
	req, err = f.leo.RequestContact(ctx, f.h["vic"])
	must("leo asks vic", err)
	_, err = f.vic.AcceptContact(ctx, req.ID)
	must("vic accepts", err)
	conv, err = f.vic.CreateConversation(ctx, client.ConversationRequest{Members: []string{f.h["leo"]}})
	must("vic's chat", err)
	f.vicChat = conv.ID
	return f
}

// TestScreenshots writes docs/app/*.png, only when asked (-shots): the chat
// list, a chat with a young person in it, a risk warning, the parent's
// page, the report form, the think-first dialog and a hidden photo, each
// at a phone's and a desktop's size.
func TestScreenshots(t *testing.T) {
	if !*shots {
		t.Skip("writes docs/app/*.png only when asked: go test ./internal/app -run TestScreenshots -shots")
	}
	browsertest.Must(t, "docs/app", os.MkdirAll(shotDir, 0o755))
	b := newBrowser(t)
	s := newStack(t, stores()["sqlite"](t))
	f := newFamily(t, s)
	ctx := context.Background()

	sam := b.person(t, "sam", 1280, 800)
	sam.logIn(s.url, f.h["sam"])
	sam.click("nav", "Parents and carers")
	sam.waitFor("the waiting request", `!!document.querySelector('#children li[data-request]')`)
	sam.waitFor("the contacts", `!!document.querySelector('#children li[data-contact]')`)
	shoot(t, sam, "parent")

	leo := b.person(t, "leo", 1280, 800)
	leo.logIn(s.url, f.h["leo"])
	leo.waitText("main .chats", "Family")
	shoot(t, leo, "chats")

	raj := b.person(t, "raj", 1280, 800)
	raj.logIn(s.url, f.h["raj"])
	raj.open(fmt.Sprintf("%s/#/chat/%d", s.url, f.familyChat))
	raj.waitText("main .encryption", "includes a young person")
	raj.waitText("main .log", "Can Maya come too?")
	shoot(t, raj, "young-person-chat")

	// Vic's messages raise the grooming rules while Leo's chat is open:
	// the warning comes on the live stream, under its message.
	leo.open(fmt.Sprintf("%s/#/chat/%d", s.url, f.vicChat))
	leo.waitText("main h1", f.h["vic"])
	var last int64
	for _, text := range []string{"gg last night! you're really mature for your age", "send me a pic of you, I'll send you vbucks",
		"don't tell your parents about our chats, it's our secret"} {
		m, err := f.vic.SendText(ctx, f.vicChat, text)
		if err != nil {
			t.Fatal(err)
		}
		last = m.ID
		leo.waitText("main .log", text)
	}
	leo.waitFor("the warning", `!!document.querySelector('main .log [data-notice=risk_warning]')`)
	eval[bool](leo, `(document.querySelector('main .log [data-notice=risk_warning]').scrollIntoView({block: 'center'}), true)`)
	shoot(t, leo, "risk-warning")

	leo.click(fmt.Sprintf(`main .log li.msg[data-id="%d"]`, last), "Report")
	leo.waitText("dialog", "Send report")
	shoot(t, leo, "report")
	leo.click("dialog.report", "Cancel")

	// Leo sends Maya a photo the image classifier flags (a generated
	// texture, flagged by the test's classifier): he is asked to think
	// first; he sends it anyway, and Maya's copy waits, hidden.
	conv, err := f.leo.CreateConversation(ctx, client.ConversationRequest{Members: []string{f.h["maya"]}})
	if err != nil {
		t.Fatal(err)
	}
	pic := testImage(240, 160, 31)
	s.flag(pic)
	leo.open(fmt.Sprintf("%s/#/chat/%d", s.url, conv.ID))
	leo.waitText("main h1", f.h["maya"])
	leo.upload(pic, "hill.png")
	thinkFirstOpen(t, leo)
	shoot(t, leo, "think-first")
	leo.click("dialog.think", "Send anyway")
	leo.waitFor("his photo sent", `!!document.querySelector('main .msg.mine img[data-state=shown]')`)

	maya := b.person(t, "maya", 1280, 800)
	maya.logIn(s.url, f.h["maya"])
	maya.open(fmt.Sprintf("%s/#/chat/%d", s.url, conv.ID))
	maya.waitFor("the hidden photo", `!!document.querySelector('main .log .photo.blurred')`)
	maya.waitFor("the notice under it", `!!document.querySelector('main .log li.msg + li.notice-row section.notice')`)
	eval[bool](maya, `(() => { const li = document.querySelector('main .log .photo.blurred').closest('li'), log = li.closest('.log');
		log.scrollTop += li.getBoundingClientRect().top - log.getBoundingClientRect().top; return true })()`)
	shoot(t, maya, "blurred-photo")
}
