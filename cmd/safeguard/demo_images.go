package main

import (
	"context"
	"fmt"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/safety/images"
)

// knownImage is the demo's step about known images: a generated, harmless
// picture stands for a known image. The operator lists it in a bank; an
// adult contact sends a re-encoded, smaller copy to a teen; the copy is held,
// the sender sees an ordinary send, and a case waits in the moderators'
// queue.
func (d *demo) knownImage(ctx context.Context) error {
	d.heading("A known image is caught before it reaches a teen")
	picture := hashbanktest.Image(2026, 640, 480)
	h := images.Hash(hashbanktest.PNG(picture), imaging.Limits{}, false)
	list := fmt.Sprintf("id,pdq,md5,sha256\npicture.png,%s,%s,%s\n", h.PDQ[0], h.MD5, h.SHA256)
	res, err := d.admin.AdminImportBank(ctx, "demo-known", client.BankListImport{Format: "csv", Source: "demo (a generated test picture)",
		By: "demo operator"}, strings.NewReader(list))
	if err != nil {
		return err
	}
	d.say("   The operator lists a generated test picture in the bank %q (as safeguard bank add does): %d entry, bank generation %d.",
		res.Bank.Name, res.Added, res.Generation)
	if _, err := d.signUp(ctx, "coach_dan", 39, "Bedford"); err != nil {
		return err
	}
	req, err := d.users["leo"].RequestContact(ctx, d.h("coach_dan"))
	if err != nil {
		return err
	}
	if _, err := d.users["coach_dan"].AcceptContact(ctx, req.ID); err != nil {
		return err
	}
	conv, err := d.users["coach_dan"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("leo")}})
	if err != nil {
		return err
	}
	copyOf := hashbanktest.JPEG(hashbanktest.Scale(picture, 0.6), 40)
	m, err := d.users["coach_dan"].SendImage(ctx, conv.ID, "photo.jpg", "image/jpeg", copyOf, "")
	if err != nil {
		return err
	}
	d.say("   coach_dan, a contact of Leo's, sends him a copy re-encoded as JPEG quality 40 at 60%% of its size.")
	d.say("     coach_dan sees: %q — the same as for any message.", m.Status)
	page, err := d.users["leo"].History(ctx, conv.ID, client.HistoryQuery{})
	if err != nil {
		return err
	}
	d.say("     Leo sees: %d messages in the chat; nothing arrived.", len(page.Messages))
	if _, err := d.srv.cases.Process(ctx); err != nil {
		return err
	}
	queue, err := d.admin.AdminCases(ctx)
	if err != nil {
		return err
	}
	for _, c := range queue {
		if safeguard.Category(c.Category) == safeguard.CategoryKnownImage {
			d.say("   The moderators' queue: case %d, priority %d, %s (%s), %s — the image kept as evidence, never delivered.",
				c.ID, c.Priority, c.Category, c.Source, c.Status)
		}
	}
	return nil
}
