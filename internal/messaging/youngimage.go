package messaging

import (
	"context"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// flaggedYoungImage reports whether m is a young person's image that the
// new-image classifier found may show nudity, acted on (not in shadow mode):
// such an image is never shown to an adult, whenever the adult joined and
// whatever their age was when it was sent (docs/images.md).
func flaggedYoungImage(ctx context.Context, tx Tx, m *safeguard.Message) (bool, error) {
	if m.Kind != safeguard.ImageMessage || m.MediaID == 0 {
		return false, nil
	}
	ds, err := tx.Detections(ctx, store.DetectionQuery{MessageID: m.ID, Source: safeguard.NewImage})
	if err != nil {
		return false, err
	}
	for _, d := range ds {
		f, err := d.Finding()
		if err != nil {
			// A finding that cannot be read is taken as the worst.
			return true, nil
		}
		nf := f.Nudity
		if nf != nil && nf.Nudity && !nf.Shadow && strings.HasPrefix(nf.Branch, "minor_to_") {
			return true, nil
		}
	}
	return false, nil
}

// hiddenFromAdult reports whether viewer may not see m because m is a
// young person's flagged image and viewer, not its sender, is an adult.
func hiddenFromAdult(ctx context.Context, tx Tx, viewerAdult bool, viewer int64, m *safeguard.Message) (bool, error) {
	if !viewerAdult || m.SenderID == viewer {
		return false, nil
	}
	return flaggedYoungImage(ctx, tx, m)
}

// beforeJoining reports whether viewer, a member under 18 at now, may not
// see m because it was sent in c before they joined (their latest joining):
// a young person who joins a group sees what is sent from then on, never
// what was sent before — which no classifier looked at for them, since only
// joined members are a message's recipients (docs/policy.md). Their own
// messages, and anything seen by an adult, are not affected.
func beforeJoining(c *safeguard.Conversation, viewer *safeguard.Account, now time.Time, m *safeguard.Message) bool {
	if viewer == nil || m.SenderID == viewer.ID || !viewer.Band(now).Minor() {
		return false
	}
	mb := c.Member(viewer.ID)
	if mb == nil {
		return true
	}
	return m.CreatedAt.Before(mb.JoinedAt)
}
