package messaging

import (
	"context"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// ExportPage is how many messages an export reads in one transaction: what
// it holds in memory at once.
const ExportPage = MaxHistoryLimit

// ExportedConversation is a conversation in an account's export, as the
// account may see it: a current member (joined or invited) sees it as a
// conversation read does; a former member (left, removed) sees only the
// conversation and its own membership, as it was last told, without its
// title (which may have changed since).
type ExportedConversation struct {
	*ConversationView
	Membership safeguard.Member // the account's own
	// Messages calls fn with each page of the messages the account may
	// read in it, oldest first, each page read in its own transaction: a
	// joined member's history as a history read gives it (held messages of
	// others and messages of those it blocked left out); an invited
	// member's nothing; a former member's the messages it sent itself.
	Messages func(fn func([]*MessageView) error) error
}

// ExportConversations calls fn with each conversation accountID is or was
// in, in ID order, one at a time: what an export of the account's data
// (UK GDPR articles 15 and 20) holds of its conversations.
func (s *Service) ExportConversations(ctx context.Context, accountID int64, fn func(*ExportedConversation) error) error {
	var ids []int64
	if err := s.view(ctx, func(tx Tx) (err error) { ids, err = tx.AccountConversationIDs(ctx, accountID); return }); err != nil {
		return err
	}
	for _, id := range ids {
		var ec *ExportedConversation
		err := s.view(ctx, func(tx Tx) error {
			c, err := tx.Conversation(ctx, id)
			if err != nil {
				return err
			}
			m := c.Member(accountID)
			if m == nil {
				return nil // gone since the IDs were read
			}
			v, err := s.conversationView(ctx, tx, c, s.clock())
			if err != nil {
				return err
			}
			ec = &ExportedConversation{ConversationView: v, Membership: *m}
			switch m.State {
			case safeguard.MemberJoined:
				ec.Messages = s.exportMessages(ctx, accountID, id, 0)
			case safeguard.MemberInvited:
				ec.Messages = func(func([]*MessageView) error) error { return nil }
			default:
				ec.ConversationView = formerView(v, accountID)
				// The title may have changed since it left: what the
				// group is called now is none of a former member's.
				ec.ConversationView.Conversation.Title = ""
				ec.Messages = s.exportMessages(ctx, accountID, id, accountID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if ec == nil {
			continue
		}
		if err := fn(ec); err != nil {
			return err
		}
	}
	return nil
}

// exportMessages returns a function that pages through the messages of a
// conversation that viewer may read, oldest first; with sender set, that
// account's messages only.
func (s *Service) exportMessages(ctx context.Context, viewer, conversationID, sender int64) func(fn func([]*MessageView) error) error {
	return func(fn func([]*MessageView) error) error {
		var after int64
		for {
			var page []*MessageView
			more := false
			err := s.view(ctx, func(tx Tx) error {
				c, err := tx.Conversation(ctx, conversationID)
				if err != nil {
					return err
				}
				ms, err := tx.Messages(ctx, store.MessageQuery{ConversationID: conversationID, After: after, Oldest: true,
					Limit: ExportPage, Viewer: viewer, Sender: sender})
				if err != nil || len(ms) == 0 {
					return err
				}
				more = len(ms) == ExportPage
				after = ms[len(ms)-1].ID
				page, err = s.readable(ctx, tx, c, viewer, ms)
				return err
			})
			if err != nil {
				return err
			}
			if len(page) > 0 {
				if err := fn(page); err != nil {
					return err
				}
			}
			if !more {
				return nil
			}
		}
	}
}

// readable keeps of ms what viewer may read: nothing from someone the
// viewer blocked, whether or not that person is still a member or still has
// an account (a block outlives the blocked account's deletion, and so does
// what it hides); and gives each its sender's account, a deleted or former
// member's too. History and the export read messages through it.
func (s *Service) readable(ctx context.Context, tx Tx, c *safeguard.Conversation, viewer int64, ms []*safeguard.Message) ([]*MessageView, error) {
	ids := make([]int64, 0, len(c.Members)+1)
	for _, m := range c.Members {
		ids = append(ids, m.AccountID)
	}
	accounts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := addSenders(ctx, tx, accounts, ms); err != nil {
		return nil, err
	}
	// The relations of the viewer and everyone who sent one of ms, members
	// or not.
	ids = []int64{viewer}
	for _, m := range ms {
		ids = append(ids, m.SenderID)
	}
	rels, err := relations(ctx, tx, uniq(ids))
	if err != nil {
		return nil, err
	}
	notices, err := shownNotices(ctx, tx, viewer, c.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	out := make([]*MessageView, 0, len(ms))
	for _, m := range ms {
		if hide, err := hides(ctx, tx, c, viewer, accounts[viewer], rels(viewer, m.SenderID), m, now); err != nil {
			return nil, err
		} else if hide {
			continue
		}
		sh := notices[m.ID]
		out = append(out, &MessageView{Message: m, Sender: accounts[m.SenderID], Notice: sh.notice, Blurred: sh.blurred})
	}
	return out, nil
}

// hides reports whether the history of viewer (its account, nil if deleted)
// leaves out message m of c, held messages aside (policy.SeesMessage, which
// the store applies to a page of history), rel being what holds between
// viewer and m's sender: m's sender is someone viewer blocked; m was sent
// before a young viewer joined; or m is a young person's flagged image and
// viewer an adult. History, the export and a repeat's republishing ask it.
func hides(ctx context.Context, tx Tx, c *safeguard.Conversation, viewer int64, account *safeguard.Account, rel policy.Relation, m *safeguard.Message, now time.Time) (bool, error) {
	if m.SenderID != viewer && policy.Hidden(viewer, rel) {
		return true, nil
	}
	// A young person sees what was sent from their joining on.
	if beforeJoining(c, account, now, m) {
		return true, nil
	}
	// A young person's image the classifier flagged is never shown to an
	// adult (whenever they joined, whatever their age then).
	return hiddenFromAdult(ctx, tx, account != nil && account.Band(now) == safeguard.Adult, viewer, m)
}
