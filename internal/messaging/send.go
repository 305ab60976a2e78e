package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// The message path. SendText, SendImage and SendEnvelope check what they
// were given and hand send a builder of the message; send then reads top to
// bottom:
//
//  1. prepare: authorise the sender in the conversation and check the
//     policy toward each recipient (read-only transaction);
//  2. scan: let the safety pipeline see what the server can see;
//  3. save: store the media, the message and what the scan records, in one
//     transaction;
//  4. deliver: tell the sender and, unless the message is held, its
//     recipients.
//
// The acting account travels as an ID argument; the account itself is read
// by load, which takes it from the request (WithActor) when it was loaded
// there.

// send is the message path: see above.
func (s *Service) send(ctx context.Context, senderID, conversationID int64, origin safeguard.Origin, build func(*safeguard.Conversation) (*Content, error)) (*MessageView, error) {
	// A send repeated with its idempotency key answers as the first did,
	// and spends no limit.
	if v, err := s.repeated(ctx, senderID, conversationID); v != nil || err != nil {
		if v != nil && s.cfg.RepublishWindow > 0 {
			s.republish(ctx, v)
		}
		return v, err
	}
	if err := limit(s.messageLimit, idKey(senderID)); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		v, err := s.sendOnce(ctx, senderID, conversationID, origin, build)
		if !errors.Is(err, errMembersChanged) {
			return v, err
		}
		if attempt == sendAttempts {
			return nil, safeguard.Errorf(safeguard.ErrConflict, "members_changed",
				"The people in this chat changed while your message was being sent. Please send it again.")
		}
	}
}

