package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/bus"
	sge2ee "github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// newE2EEStack is the real API and the app with end-to-end encryption on
// (key directory, relay, blobs and franking reports) over a real store.
func newE2EEStack(t *testing.T, st store.Store) *stack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	_, evKey, _ := ed25519.GenerateKey(rand.Reader)
	b := bus.NewLocal()
	svc, err := sge2ee.New(sge2ee.Config{}, sge2ee.Deps{Store: st, Media: md, Evidence: evidence.New(items, evKey, nil),
		Keys: franking.NewKeyRing(franking.KeyRingConfig{}), Notify: web.E2EENotifier(b, nil)})
	if err != nil {
		t.Fatal(err)
	}
	msvc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Relay: svc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { msvc.Close() })
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken}, msvc, b, nil, prometheus.NewRegistry(), web.WithE2EE(svc)).Handler())
	t.Cleanup(func() {
		b.Close()
		srv.Close()
	})
	return &stack{t: t, url: srv.URL, st: st, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}}
}

// verifiedAdultClient signs up an adult whose age the operator verified, and
// returns a client logged in as it.
func (s *stack) verifiedAdultClient(nickname string) *client.Client {
	s.t.Helper()
	handle := s.account(nickname, 36)
	c := client.New(s.url)
	a, err := c.Login(context.Background(), handle, pw)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.admin.SetAgeAssurance(context.Background(), a.Account.ID, "verified"); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// TestE2EEChatInChromium: two verified adults, one on a desktop and one on
// a phone, open their end-to-end encrypted chat in the app, set up their
// keys with a passphrase, exchange a message and a photo, compare safety
// numbers and open the report form, all through the page as a person
// would.
// With SAFEGUARD_SCREENSHOTS set, it saves the chat with its safety
// numbers at both sizes there (docs/app/).
func TestE2EEChatInChromium(t *testing.T) {
	b := newBrowser(t)
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := newE2EEStack(t, open(t))
			alice, bob := s.verifiedAdultClient("alice"), s.verifiedAdultClient("bob")
			req, err := bob.RequestContact(context.Background(), alice.Handle)
			must(t, "request", err)
			_, err = alice.AcceptContact(context.Background(), req.ID)
			must(t, "accept", err)
			conv, err := alice.CreateConversation(context.Background(), client.ConversationRequest{Members: []string{bob.Handle}, E2EE: true})
			must(t, "start the encrypted chat", err)

			pa, pb := b.person(t, "alice", 1280, 900), b.person(t, "bob", 390, 844)
			chat := fmt.Sprintf("%s/#/chat/%d", s.url, conv.ID)
			for _, p := range []struct {
				tab        *tab
				handle     string
				passphrase string
			}{{pa, alice.Handle, "alice's long passphrase"}, {pb, bob.Handle, "bob's long passphrase"}} {
				p.tab.logIn(s.url, p.handle)
				p.tab.open(chat)
				p.tab.waitText("main .encryption", "end-to-end encrypted")
				p.tab.fill("main", "Passphrase", p.passphrase)
				p.tab.click("main", "Unlock")
				// argon2id (64 MiB) in WebAssembly takes seconds, more on a
				// busy machine.
				if _, err := chromedp.Run(p.tab.ctx, chromedp.Poll[bool](`!!document.querySelector('main form.compose')`,
					chromedp.WithPollingTimeout(2*time.Minute))); err != nil {
					t.Fatalf("%s: the chat never unlocked; the page says: %s", p.tab.name, p.tab.text("main"))
				}
			}

			text := "the lighthouse key is under the blue stone"
			pa.fill("main", "Message", text)
			pa.click("main", "Send")
			pa.waitText("main .log", text)
			pb.waitText("main .log", text)
			// The answer to the send and the live event draw it once.
			pa.waitFor("bob's read marker", `!!document.querySelector('main .seen') && document.querySelector('main .seen').innerText.includes('Seen')`)
			for _, p := range []*tab{pa, pb} {
				if n := eval[int](p, fmt.Sprintf(`[...document.querySelectorAll('main .log li.msg')].filter(e => e.innerText.includes(%q)).length`, text)); n != 1 {
					t.Errorf("%s sees the message %d times", p.name, n)
				}
			}

			pic := filepath.Join(t.TempDir(), "harbour.png")
			if err := os.WriteFile(pic, testImage(240, 160, 5), 0o600); err != nil {
				t.Fatal(err)
			}
			sel := pb.find("main", "Add a photo", "control")
			pb.do("choose a photo", chromedp.SetUploadFiles(chromedp.CSS(sel), []string{pic}))
			pb.waitFor("his own photo", `!!document.querySelector('main .msg.mine img[data-state=shown]')`)
			got := drawn(t, pa, "main .log li.msg:last-of-type img")
			if got.Width != 240 || got.Height != 160 || got.Grey || got.Rough < 5 {
				t.Errorf("alice's browser drew %+v", got)
			}

			// Both see the same safety number.
			numbers := map[string]string{}
			for _, p := range []*tab{pa, pb} {
				p.click("main", "Show safety numbers")
				p.waitFor("the safety numbers", `!!document.querySelector('main .safety-number')`)
				numbers[p.name] = strings.Join(strings.Fields(p.text("main .safety-number")), " ")
			}
			if numbers["alice"] != numbers["bob"] || len(strings.ReplaceAll(numbers["alice"], " ", "")) != 60 {
				t.Errorf("safety numbers %q", numbers)
			}
			checkAccessible(t, pb, "the encrypted chat with its safety numbers")
			if dir := os.Getenv("SAFEGUARD_SCREENSHOTS"); dir != "" && name == "sqlite" {
				for _, p := range []*tab{pa, pb} {
					png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
					must(t, "screenshot", err)
					size := map[string]string{"alice": "desktop", "bob": "phone"}[p.name]
					must(t, "save the screenshot", os.WriteFile(filepath.Join(dir, "e2ee-chat-"+size+".png"), png, 0o644))
				}
			}

			// The report form of an encrypted message has no note: the
			// verified report carries the message itself (the report and
			// the case it opens are tested against the whole server in
			// cmd/safeguard's TestE2EEInTheBrowser).
			pb.click(`main .log li.msg:not(.mine)`, "Report")
			pb.waitText("dialog.report", "You are reporting this message from "+alice.Handle)
			if form := pb.text("dialog.report"); strings.Contains(form, "Anything you want to add") {
				t.Errorf("the encrypted message's report form asks for a note:\n%s", form)
			}
			pb.click("dialog.report", "Cancel")
			for _, p := range []*tab{pa, pb} {
				if st := p.storage(); st != `{"local":[],"session":[],"cookie":""}` {
					t.Errorf("%s: the app keeps %s", p.name, st)
				}
			}
		})
	}
}
