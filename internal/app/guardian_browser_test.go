package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/browsertest"
)

// check runs axe-core and the layout check (375×812 and 1280 px) on the
// page the tab shows; the tab is left at the desktop's size.
func (p *tab) check(page string) {
	p.t.Helper()
	browsertest.Page(p.t, p.ctx, page)
}

// verifiedAdult signs up an adult whose age the operator has verified and
// returns its handle.
func (s *stack) verifiedAdult(nickname string) string {
	s.t.Helper()
	ctx := context.Background()
	h := s.account(nickname, 41)
	c := client.New(s.url)
	if _, err := c.Login(ctx, h, pw); err != nil {
		s.t.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.admin.SetAgeAssurance(ctx, me.ID, "verified"); err != nil {
		s.t.Fatal(err)
	}
	return h
}

// loggedIn signs up an account of the given age through the API and logs
// it in; the client is the account's app on another device.
func (s *stack) loggedIn(nickname string, age int) (*client.Client, *client.Account) {
	s.t.Helper()
	ctx := context.Background()
	c := client.New(s.url)
	a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nickname, Password: pw, BirthDate: born(age), LocalAuthority: "Bedford"})
	if err != nil {
		s.t.Fatalf("sign up %s: %v", nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, pw); err != nil {
		s.t.Fatalf("log in %s: %v", a.Handle, err)
	}
	return c, a
}

// TestGuardianInChromium: a parent types a 12-year-old's code and becomes
// her guardian; her first contact request (to an adult, her aunt) appears
// on the parent's page as it happens, saying the aunt is an adult, and the
// navigation counts it; the parent approves it, and once the aunt accepts,
// the parent sees the aunt among the child's contacts — never their
// messages.
func TestGuardianInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		parentHandle := s.verifiedAdult("sam")
		maya, child := s.loggedIn("maya", 12)
		aunt, auntAcct := s.loggedIn("aunt_jo", 45)

		parent := b.person(t, "parent", 1280, 800)
		parent.logIn(s.url, parentHandle)
		parent.click("nav", "Parents and carers")
		parent.waitText("main h1", "Parents and carers")
		parent.waitText("#children", "No children are linked")
		parent.check("guardian page, no children")

		parent.fill("main", "Child's code", strings.ToLower(child.GuardianCode))
		parent.click("main", "Become guardian")
		parent.waitText("main", "You are now "+child.Handle+"'s guardian")
		parent.waitFor("the child listed", `!!document.querySelector('#children [data-child="`+child.Handle+`"]')`)
		if page := parent.text("#children"); !contains(page, child.Handle, "Nothing is waiting for you", "No contacts yet") {
			t.Errorf("the children part reads %q", page)
		}
		if me, err := maya.Me(ctx); err != nil || me.Status != "active" {
			t.Fatalf("the child after the link: %+v %v", me, err)
		}

		// Her first request waits for the parent and shows up live.
		req, err := maya.RequestContact(ctx, auntAcct.Handle)
		if err != nil || req.State != "awaiting_guardian" {
			t.Fatalf("the child's request: %+v %v", req, err)
		}
		parent.waitFor("the request shown live", `!!document.querySelector('#children li[data-other="`+auntAcct.Handle+`"]')`)
		item := `#children li[data-other="` + auntAcct.Handle + `"]`
		if got := parent.text(item); !contains(got, child.Handle+" wants to add "+auntAcct.Handle, auntAcct.Handle+" is an adult.") {
			t.Errorf("the request reads %q", got)
		}
		parent.waitText(`nav #guardian-waiting`, "1 waiting")
		if got := eval[string](parent, `document.querySelector('nav a[href="#/guardian"]').textContent`); got != "Parents and carers" {
			t.Errorf("the link reads %q with a request waiting", got)
		}
		parent.check("guardian page, a request waiting")

		parent.click(item, "Approve")
		parent.waitText("#children", "Nothing is waiting for you")
		if in, err := aunt.Contacts(ctx); err != nil || len(in.Incoming) != 1 {
			t.Fatalf("the aunt after approval: %+v %v", in, err)
		} else if _, err := aunt.AcceptContact(ctx, in.Incoming[0].ID); err != nil {
			t.Fatal(err)
		}
		const secret = "See you at the swimming gala on Saturday"
		if _, err := maya.SendDirect(ctx, auntAcct.Handle, secret); err != nil {
			t.Fatal(err)
		}

		// Her contacts: who, never what they say.
		parent.open(s.url + "/#/chats")
		parent.click("nav", "Parents and carers")
		parent.waitFor("the contact listed", `!!document.querySelector('#children li[data-contact="`+auntAcct.Handle+`"]')`)
		if got := parent.text(`#children li[data-contact="` + auntAcct.Handle + `"]`); !contains(got, auntAcct.Handle, "Adult", "contacts since") {
			t.Errorf("the contact reads %q", got)
		}
		if page := parent.text("body"); strings.Contains(page, secret) || strings.Contains(page, "1 waiting") {
			t.Errorf("the parent's page after approval: %q", page)
		}
		parent.check("guardian page, a contact")

		// Maya's own app explains the page to her, and offers no code box.
		mine := b.person(t, "maya", 375, 812)
		mine.logIn(s.url, child.Handle)
		mine.click("nav", "Parents and carers")
		mine.waitText("main", "They never see your messages.")
		if n := eval[int](mine, `document.querySelectorAll('main input').length`); n != 0 {
			t.Errorf("a child's parents' page has %d inputs", n)
		}
		mine.check("guardian page, as the child")

		// Maya forgets her password: the parent gets a reset code on the
		// page; she uses it, and her other sessions end.
		parent.click(`#children [data-child="`+child.Handle+`"]`, "Reset code")
		parent.waitText(`#children [data-child="`+child.Handle+`"] .reset-code`, "Reset code for "+child.Handle)
		code := eval[string](parent, `document.querySelector('#children [data-child="`+child.Handle+`"] .reset-code .code').textContent`)
		if code == "" {
			t.Fatal("no reset code shown")
		}
		parent.check("guardian page, a reset code")
		if _, err := maya.Me(ctx); err != nil {
			t.Fatalf("the code alone ended her session: %v", err)
		}
		if err := client.New(s.url).ResetPassword(ctx, client.PasswordResetRequest{Handle: child.Handle, Code: code, NewPassword: "purple giraffe umbrella"}); err != nil {
			t.Fatalf("redeem the code from the page: %v", err)
		}
		if _, err := maya.Me(ctx); err == nil || !strings.HasPrefix(err.Error(), "401 ") {
			t.Errorf("her other session after the reset: %v", err)
		}
	})
}
