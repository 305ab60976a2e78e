package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestChildDeletesAccountInChromium: a 10-year-old's deletion page speaks
// plainly (the legal list one click away) and says her parent or carer is
// told; when she deletes, her guardian's open app says so, naming her.
func TestChildDeletesAccountInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		parentHandle := s.account("del_mum", 40)
		parent := login(t, s, parentHandle)
		me, err := parent.Me(ctx)
		must(t, "me", err)
		_, err = s.admin.SetAgeAssurance(ctx, me.ID, "verified")
		must(t, "verify", err)
		childHandle := s.account("del_pip", 10)
		kid := login(t, s, childHandle)
		code, err := kid.NewGuardianCode(ctx)
		must(t, "code", err)
		_, err = parent.LinkGuardian(ctx, code.GuardianCode)
		must(t, "link", err)

		mum := b.person(t, "mum", 1280, 900)
		mum.logIn(s.url, parentHandle)

		pip := b.person(t, "pip", 375, 812)
		pip.logIn(s.url, childHandle)
		eval[bool](pip, `(() => { location.hash = '#/settings/delete'; return true })()`)
		pip.waitText("main h1", "Delete your account")
		pip.waitText("main", "What happens")
		page := pip.text("main")
		if !strings.Contains(page, "Your parent or carer who said yes to your account will be told") ||
			strings.Contains(page, "Online Safety Act") || strings.Contains(page, "legal hold") {
			t.Errorf("a child's deletion page: %s", page)
		}
		if !eval[bool](pip, `!!document.querySelector('main details summary')`) {
			t.Error("the full list is not one click away")
		}
		checkAccessible(t, pip, "a child's deletion page")
		pip.fill("#delete-account", "Password", pw)
		pip.do("tick the box", chromedp.Click(chromedp.CSS(`#delete-account input[type=checkbox]`), chromedp.NodeVisible))
		pip.click("#delete-account", "Delete my account")
		pip.waitText("main h1", "Log in")

		mum.waitText("#alerts", childHandle+" deleted their account")
		checkAccessible(t, mum, "the guardian told of the deletion")
	})
}
