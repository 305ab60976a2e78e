package safeguard

import "time"

// ContactState is where a contact request stands.
type ContactState string

// The contact states. A request involving a child waits for the child's
// guardian (AwaitingGuardian) before the other side sees it.
const (
	ContactAwaitingGuardian ContactState = "awaiting_guardian"
	ContactPending          ContactState = "pending"
	ContactAccepted         ContactState = "accepted"
	ContactDeclined         ContactState = "declined"
)

// Contact is a contact request from one account to another; once accepted the
// two are contacts, in both directions.
type Contact struct {
	ID        int64
	FromID    int64
	ToID      int64
	State     ContactState
	CreatedAt time.Time
	UpdatedAt time.Time
	// GuardianApproved records, per side, that a child's guardian approved.
	FromGuardianOK bool
	ToGuardianOK   bool
}

// Other returns the account on the other side of c from id.
func (c *Contact) Other(id int64) int64 {
	if c.FromID == id {
		return c.ToID
	}
	return c.FromID
}

// Block is one account blocking another. Blocks override everything.
type Block struct {
	BlockerID int64
	BlockedID int64
	CreatedAt time.Time
}
