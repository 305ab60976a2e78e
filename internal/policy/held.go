package policy

import safeguard "github.com/safeguard-dev/safeguard"

// Sight is how a member of a conversation sees one of its messages.
type Sight int

// The sights of a message.
const (
	// Unseen: the message is held and the viewer did not send it.
	Unseen Sight = iota
	// SeenSent: the viewer sent it. A held message looks to its sender
	// like any message it sent: the sender is not told of the hold.
	SeenSent
	// SeenDelivered: someone else sent it and it was delivered.
	SeenDelivered
)

// MessageSight decides how viewer, a member of m's conversation, sees m. It
// is the one rule of who may see a held message: its sender, as sent, and no
// one else until it is released. The store applies the same rule in SQL
// (store.MessageQuery.Viewer) so that a page of history keeps its size;
// tests hold the two together. Blocks are a separate rule (Hidden).
func MessageSight(viewer int64, m *safeguard.Message) Sight {
	switch {
	case m.SenderID == viewer:
		return SeenSent
	case m.Status == safeguard.Delivered:
		return SeenDelivered
	}
	return Unseen
}

// SeesMessage reports whether viewer, a member of m's conversation, may see
// m at all (MessageSight).
func SeesMessage(viewer int64, m *safeguard.Message) bool {
	return MessageSight(viewer, m) != Unseen
}
