package messaging

import (
	"context"
	"slices"
	"strconv"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Notification is a live event for some accounts, sent after the change it
// describes is committed. What each recipient may see is already decided:
// a held message is announced to its sender only, exactly as a delivered one.
type Notification struct {
	Type         string // a safeguard.Event* type
	To           []int64
	Message      *MessageView
	Contact      *ContactView // as the recipients see it
	Conversation *ConversationView
	Account      *safeguard.Account
	Notice       string // a notice code the recipients are shown
	// End, when set, is no event: it ends the recipients' live streams
	// (EndSession, EndMembership). Session narrows EndSession to the
	// streams opened with one session; 0 means every session.
	End     string
	Session int64
	// Key, when set, names the event for deduplication: the event to each
	// recipient is published under Key and the recipient's ID, so that a
	// bus that deduplicates keeps one copy of an event published again
	// (see Config.RepublishWindow).
	Key string
}

// createdKey is the deduplication key of message id's message.created
// events.
func createdKey(id int64) string {
	return "message." + strconv.FormatInt(id, 10) + ".created"
}

// What ends live streams (Notification.End).
const (
	// EndSession: the session is over (logout, suspension); the client
	// logs in again.
	EndSession = "session"
	// EndMembership: a membership ended; the client fetches its
	// conversations again and reconnects, so that nothing of a
	// conversation it left reaches it any more.
	EndMembership = "membership"
)

// Notifier delivers notifications to the live event streams of accounts. It
// must not block: a recipient that is not listening catches up from history.
type Notifier interface {
	Notify(ctx context.Context, n Notification)
}

type discard struct{}

func (discard) Notify(context.Context, Notification) {}

// publish sends n to one account.
func (s *Service) publish(ctx context.Context, to int64, n Notification) {
	n.To = []int64{to}
	s.notify.Notify(ctx, n)
}

// publishContact tells each of to about contact c, from their side.
func (s *Service) publishContact(ctx context.Context, c *safeguard.Contact, to []int64) {
	if len(to) == 0 {
		return
	}
	now := s.clock()
	var accounts map[int64]*safeguard.Account
	ids := append([]int64{c.FromID, c.ToID}, to...)
	if err := s.view(ctx, func(tx Tx) (err error) { accounts, err = tx.AccountsByID(ctx, uniq(ids)); return }); err != nil {
		s.log.WarnContext(ctx, "live contact event", "err", err)
		return
	}
	for _, id := range to {
		viewer := accounts[id]
		if viewer == nil {
			continue
		}
		v := &ContactView{Contact: c, Incoming: c.ToID == id}
		v.Other = accounts[c.Other(id)]
		typ := safeguard.EventContactRequested
		switch {
		case c.State == safeguard.ContactAccepted:
			typ = safeguard.EventContactAccepted
		case c.State == safeguard.ContactAwaitingGuardian:
			typ = safeguard.EventContactGuardian
		}
		n := Notification{Type: typ, Contact: v}
		if typ == safeguard.EventContactRequested && v.Incoming && viewer.Band(now).Minor() {
			// Someone new wants to talk to a young person: show support.
			n.Notice = "support_new_contact"
			v.Notices = []string{n.Notice}
		}
		s.publish(ctx, id, n)
	}
}

// publishConversation reloads a conversation and tells its current members;
// gone are the accounts whose membership just ended.
func (s *Service) publishConversation(ctx context.Context, id int64, typ string, gone ...int64) {
	var v *ConversationView
	err := s.view(ctx, func(tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return err
		}
		v, err = s.conversationView(ctx, tx, c, s.clock())
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "live conversation event", "err", err)
		return
	}
	s.publishConversationView(ctx, v, typ, gone...)
}

// publishConversationView tells the current members (joined and invited)
// about a conversation. Each of gone, whose membership just ended, hears
// once that it is no longer a member — with no member list — and its live
// streams end: nothing that happens later in the conversation reaches it.
func (s *Service) publishConversationView(ctx context.Context, v *ConversationView, typ string, gone ...int64) {
	var to []int64
	for _, m := range v.Current() {
		if !slices.Contains(gone, m.AccountID) {
			to = append(to, m.AccountID)
		}
	}
	if len(to) > 0 {
		s.notify.Notify(ctx, Notification{Type: typ, To: to, Conversation: v})
	}
	for _, id := range gone {
		s.publish(ctx, id, Notification{Type: safeguard.EventMemberChanged, Conversation: formerView(v, id)})
		s.publish(ctx, id, Notification{End: EndMembership})
	}
}

// formerView is a conversation as an account that is no longer in it is
// told about it: the conversation and that account's own membership, no one
// else's, and no notice (which would say who is in it).
func formerView(v *ConversationView, id int64) *ConversationView {
	c := *v.Conversation
	c.Members = nil
	if m := v.Member(id); m != nil {
		c.Members = []safeguard.Member{*m}
	}
	return &ConversationView{Conversation: &c, Accounts: map[int64]*safeguard.Account{id: v.Accounts[id]}}
}
