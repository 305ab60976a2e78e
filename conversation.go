package safeguard

import "time"

// ConversationKind tells a one-to-one conversation from a group.
type ConversationKind string

// The conversation kinds.
const (
	Direct ConversationKind = "direct"
	Group  ConversationKind = "group"
)

// MaxGroupMembers is the largest group the platform allows.
const MaxGroupMembers = 256

// MemberState is where a member of a conversation stands.
type MemberState string

// The member states. Invited members (a minor must accept a group
// invitation) receive nothing until they join.
const (
	MemberInvited MemberState = "invited"
	MemberJoined  MemberState = "joined"
	MemberLeft    MemberState = "left"
	MemberRemoved MemberState = "removed"
)

// Member is an account's place in a conversation.
type Member struct {
	AccountID int64
	State     MemberState
	InvitedBy int64
	UpdatedAt time.Time
	// JoinedAt is when the member last became joined; zero if never (or
	// not known, for a membership that ended before it was kept).
	JoinedAt time.Time
}

// Conversation is a one-to-one chat or a group. Whether it is end-to-end
// encrypted is fixed when it is created.
type Conversation struct {
	ID        int64
	Kind      ConversationKind
	Title     string
	E2EE      bool
	App       string
	CreatedBy int64
	CreatedAt time.Time
	Members   []Member
}

// Member returns id's membership, or nil.
func (c *Conversation) Member(id int64) *Member {
	for i := range c.Members {
		if c.Members[i].AccountID == id {
			return &c.Members[i]
		}
	}
	return nil
}

// Joined reports whether id is a joined member of c.
func (c *Conversation) Joined(id int64) bool {
	m := c.Member(id)
	return m != nil && m.State == MemberJoined
}

// Current returns the members who are joined or invited, the people a
// conversation's rules are checked against.
func (c *Conversation) Current() []Member {
	var out []Member
	for _, m := range c.Members {
		if m.State == MemberJoined || m.State == MemberInvited {
			out = append(out, m)
		}
	}
	return out
}

// ReadMarker records the last message an account has read in a conversation.
type ReadMarker struct {
	ConversationID int64
	AccountID      int64
	MessageID      int64
	At             time.Time
}
