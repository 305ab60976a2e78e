package app_test

import (
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// TestDecisionAndAppealInChromium: a moderator warns an adult over a
// message someone reported; the adult's app shows the server's notice
// above the page, with Appeal, which leads to the appeal of that decision.
func TestDecisionAndAppealInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		rudeH, kindH := s.account("rude_rex", 40), s.account("kind_kit", 41)
		rude, kind := login(t, s, rudeH), login(t, s, kindH)
		req, err := rude.RequestContact(ctx, kindH)
		must(t, "request", err)
		_, err = kind.AcceptContact(ctx, req.ID)
		must(t, "accept", err)
		m, err := rude.SendDirect(ctx, kindH, "you are hopeless at quizzes")
		must(t, "send", err)
		_, err = kind.Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "mean_or_threatening", Note: "TEST report from the browser test"})
		must(t, "report", err)

		p := b.person(t, "rex", 375, 812)
		p.logIn(s.url, rudeH)

		var caseID int64
		for deadline := time.Now().Add(20 * time.Second); caseID == 0; {
			cs, err := s.admin.AdminCases(ctx)
			must(t, "cases", err)
			for _, c := range cs {
				if c.ConversationID == m.ConversationID {
					caseID = c.ID
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no case for the report")
			}
			time.Sleep(100 * time.Millisecond)
		}
		_, err = s.admin.AdminCaseAction(ctx, caseID, "claim", client.CaseAction{Moderator: "test-moderator"})
		must(t, "claim", err)
		_, err = s.admin.AdminCaseAction(ctx, caseID, "decide", client.CaseAction{Moderator: "test-moderator", Decision: "warn", Reason: "TEST decision"})
		must(t, "decide", err)

		p.waitText("#alerts", "We made a decision")
		checkAccessible(t, p, "the decision notice")
		p.click("#alerts", "Appeal")
		p.waitText("main h1", "Appeals")
		p.fill("main", "Why we should look again", "It was a joke between friends about a quiz night.")
		p.click("main", "Send appeal")
		p.waitText("main", "We got your appeal")
		p.click("#alerts", "Close")
		p.waitFor("the notice closed", `!document.querySelector('#alerts [data-notice]')`)
	})
}
