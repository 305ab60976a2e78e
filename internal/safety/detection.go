package safety

import (
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// NewDetection is a scanner's detection about message m of content c, with
// what holds at detection time: whether m was held, whether the
// conversation is end-to-end encrypted, the recipients, and each member's
// age band and assurance (the sender first). The scanner sets the source,
// content key, severity, category, summary and finding.
func NewDetection(c *messaging.Content, m *safeguard.Message) *safeguard.Detection {
	d := &safeguard.Detection{At: c.Now, MessageID: m.ID, ConversationID: m.ConversationID, SenderID: m.SenderID,
		MediaID: m.MediaID, Held: m.Status == safeguard.Held, ConversationE2EE: c.Conversation.E2EE}
	d.Members = append(d.Members, memberFacts(c.Sender, c))
	for _, r := range c.Recipients {
		d.RecipientIDs = append(d.RecipientIDs, r.ID)
		d.Members = append(d.Members, memberFacts(r, c))
	}
	return d
}

func memberFacts(a *safeguard.Account, c *messaging.Content) safeguard.MemberFacts {
	return safeguard.MemberFacts{AccountID: a.ID, Band: a.Band(c.Now), Assurance: a.Assurance}
}
