package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestEncryptedChatEntryInChromium: a verified adult can start an
// encrypted chat with a verified adult contact; it opens with the server's
// end-to-end encrypted notice and asks for the Passphrase before anything
// else. With a contact whose age is not verified the server's refusal is
// shown in words, and an adult whose own age is not verified is not
// offered the choice.
func TestEncryptedChatEntryInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		aH, bH, cH := s.account("vera_v", 38), s.account("walt_w", 39), s.account("una_u", 40)
		verify := func(h string) {
			sess, err := login(t, s, h).Login(ctx, h, pw)
			must(t, "log in", err)
			_, err = s.admin.SetAgeAssurance(ctx, sess.Account.ID, "verified")
			must(t, "verify", err)
		}
		verify(aH)
		verify(bH)
		for _, other := range []string{bH, cH} {
			req, err := login(t, s, aH).RequestContact(ctx, other)
			must(t, "request", err)
			_, err = login(t, s, other).AcceptContact(ctx, req.ID)
			must(t, "accept", err)
		}

		vera := b.person(t, "vera", 375, 812)
		vera.logIn(s.url, aH)
		vera.open(s.url + "/#/contacts")
		vera.click(fmt.Sprintf(`main li[data-handle="%s"]`, cH), "Encrypted chat")
		vera.waitFor("the refusal", `!!document.querySelector('main .error:not([hidden])')`)
		if msg := vera.text("main .error:not([hidden])"); msg == "" || strings.Contains(msg, "e2ee_requires_verified_adults") {
			t.Errorf("the refusal reads %q", msg)
		}
		vera.click(fmt.Sprintf(`main li[data-handle="%s"]`, bH), "Encrypted chat")
		vera.waitText("main .encryption", "Messages in this chat are end-to-end encrypted.")
		vera.find("main", "Passphrase", "control")
		if n := eval[int](vera, `document.querySelectorAll('main form.compose').length`); n != 0 {
			t.Errorf("the message box is there before the keys are unlocked")
		}
		checkAccessible(t, vera, "the locked encrypted chat")

		una := b.person(t, "una", 1280, 1000)
		una.logIn(s.url, cH)
		una.open(s.url + "/#/contacts")
		una.waitText("main", aH)
		if n := eval[int](una, `[...document.querySelectorAll('main button')].filter(b => b.textContent === 'Encrypted chat').length`); n != 0 {
			t.Errorf("an adult whose age is not verified is offered %d encrypted chats", n)
		}
	})
}
