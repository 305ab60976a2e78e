package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// TestSuspendedAccountInChromium: an account the operator suspended logs in
// and lands on Appeals, which says why (the operator's reason) and how to
// contest it (the support contact); the links it cannot use are gone, and
// typing #/chats brings it back to Appeals.
func TestSuspendedAccountInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		handle := s.account("sus_kai", 30)
		_, err := s.admin.AdminAccountChange(context.Background(), handle, "suspend",
			client.OperatorChange{Reason: "Sent the same link to many strangers.", By: "amir"})
		must(t, "suspend", err)
		p := b.person(t, "kai", 375, 812)
		p.open(s.url + "/#/login")
		p.fill("main", "Username", handle)
		p.fill("main", "Password", pw)
		p.click("main", "Log in")
		p.waitText("main h1", "Appeals")
		p.waitText("main", "Sent the same link to many strangers.")
		page := p.text("main")
		if !strings.Contains(page, supportContact) || strings.Contains(page, "nothing to appeal") || strings.Contains(page, "amir") {
			t.Errorf("the suspended account's page: %s", page)
		}
		nav := p.text("#nav")
		if strings.Contains(nav, "Chats") || strings.Contains(nav, "Contacts") || !strings.Contains(nav, "Appeals") || !strings.Contains(nav, "Settings") {
			t.Errorf("the links a suspended account sees: %q", nav)
		}
		checkAccessible(t, p, "suspended appeals")
		eval[bool](p, `(() => { location.hash = '#/chats'; return true })()`)
		p.waitFor("the way back to Appeals", `location.hash === '#/appeals' && document.querySelector('main h1') && document.querySelector('main h1').textContent === 'Appeals'`)
	})
}

// TestUnverifiedParentIsToldHowInChromium: an adult whose age is not
// verified opens Parents and carers and is told, before trying a code,
// that the team must check their age and how to reach it; once verified,
// that note is gone.
func TestUnverifiedParentIsToldHowInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		handle := s.account("pa_ros", 41)
		p := b.person(t, "ros", 375, 812)
		p.logIn(s.url, handle)
		eval[bool](p, `(() => { location.hash = '#/guardian'; return true })()`)
		p.waitText("main h1", "Parents and carers")
		p.waitText("#verify-first", "Contact the Safeguard team: "+supportContact)
		checkAccessible(t, p, "an unverified parent's page")
		me, err := login(t, s, handle).Me(context.Background())
		must(t, "me", err)
		_, err = s.admin.SetAgeAssurance(context.Background(), me.ID, "verified")
		must(t, "verify", err)
		p.reload()
		p.logIn(s.url, handle)
		eval[bool](p, `(() => { location.hash = '#/guardian'; return true })()`)
		p.waitText("main h1", "Parents and carers")
		p.waitText("main", "Link your child's account")
		if eval[bool](p, `!!document.querySelector('#verify-first')`) {
			t.Error("a verified parent is still told to get verified")
		}
	})
}
