package app_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestFamilyGroupInChromium: a parent makes a group with her teen and an
// uncle; the teen, invited, joins from her list and writes; a cousin who
// is not the teen's contact cannot be invited, and the parent reads the
// server's sentence; the teen leaves, asked once more in the page, and
// the parent's member list changes live.
func TestFamilyGroupInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		parentH, teenH, uncleH, cousinH := s.account("mum_sam", 42), s.account("lily", 15), s.account("uncle_ray", 47), s.account("cousin_kay", 30)
		api := map[string]string{"parent": parentH, "teen": teenH, "uncle": uncleH, "cousin": cousinH}
		for _, pair := range [][2]string{{"teen", "parent"}, {"teen", "uncle"}, {"parent", "uncle"}, {"parent", "cousin"}} {
			a, b := login(t, s, api[pair[0]]), login(t, s, api[pair[1]])
			req, err := a.RequestContact(ctx, api[pair[1]])
			must(t, "request", err)
			_, err = b.AcceptContact(ctx, req.ID)
			must(t, "accept", err)
		}
		parent := b.person(t, "parent", 1280, 1000)
		teen := b.person(t, "teen", 375, 812)
		parent.logIn(s.url, parentH)
		teen.logIn(s.url, teenH)

		parent.click("main", "New group")
		parent.fill("#new-group", "Group name", "Family")
		parent.fill("#new-group", "Who to invite", teenH+", "+uncleH)
		parent.click("#new-group", "Create group")
		parent.waitText("main h1", "Family")
		parent.waitText("main .encryption", "This chat includes a young person, so it is not end-to-end encrypted.")

		// The teen's list shows the invitation live.
		row := `main section[aria-label="Invitations"] li`
		teen.waitText(row, "Family")
		teen.click(row, "Join")
		teen.click("main .chats", "Family")
		teen.waitText("main h1", "Family")
		teen.fill("main", "Message", "hi everyone!")
		teen.click("main", "Send")
		parent.waitText("main .log", "hi everyone!")

		// An adult who reports something in a chat with a young person is
		// shown the NSPCC helpline, in the server's words.
		parent.click("main .log li.msg:last-of-type", "Report")
		parent.choose("dialog", "Reason", "Something else")
		parent.fill("dialog", "Anything you want to add (you can leave this empty)", "TEST report from the browser test")
		parent.click("dialog", "Send report")
		parent.waitText("dialog", "Worried about a child?")
		if tel := eval[string](parent, `(() => { const a = document.querySelector('dialog a[href="tel:08088005000"]'); return a ? a.textContent : '' })()`); !strings.Contains(tel, "0808 800 5000") {
			t.Errorf("the NSPCC helpline link reads %q: %s", tel, parent.text("dialog"))
		}
		parent.click("dialog", "Close")

		// Someone the teen does not know cannot be added; the parent is
		// told in the server's words.
		parent.click("main", "Group details")
		parent.fill("main details", "Invite someone", cousinH)
		parent.click("main details", "Invite")
		parent.waitFor("the refusal", `!!document.querySelector('main details .error:not([hidden])')`)
		if msg := parent.text("main details .error"); msg == "" || strings.Contains(msg, "group_contacts_required") {
			t.Errorf("the refusal reads %q", msg)
		}
		if got := parent.text("main .members"); strings.Contains(got, cousinH) {
			t.Errorf("the members shown include the cousin: %s", got)
		}

		// The parent renames the group; the teen's page follows live.
		parent.fill("main details", "Group name", "Sunday lunch")
		parent.click("main details", "Rename")
		parent.waitText("main h1", "Sunday lunch")
		teen.waitText("main h1", "Sunday lunch")

		// The teen leaves: asked once more, then back to her list.
		teen.click("main", "Group details")
		teen.click("main details", "Leave group")
		teen.click("main details", "Yes, leave")
		teen.waitText("main h1", "Chats")
		if got := teen.text("main"); strings.Contains(got, "Sunday lunch") {
			t.Errorf("the teen's list still shows the group: %s", got)
		}
		parent.waitFor("the teen gone from the members", fmt.Sprintf(`!document.querySelector('main .members').innerText.includes(%q)`, teenH))
		checkAccessible(t, parent, "the group")
	})
}

// TestContactReportBlockUnblockInChromium: an adult who gets an unwanted
// request reports it from the request itself, blocks from the receipt,
// then unblocks from the Blocked list.
func TestContactReportBlockUnblockInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		pestH, bobH := s.account("pesky_pat", 33), s.account("bob_b", 52)
		pest := b.person(t, "pest", 1280, 1000)
		bob := b.person(t, "bob", 375, 812)
		pest.logIn(s.url, pestH)
		bob.logIn(s.url, bobH)
		bob.open(s.url + "/#/contacts")
		bob.waitText("main", "Requests for you")
		checkAccessible(t, bob, "contacts")

		pest.open(s.url + "/#/contacts")
		pest.fill("main", "Add someone", bobH)
		pest.click("main", "Send request")
		pest.waitText("main .result", "Request sent to "+bobH)

		row := fmt.Sprintf(`main li[data-handle="%s"]`, pestH)
		bob.click(row, "Report")
		bob.choose("dialog", "Reason", "They are being mean or threatening")
		bob.fill("dialog", "Anything you want to add (you can leave this empty)", "TEST report from the browser test")
		bob.click("dialog", "Send report")
		bob.waitText("dialog", "Report sent")
		bob.click("dialog", "Block")
		bob.waitText("dialog", "You blocked "+pestH)
		bob.click("dialog", "Close")
		blocked := `main section[aria-label="Blocked"]`
		bob.waitText(blocked, pestH)
		bob.click(blocked, "Unblock")
		bob.waitText(blocked, "You have not blocked anyone.")
	})
}
