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

// adultNow reports whether the account is an adult at now (a date of birth
// corrected to an adult's counts from the correction).
func adultNow(ctx context.Context, tx Tx, accountID int64, now time.Time) (bool, error) {
	a, err := load(ctx, tx, accountID)
	if err != nil {
		return false, err
	}
	return a.Band(now) == safeguard.Adult, nil
}

// hiddenFromAdult reports whether viewer may not see m because m is a
// young person's flagged image and viewer, not its sender, is an adult.
func hiddenFromAdult(ctx context.Context, tx Tx, viewerAdult bool, viewer int64, m *safeguard.Message) (bool, error) {
	if !viewerAdult || m.SenderID == viewer {
		return false, nil
	}
	return flaggedYoungImage(ctx, tx, m)
}