// sendOnce checks, scans and saves one message; errMembersChanged when the
// conversation's joined members changed meanwhile, and nothing was saved.
func (s *Service) sendOnce(ctx context.Context, senderID, conversationID int64, origin safeguard.Origin, build func(*safeguard.Conversation) (*Content, error)) (*MessageView, error) {
	// The store keeps microseconds: the answer says what a repeat and the
	// history will.
	now := s.clock().Truncate(time.Microsecond)
	origin.At = now
	var content *Content
	var refused *denial
	err := s.view(ctx, func(tx Tx) (err error) {
		content, refused, err = s.prepare(ctx, tx, senderID, conversationID, now, build)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, s.refuse("message", content.Sender, refused.to, refused.d)
	}
	m := content.Message
	m.ConversationID, m.SenderID, m.App, m.Origin, m.CreatedAt, m.Status = content.Conversation.ID, content.Sender.ID, appOf(ctx, content.Sender), origin, now, safeguard.Delivered

	verdict, err := s.scan(ctx, content)
	if err != nil {
		return nil, err
	}
	if verdict, err = s.holdSender(ctx, content, verdict); err != nil {
		return nil, err
	}
	if verdict.Ask != nil && !verdict.Hold {
		return nil, verdict.Ask
	}
	if verdict.Hold {
		m.Status = safeguard.Held
	}
	if err := s.save(ctx, content, verdict, origin); err != nil {
		// The same key at once: the other send stored the message.
		if v, rerr := s.repeated(ctx, senderID, conversationID); errors.Is(err, safeguard.ErrConflict) && v != nil && rerr == nil {
			return v, nil
		}
		return nil, err
	}
	view := &MessageView{Message: m, Sender: content.Sender, Blurred: verdict.Blur && !verdict.Hold}
	s.deliver(ctx, view, content.Recipients, verdict)
	return view, nil
}

// denial is a policy refusal of a message, answered once the transaction
// that found it is over (a transaction may run twice).
type denial struct {
	to *safeguard.Account // nil when the sender itself may not send
	d  policy.Decision
}

// prepare authorises the sender and checks the policy. It returns the
// content to scan, with its sender, conversation and recipients; or, with
// that content, the refusal to answer. A conversation the sender is not
// joined to is not found.
func (s *Service) prepare(ctx context.Context, tx Tx, senderID, conversationID int64, now time.Time, build func(*safeguard.Conversation) (*Content, error)) (*Content, *denial, error) {
	sender, err := load(ctx, tx, senderID)
	if err != nil {
		return nil, nil, err
	}
	c, accounts, err := tx.ConversationAccounts(ctx, conversationID)
	if err != nil {
		return nil, nil, err
	}
	if !c.Joined(sender.ID) {
		return nil, nil, safeguard.NotFound
	}
	if c.E2EE {
		if d := policy.E2EEContinues(s.parties(c, accounts, now)); !d.Allow {
			return nil, nil, d.Err
		}
	}
	content, err := build(c)
	if err != nil {
		return nil, nil, err
	}
	content.Sender, content.Conversation, content.Now = sender, c, now
	content.Notice = s.cfg.Policy.Notice(s.parties(c, accounts, now), c.E2EE)
	me := s.party(sender, now)
	if d := policy.Acting(me); !d.Allow {
		return content, &denial{d: d}, nil
	}
	var refused *denial
	content.Recipients, refused, err = s.recipients(ctx, tx, me, c, accounts, now)
	return content, refused, err
}

// parties is the policy's view of c's current members.
func (s *Service) parties(c *safeguard.Conversation, accounts map[int64]*safeguard.Account, now time.Time) []policy.Party {
	var out []policy.Party
	for _, m := range c.Current() {
		if a := accounts[m.AccountID]; a != nil {
			out = append(out, s.party(a, now))
		}
	}
	return out
}

// recipients returns the joined members other than the sender that a
// message from me reaches. In a one-to-one conversation the policy must allow
// the pair, or the message is refused; in a group, a member who blocked the
// sender does not receive it (policy.Hidden).
func (s *Service) recipients(ctx context.Context, tx Tx, me policy.Party, c *safeguard.Conversation, accounts map[int64]*safeguard.Account, now time.Time) ([]*safeguard.Account, *denial, error) {
	var ids []int64
	for _, m := range c.Members {
		if m.State == safeguard.MemberJoined {
			ids = append(ids, m.AccountID)
		}
	}
	rels, err := relations(ctx, tx, ids)
	if err != nil {
		return nil, nil, err
	}
	var out []*safeguard.Account
	for _, id := range ids {
		a := accounts[id]
		switch {
		case id == me.ID || a == nil:
			continue
		case c.Kind == safeguard.Direct:
			if d := s.cfg.Policy.Message(me, s.party(a, now), rels(me.ID, id)); !d.Allow {
				return nil, &denial{to: a, d: d}, nil
			}
		case policy.Hidden(id, rels(id, me.ID)):
			continue
		}
		out = append(out, a)
	}
	return out, nil, nil
}

// save stores the message in one transaction: its media (the bytes first,
// in the media store, removed again if the transaction fails), the message,
// the envelope's relay to devices, and what the scan records. A held message
// always leaves a detection: the scanner's own, written by verdict.Record;
// or, when the scanner held it without one (it could not check the
// content), a detection of the hold itself, so that a case opens and a
// person looks.
func (s *Service) save(ctx context.Context, c *Content, verdict Verdict, origin safeguard.Origin) error {
	m := c.Message
	if c.Media != nil {
		key, err := s.media.Put(ctx, c.Data)
		if err != nil {
			return fmt.Errorf("store media: %w", err)
		}
		c.Media.StorageKey, c.Media.CreatedAt, c.Media.Origin = key, c.Now, origin
	}
	err := updateTx(ctx, s.store, func(tx Tx) error {
		if err := s.sameMembers(ctx, tx, c.Conversation); err != nil {
			return err
		}
		if c.Media != nil {
			if err := tx.CreateMedia(ctx, c.Media); err != nil {
				return err
			}
			m.MediaID = c.Media.ID
		}
		if err := tx.CreateMessage(ctx, m); err != nil {
			return err
		}
		if err := s.keepKey(ctx, tx, m); err != nil {
			return err
		}
		if m.Kind == safeguard.EnvelopeMessage && s.relay != nil && m.Status != safeguard.Held {
			if err := s.relay.Relay(ctx, tx, m, c.Recipients); err != nil {
				return err
			}
		}
		switch {
		case verdict.Record != nil:
			return verdict.Record(ctx, tx, m)
		case m.Status == safeguard.Held:
			return store.RecordDetection(ctx, tx, holdDetection(c, m, verdict.Reason))
		}
		return nil
	})
	if err != nil && c.Media != nil {
		s.media.Delete(context.WithoutCancel(ctx), c.Media.StorageKey)
	}
	return err
}

// errMembersChanged: the conversation's joined members changed between the
// policy's check of a message and its save; the send starts again.
var errMembersChanged = errors.New("the conversation's members changed while the message was checked")

// sendAttempts is how many times a send is checked and saved when the
// conversation's members keep changing meanwhile.
const sendAttempts = 3

// sameMembers locks conversation c, as every membership change does, and
// checks that its joined members are still those the policy and the scan
// saw: a member who joined meanwhile (a young person accepting an
// invitation) was not among the recipients the message was checked for.
func (s *Service) sameMembers(ctx context.Context, tx Tx, c *safeguard.Conversation) error {
	if err := tx.LockConversation(ctx, c.ID); err != nil {
		return err
	}
	now, err := tx.Conversation(ctx, c.ID)
	if err != nil {
		return err
	}
	if !slices.Equal(joinedIDs(c), joinedIDs(now)) {
		return errMembersChanged
	}
	return nil
}

// joinedIDs returns the IDs of c's joined members, in ascending order.
func joinedIDs(c *safeguard.Conversation) []int64 {
	var ids []int64
	for _, m := range c.Members {
		if m.State == safeguard.MemberJoined {
			ids = append(ids, m.AccountID)
		}
	}
	slices.Sort(ids)
	return ids
}

// deliver tells the sender and the recipients who may see the message
// (policy.SeesMessage: none while it is held) that it was sent, then runs
// what the verdict asked to run after the commit.
func (s *Service) deliver(ctx context.Context, v *MessageView, recipients []*safeguard.Account, verdict Verdict) {
	to := []int64{v.SenderID}
	for _, r := range recipients {
		if policy.SeesMessage(r.ID, v.Message) {
			to = append(to, r.ID)
		}
	}
	s.notify.Notify(ctx, Notification{Type: safeguard.EventMessageCreated, To: to, Message: v, Key: createdKey(v.ID)})
	if verdict.After != nil {
		verdict.After(ctx, v.Message)
	}
}

// republish publishes again the message.created events of repeated send v,
// under the keys deliver used, so that a recipient whose events the first
// send never published (its server died after the commit) still gets them.
// That is useful only within the bus's duplicate window
// (Config.RepublishWindow), which keeps one copy of an event published
// twice: a later repeat publishes nothing. Within it, the events go only to
// those republishTo finds, each with the message as their history shows it.
// A failure is logged: the message is stored, and in everyone's history.
func (s *Service) republish(ctx context.Context, v *MessageView) {
	now := s.clock()
	if !now.Before(v.CreatedAt.Add(s.cfg.RepublishWindow)) {
		return
	}
	var out []republished
	err := s.view(ctx, func(tx Tx) (err error) {
		out, err = s.republishTo(ctx, tx, v.Message, now)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "republish a repeated send's events", "message", v.ID, "err", err)
		return
	}
	for _, o := range out {
		s.notify.Notify(ctx, Notification{Type: safeguard.EventMessageCreated, To: []int64{o.viewer}, Message: o.MessageView, Key: createdKey(v.ID)})
	}
}

// republished is one member's view of a republished message.
type republished struct {
	*MessageView
	viewer int64
}

// republishTo returns whom a repeat of stored message m tells again, each
// with m as their history shows it: its sender, while still a joined
// member (nothing of a conversation left reaches its former member), and
// those of the first send's recipients who would receive the same message
// sent now (reachedAgain).
func (s *Service) republishTo(ctx context.Context, tx Tx, m *safeguard.Message, now time.Time) ([]republished, error) {
	c, accounts, err := tx.ConversationAccounts(ctx, m.ConversationID)
	if err != nil {
		return nil, err
	}
	sender := accounts[m.SenderID]
	if sender == nil || !c.Joined(sender.ID) {
		return nil, nil
	}
	to, err := s.reachedAgain(ctx, tx, sender, c, accounts, m, now)
	if err != nil {
		return nil, err
	}
	out := []republished{{&MessageView{Message: m, Sender: sender}, sender.ID}}
	for _, id := range to {
		sh, err := shownNotices(ctx, tx, id, c.ID)
		if err != nil {
			return nil, err
		}
		v := &MessageView{Message: m, Sender: sender, Notice: sh[m.ID].notice, Blurred: sh[m.ID].blurred}
		out = append(out, republished{v, id})
	}
	return out, nil
}

// reachedAgain returns the members of c other than sender who may be told
// again of sender's stored message m: each joined member who was joined
// when m was sent (the first send's recipients were: neither a young
// person who joined since, whose history starts at their joining, nor
// anyone else the first send did not tell), whom the same message sent now
// would reach (prepare's rules: the sender may act, an end-to-end
// encrypted conversation may go on, and recipients), with no block between
// the two either way, who may see m (policy.SeesMessage: no one but its
// sender while it is held) and whose history shows it (hides).
func (s *Service) reachedAgain(ctx context.Context, tx Tx, sender *safeguard.Account, c *safeguard.Conversation, accounts map[int64]*safeguard.Account, m *safeguard.Message, now time.Time) ([]int64, error) {
	me := s.party(sender, now)
	if !policy.Acting(me).Allow || c.E2EE && !policy.E2EEContinues(s.parties(c, accounts, now)).Allow {
		return nil, nil
	}
	recipients, refused, err := s.recipients(ctx, tx, me, c, accounts, now)
	if err != nil || refused != nil {
		return nil, err
	}
	ids := []int64{sender.ID}
	for _, r := range recipients {
		ids = append(ids, r.ID)
	}
	rels, err := relations(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, r := range recipients {
		mb, rel := c.Member(r.ID), rels(r.ID, sender.ID)
		if mb == nil || m.CreatedAt.Before(mb.JoinedAt) || rel.Blocks || rel.BlockedBy || !policy.SeesMessage(r.ID, m) {
			continue
		}
		if hide, err := hides(ctx, tx, c, r.ID, r, rel, m, now); err != nil {
			return nil, err
		} else if hide {
			continue
		}
		out = append(out, r.ID)
	}
	return out, nil
}

// Detection is the detection about stored message m of c, with what holds
// at detection time: whether m was held, whether the conversation is
// end-to-end encrypted, the recipients, and each member's age band and
// assurance (the sender first). The caller sets the source, content key,
// severity, category, summary and finding. Every scanner's detection starts
// here (safety.NewDetection), and so does the hold's own (holdDetection).
func (c *Content) Detection(m *safeguard.Message) *safeguard.Detection {
	d := &safeguard.Detection{At: c.Now, MessageID: m.ID, ConversationID: m.ConversationID, SenderID: m.SenderID,
		MediaID: m.MediaID, Held: m.Status == safeguard.Held, ConversationE2EE: c.Conversation.E2EE}
	d.Members = append(d.Members, c.memberFacts(c.Sender))
	for _, r := range c.Recipients {
		d.RecipientIDs = append(d.RecipientIDs, r.ID)
		d.Members = append(d.Members, c.memberFacts(r))
	}
	return d
}

func (c *Content) memberFacts(a *safeguard.Account) safeguard.MemberFacts {
	return safeguard.MemberFacts{AccountID: a.ID, Band: a.Band(c.Now), Assurance: a.Assurance}
}

// holdDetection describes held message m that the scanner held without a
// detection of its own, because it could not check the content.
func holdDetection(c *Content, m *safeguard.Message, reason string) *safeguard.Detection {
	d := c.Detection(m)
	d.Source, d.ContentKey = safeguard.ScanFailure, fmt.Sprintf("message:%d", m.ID)
	d.Severity, d.Category, d.Summary = safeguard.SeverityMedium, safeguard.CategoryUnscanned, "held for review: "+reason
	return d
}
