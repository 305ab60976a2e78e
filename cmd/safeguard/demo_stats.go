package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// statsStory is the end of the demo: reports open cases, a moderator
// reports one to law enforcement, and the operator reads the platform's own
// table of the quarter — the published form, small counts suppressed.
func (d *demo) statsStory(ctx context.Context) error {
	d.heading("A teen reports a message; the case is counted by police force area")
	if _, err := d.signUp(ctx, "tutor_ed", 34, "Cambridge"); err != nil {
		return err
	}
	req, err := d.users["leo"].RequestContact(ctx, d.h("tutor_ed"))
	if err != nil {
		return err
	}
	if _, err := d.users["tutor_ed"].AcceptContact(ctx, req.ID); err != nil {
		return err
	}
	conv, err := d.users["tutor_ed"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("leo")}})
	if err != nil {
		return err
	}
	m, err := d.users["tutor_ed"].SendText(ctx, conv.ID, "Send me a photo of yourself (synthetic)")
	if err != nil {
		return err
	}
	rec, err := d.users["leo"].Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "asked_for_photos"})
	if err != nil {
		return err
	}
	d.say("   tutor_ed (Cambridge) asks leo (15, Bedford) for a photo; leo reports it: \"They asked me for photos\".")
	for _, n := range rec.Notices {
		d.quote("Leo", n.Text)
	}
	if _, err := d.users["leo"].Report(ctx, client.ReportRequest{Account: d.h("tutor_ed"), Reason: "something_else"}); err != nil {
		return err
	}
	d.say("   leo also reports tutor_ed's account: two cases, one about the message, one about the account, both")
	d.say("   counted in leo's police force area. joanne's report of the stranger involves no child: it counts in")
	d.say("   the stranger's area, Norfolk.")
	if _, err := d.srv.cases.Process(ctx); err != nil {
		return err
	}
	queue, err := d.admin.AdminCases(ctx)
	if err != nil {
		return err
	}
	for _, c := range queue {
		if c.ConversationID != conv.ID {
			continue
		}
		if _, err := d.admin.AdminCaseAction(ctx, c.ID, "decide", client.CaseAction{Moderator: "moderator_kim",
			Decision: "report", Reason: "an adult asked a 15-year-old for photos"}); err != nil {
			return err
		}
		d.say("   A moderator reports case %d (priority %d) to law enforcement — a test report, routed to Bedfordshire.", c.ID, c.Priority)
		break
	}

	now := time.Now().UTC()
	period := fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())+2)/3)
	d.heading(fmt.Sprintf("The platform's own statistics, %s", period))
	d.say("   Every case of the demo, in the police force area of the child it involves, or else of the reported user.")
	for _, unsuppressed := range []bool{true, false} {
		body, _, err := d.admin.AdminStats(ctx, "platform", client.StatsQuery{Period: period, Format: "text", Unsuppressed: unsuppressed})
		if err != nil {
			return err
		}
		if unsuppressed {
			d.say("   What the operator sees (--unsuppressed, marked INTERNAL, never published):")
		} else {
			d.say("   What may be published: counts of 1 or 2 suppressed as <3, and anything that would give one away withheld:")
		}
		d.table(string(body))
	}
	d.say("   (stats platform --by app|source|priority, stats impact and transparency give the rest.)")
	return nil
}

// table prints the rows of a statistics table in text form: from its header
// to its total.
func (d *demo) table(text string) {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "Police force area") {
			continue
		}
		for _, l := range lines[i:] {
			if l == "" {
				return
			}
			d.say("     %s", l)
		}
	}
}
