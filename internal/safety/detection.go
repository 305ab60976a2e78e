package safety

import (
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// NewDetection is a scanner's detection about message m of content c, with
// what holds at detection time: whether m was held, whether the
// conversation is end-to-end encrypted, the recipients, and each member's
// age band and assurance (the sender first). The scanner sets the source,
// content key, severity, category, summary and finding. It is
// messaging.(*Content).Detection, the one builder of a detection, which the
// message path also uses for a hold the scanner could not check.
func NewDetection(c *messaging.Content, m *safeguard.Message) *safeguard.Detection {
	return c.Detection(m)
}
