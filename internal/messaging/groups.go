package messaging

import (
	"context"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// departure is a membership that a block ended: the group as it now stands
// and the account that is no longer in it.
type departure struct {
	view *ConversationView
	gone int64
}

// separate keeps the group rule true when blocker blocks target. For every
// young person in a group, every other member must be one of their
// contacts, and a block ends the contact between the two; so in every group
// both are in, one of them goes. The young person stays: when a young person
// blocks someone, the blocked account is removed; when an adult blocks a
// young person, the adult leaves. Between adults nothing changes. The other
// members see an ordinary membership change; why is written only to the
// audit log. It runs in the block's transaction.
func (s *Service) separate(ctx context.Context, tx Tx, blocker, target *safeguard.Account, now time.Time) ([]departure, error) {
	goer, state := target, safeguard.MemberRemoved
	switch {
	case blocker.Band(now).Minor():
	case target.Band(now).Minor():
		goer, state = blocker, safeguard.MemberLeft
	default:
		return nil, nil
	}
	cs, err := tx.Conversations(ctx, blocker.ID)
	if err != nil {
		return nil, err
	}
	var out []departure
	for _, c := range cs {
		if c.Kind != safeguard.Group || !current(c, blocker.ID) || !current(c, target.ID) {
			continue
		}
		m := c.Member(goer.ID)
		v, err := s.setMember(ctx, tx, c.ID, safeguard.Member{AccountID: goer.ID, State: state, InvitedBy: m.InvitedBy, UpdatedAt: now}, now)
		if err != nil {
			return nil, err
		}
		if err := tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: blocker.ID, Actor: "account",
			Action: "conversation.member_" + string(state), TargetID: goer.ID, Reason: "blocked",
			Detail: `{"conversation":` + strconv.FormatInt(c.ID, 10) + `}`}); err != nil {
			return nil, err
		}
		out = append(out, departure{view: v, gone: goer.ID})
	}
	return out, nil
}

// current reports whether id is joined or invited in c.
func current(c *safeguard.Conversation, id int64) bool {
	m := c.Member(id)
	return m != nil && (m.State == safeguard.MemberJoined || m.State == safeguard.MemberInvited)
}
