package app_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestSignUpInChromium: a teen signs up on a phone-sized screen, is shown
// the username the server made and her recovery codes, and logs in with it; a child under 13 is
// told in words that the account waits for a parent or carer, with the
// code to give them; the token is kept in no web storage or cookie, and a
// reload means logging in again.
func TestSignUpInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		teen := b.person(t, "teen", 375, 812)
		teen.open(s.url + "/#/signup")
		checkAccessible(t, teen, "sign-up")
		teen.fill("main", "Username", "river")
		teen.fill("main", "Password", pw)
		teen.fill("main", "Date of birth", born(15))
		teen.fill("main", "Where you live", "Bedford")
		teen.click("main", "Create account")
		teen.waitText("main h1", "Your account is ready")
		handle := teen.text("#new-handle")
		if !regexp.MustCompile(`^river\.\d{2,}$`).MatchString(handle) {
			t.Fatalf("the new username shown is %q", handle)
		}
		if page := teen.text("main"); !contains(page, "You need the whole username, "+handle, "to log in") {
			t.Errorf("the page does not say the username logs in: %s", page)
		}
		codes := strings.Fields(teen.text("#recovery-codes"))
		if len(codes) != 8 || !regexp.MustCompile(`^[a-z2-9]{5}-[a-z2-9]{5}$`).MatchString(codes[0]) ||
			!contains(teen.text("main"), "Write these codes down", "We will not show them again") {
			t.Errorf("the teen's recovery codes shown: %q", codes)
		}
		checkAccessible(t, teen, "the new account")
		teen.click("main", "Log in")
		teen.waitText("main h1", "Log in")
		checkAccessible(t, teen, "log-in")
		teen.fill("main", "Password", pw)
		teen.click("main", "Log in")
		teen.waitText("main h1", "Chats")
		if st := teen.storage(); st != `{"local":[],"session":[],"cookie":""}` {
			t.Errorf("the app keeps %s", st)
		}
		teen.reload()
		teen.waitText("main h1", "Log in")

		// A wrong password shows the server's sentence, never its code.
		teen.fill("main", "Username", handle)
		teen.fill("main", "Password", "not the password")
		teen.click("main", "Log in")
		teen.waitFor("the error", `!!document.querySelector('main .error:not([hidden])')`)
		if msg := teen.text("main .error"); msg == "" || strings.Contains(msg, "invalid_credentials") {
			t.Errorf("the log-in error reads %q", msg)
		}

		child := b.person(t, "child", 375, 812)
		child.open(s.url + "/#/signup")
		child.fill("main", "Username", "pip")
		child.fill("main", "Password", pw)
		child.fill("main", "Date of birth", born(10))
		child.click("main", "Create account")
		child.waitText("main h1", "Your account is made: one more step")
		page := child.text("main")
		code := child.text("#guardian-code")
		if !contains(page, "Your account is waiting for a parent or carer", "Give them this code") || len(code) < 6 {
			t.Errorf("the child is shown %q (code %q)", page, code)
		}
		// Logged in, she is told again, and can get a new code.
		child.click("main", "Log in")
		child.waitText("main h1", "Log in")
		child.fill("main", "Password", pw)
		child.click("main", "Log in")
		child.waitText("main h1", "Chats")
		child.waitText("main", "Your account is waiting for a parent or carer")
		child.click("main", "Get a new code")
		child.waitFor("a new code", `!!document.querySelector('#guardian-code')`)
		if again := child.text("#guardian-code"); again == code || len(again) < 6 {
			t.Errorf("the new code is %q, the first %q", again, code)
		}
		checkAccessible(t, child, "the waiting child's chats")
		// Chats offers nothing that would be refused, and says one thing.
		if page := child.text("main"); strings.Contains(page, "New group") || strings.Contains(page, "Add someone you know") ||
			!strings.Contains(page, "once a parent or carer says yes") {
			t.Errorf("the waiting child's chats: %s", page)
		}
		newCode := child.text("#guardian-code")
		eval[bool](child, `(() => { location.hash = '#/contacts'; return true })()`)
		child.waitText("#contacts-waiting", "once they say yes")
		if eval[bool](child, `!!document.querySelector('main form.add')`) {
			t.Error("a waiting child is offered Add someone")
		}
		eval[bool](child, `(() => { location.hash = '#/chats'; return true })()`)
		child.waitText("main", "Your account is waiting for a parent or carer")
		// A parent links her: her open page changes without logging in again.
		parentHandle := s.account("pip_mum", 40)
		parent := login(t, s, parentHandle)
		me, err := parent.Me(context.Background())
		must(t, "me", err)
		_, err = s.admin.SetAgeAssurance(context.Background(), me.ID, "verified")
		must(t, "verify the parent", err)
		_, err = parent.LinkGuardian(context.Background(), newCode)
		must(t, "link", err)
		child.waitFor("the page for an active account", `!document.querySelector('#waiting-title') && [...document.querySelectorAll('main button')].some(b => b.textContent === 'New group')`)
	})
}
