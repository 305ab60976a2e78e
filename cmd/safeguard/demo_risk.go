package main

import (
	"context"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/safety/urls"
)

// demoURLList is the demo's URL list: synthetic addresses under the
// reserved .invalid top-level domain.
const demoURLList = "# Demo list in the IWF URL-list shape (synthetic).\nbad-site.invalid\nhost.invalid/hidden/\n"

// riskStory is the demo's safety-pipeline part: an adult Leo met online
// grooms him, the rules warn Leo with support, and a listed link is held.
func (d *demo) riskStory(ctx context.Context) error {
	d.heading("A teen adds an adult he met in a game")
	if _, err := d.signUp(ctx, "gamer_vic", 31, "Luton"); err != nil {
		return err
	}
	req, err := d.users["leo"].RequestContact(ctx, d.h("gamer_vic"))
	if err != nil {
		return err
	}
	if _, err := d.users["gamer_vic"].AcceptContact(ctx, req.ID); err != nil {
		return err
	}
	d.say("   Leo asks to add gamer_vic (an adult he met online), who accepts.")
	chat, err := d.users["gamer_vic"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("leo")}})
	if err != nil {
		return err
	}
	evctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := d.users["leo"].Events(evctx)
	if err != nil {
		return err
	}

	d.heading("The grooming rules warn Leo; gamer_vic notices nothing")
	for _, text := range []string{
		"gg last night! you're really mature for your age",
		"send me a pic of you, I'll send you vbucks",
		"don't tell your parents about our chats, it's our secret",
	} {
		m, err := d.users["gamer_vic"].SendText(ctx, chat.ID, text)
		if err != nil {
			return err
		}
		d.say("   gamer_vic: %q → his app shows %q", text, m.Status)
	}
	if _, err := d.users["leo"].SendText(ctx, chat.ID, "ok"); err != nil {
		return err
	}
	for ev := range d.events(events, "ok") {
		if ev.Type == "safety.notice" && ev.Notice != nil {
			var help []string
			for _, l := range ev.Notice.Links {
				help = append(help, l.Label)
			}
			d.say("   Leo sees, under %q: %q", ev.Message.Text, ev.Notice.Title)
			d.quote("Leo", ev.Notice.Text)
			d.say("     with %s; buttons: %s", strings.Join(help, "; "), strings.Join(ev.Notice.Actions, ", "))
		}
	}
	if page, err := d.users["leo"].History(ctx, chat.ID, client.HistoryQuery{Limit: 20}); err == nil {
		for _, m := range page.Messages {
			if m.Notice != nil {
				d.say("   The warning is kept: whenever Leo opens the chat, even after logging in later, it is under %q.", m.Text)
			}
		}
	}
	if rules, err := d.admin.RiskRules(ctx); err == nil {
		var fired []string
		for _, r := range rules.Rules {
			if r.Fired > 0 && r.Mode == "enforce" {
				fired = append(fired, r.ID)
			}
		}
		d.say("   The operator's counters (GET /api/v1/admin/risk/rules): %d rules fired, among them", len(fired))
		d.say("   %s.", strings.Join(fired, ", "))
	}
	d.say("   Each rule's first firing is a detection, with the signals and facts that raised it, for a case.")
	d.say("   Leo is warned once today about gamer_vic in this chat, not at every message; gamer_vic is never told.")

	d.heading("A link on a URL list is held, and the sender is not told")
	l, err := urls.Import(ctx, d.store, urls.ListImport{Name: "demo-list", Source: "synthetic demo list", ImportedBy: "demo"},
		"demo-list.txt", []byte(demoURLList), time.Now().UTC())
	if err != nil {
		return err
	}
	d.say("   The operator imports a URL list (safeguard url import): %d entries.", l.Entries)
	link := "look: https://www.Bad-Site.invalid/pics?utm_source=game"
	m, err := d.users["gamer_vic"].SendText(ctx, chat.ID, link)
	if err != nil {
		return err
	}
	d.say("   gamer_vic sends %q → his app shows %q.", link, m.Status)
	page, err := d.users["leo"].History(ctx, chat.ID, client.HistoryQuery{Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Messages) > 0 && page.Messages[0].ID != m.ID {
		d.say("   Leo's chat still ends with %q: the link never reached him.", page.Messages[0].Text)
	}
	d.reviewQueue(ctx, chat.ID)
	return nil
}

// reviewQueue prints the cases opened from the conversation's detections,
// once the cases service has taken them from the outbox (it polls every
// second).
func (d *demo) reviewQueue(ctx context.Context, conv int64) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for {
		queue, err := d.admin.AdminCases(ctx)
		var found []client.Case
		for _, c := range queue {
			if err == nil && c.ConversationID == conv {
				found = append(found, c)
			}
		}
		if len(found) >= 2 {
			d.say("   The review queue (GET /api/v1/admin/cases) holds, for this chat:")
			for _, c := range found {
				d.say("     case %d: priority %d, %s (%s), %d occurrence(s), signals %s", c.ID, c.Priority, c.Category, c.Source,
					c.Occurrences, strings.Join(c.Signals, ", "))
			}
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			d.say("   (the cases service has not opened the cases yet)")
			return
		case <-ctx.Done():
			return
		}
	}
}

// events yields live events up to the message with text marker, or until
// nothing comes for five seconds.
func (d *demo) events(events <-chan client.Event, marker string) func(func(client.Event) bool) {
	return func(yield func(client.Event) bool) {
		for {
			select {
			case ev, ok := <-events:
				if !ok || !yield(ev) || ev.Message != nil && ev.Message.Text == marker && ev.Type == "message.created" {
					return
				}
			case <-time.After(5 * time.Second):
				d.say("   (no live event came)")
				return
			}
		}
	}
}
