package app_test

import (
	"context"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// TestAgeCorrectedInChromium: a 14-year-old has a contact who was taken to
// be 15. When an operator corrects that contact's date of birth to an
// adult's, her open app tells her in plain words that a contact has ended,
// that it is not her fault, and where to get help, without naming anyone.
func TestAgeCorrectedInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		ivyHandle := s.account("age_ivy", 14)
		maxHandle := s.account("age_max", 15)
		ivy, max := login(t, s, ivyHandle), login(t, s, maxHandle)
		req, err := ivy.RequestContact(ctx, maxHandle)
		must(t, "request", err)
		_, err = max.AcceptContact(ctx, req.ID)
		must(t, "accept", err)

		p := b.person(t, "ivy", 375, 812)
		p.logIn(s.url, ivyHandle)
		p.waitText("main h1", "Chats")
		// A message that shows in her list: her live stream is open.
		_, err = max.SendDirect(ctx, ivyHandle, "see you at chess club")
		must(t, "message", err)
		p.waitText("main", maxHandle)
		_, err = s.admin.CorrectBirthDate(ctx, maxHandle, client.OperatorChange{BirthDate: born(31), Method: "driving licence seen",
			Reason: "TEST report from a parent", By: "amir"})
		must(t, "correct", err)
		p.waitText("#alerts", "A contact has ended")
		p.waitText("#alerts", "You did nothing wrong")
		p.waitText("#alerts", "0800 1111")
		if page := p.text("#alerts"); contains(page, maxHandle) {
			t.Errorf("the notice names the other side: %s", page)
		}
		checkAccessible(t, p, "a young person told a contact ended")
	})
}
