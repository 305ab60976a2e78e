package messaging

import (
	"context"
	"errors"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
)

// ContactView is a contact request as one side sees it.
type ContactView struct {
	*safeguard.Contact
	Other    *safeguard.Account // the account on the other side
	Incoming bool               // the viewer is the one asked
	Notices  []string           // notice codes the viewer is shown
}

// ContactList is an account's contacts, open requests and blocks.
type ContactList struct {
	Contacts []ContactView // accepted
	Incoming []ContactView // waiting for the viewer
	Outgoing []ContactView // waiting for the other side or a guardian
	Blocked  []*safeguard.Account
}

// RequestContact asks the account with handle to become a contact of
// fromID. A request the policy refuses to a minor gets exactly the answer a
// handle nobody has gets; the precise reason is recorded.
func (s *Service) RequestContact(ctx context.Context, fromID int64, handle string) (*ContactView, error) {
	if err := limit(s.contactLimit, idKey(fromID)); err != nil {
		return nil, err
	}
	now := s.clock()
	var out *ContactView
	var refused *policy.Decision
	var from, to *safeguard.Account
	var notify []int64
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if from, err = load(ctx, tx, fromID); err != nil {
			return err
		}
		if from.Status != safeguard.Active {
			return s.cfg.Policy.ContactRequest(s.party(from, now), policy.Party{}, policy.Relation{}).Err
		}
		var rel policy.Relation
		if to, rel, err = s.see(ctx, tx, from, handle, actionContactRequest, now); err != nil {
			return err
		}
		existing, err := tx.ContactBetween(ctx, from.ID, to.ID)
		if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		if to.Band(now).Minor() {
			held, err := s.heldCase(ctx, tx, from, now)
			if err != nil {
				return err
			}
			if held != nil {
				rel.Contacts = false // refused as for a stranger
			}
		}
		d := s.cfg.Policy.ContactRequest(s.party(from, now), s.party(to, now), rel)
		if !d.Allow {
			refused = &d
			return nil
		}
		if existing != nil {
			out, notify, err = s.answerExisting(ctx, tx, from, to, existing, d, now)
			return err
		}
		c := &safeguard.Contact{FromID: from.ID, ToID: to.ID, State: safeguard.ContactPending, CreatedAt: now, UpdatedAt: now}
		if d.NeedsGuardian {
			if err := s.awaitGuardians(ctx, tx, c, from, to, now); err != nil {
				return err
			}
		}
		if err := tx.CreateContact(ctx, c); err != nil {
			return err
		}
		typ := safeguard.EventContactRequested
		if c.State == safeguard.ContactAwaitingGuardian {
			typ = safeguard.EventContactGuardian
		}
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: typ, At: now, AccountID: to.ID}); err != nil {
			return err
		}
		out = &ContactView{Contact: c, Other: to, Notices: d.Notices}
		notify, err = s.contactAudience(ctx, tx, c, from, to)
		return err
	})
	if err != nil {
		return nil, s.settle(err)
	}
	if refused != nil {
		return nil, s.refuse(actionContactRequest, from, to, *refused)
	}
	s.publishContact(ctx, out.Contact, notify)
	return out, nil
}

// answerExisting handles a request between two accounts that already have
// one. A request the other side made is accepted; a repeat of one's own is
// answered as the original.
func (s *Service) answerExisting(ctx context.Context, tx Tx, from, to *safeguard.Account, c *safeguard.Contact, d policy.Decision, now time.Time) (*ContactView, []int64, error) {
	view := &ContactView{Contact: c, Other: to, Notices: d.Notices}
	if c.FromID == to.ID && c.State == safeguard.ContactPending {
		c.State = safeguard.ContactAccepted
		c.UpdatedAt = now
		if err := tx.UpdateContact(ctx, c); err != nil {
			return nil, nil, err
		}
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventContactAccepted, At: now, AccountID: to.ID}); err != nil {
			return nil, nil, err
		}
		return view, []int64{c.FromID}, nil
	}
	if c.FromID == from.ID && c.State == safeguard.ContactDeclined {
		// Said no to once: the requester is not told, and the other side is
		// not asked again.
		shown := *c
		shown.State = safeguard.ContactPending
		view.Contact = &shown
	}
	return view, nil, nil
}

// contactAudience returns who hears of a new request: the recipient once it
// is pending; the guardians whose approval it waits for.
func (s *Service) contactAudience(ctx context.Context, tx Tx, c *safeguard.Contact, from, to *safeguard.Account) ([]int64, error) {
	if c.State == safeguard.ContactPending {
		return []int64{to.ID}, nil
	}
	var ids []int64
	if !c.FromGuardianOK {
		ids = append(ids, from.Guardians()...)
	}
	if !c.ToGuardianOK {
		ids = append(ids, to.Guardians()...)
	}
	return uniq(ids), nil
}

// AcceptContact accepts a request made to accountID.
func (s *Service) AcceptContact(ctx context.Context, accountID, contactID int64) (*ContactView, error) {
	return s.answerContact(ctx, accountID, contactID, true)
}

// DeclineContact declines a request made to accountID. The requester is not
// told.
func (s *Service) DeclineContact(ctx context.Context, accountID, contactID int64) (*ContactView, error) {
	return s.answerContact(ctx, accountID, contactID, false)
}

func (s *Service) answerContact(ctx context.Context, accountID, contactID int64, accept bool) (*ContactView, error) {
	now := s.clock()
	var view *ContactView
	var refused *policy.Decision
	var me, other *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if me, err = load(ctx, tx, accountID); err != nil {
			return err
		}
		c, err := tx.Contact(ctx, contactID)
		if err != nil {
			return err
		}
		if c.ToID != me.ID || c.State != safeguard.ContactPending {
			return safeguard.NotFound
		}
		if other, err = tx.Account(ctx, c.FromID); err != nil {
			return err
		}
		if accept {
			rel, err := relation(ctx, tx, me.ID, other.ID)
			if err != nil {
				return err
			}
			// Accepting is checked like a request from the acceptor.
			rel.Contacts = false
			if d := s.cfg.Policy.ContactRequest(s.party(me, now), s.party(other, now), rel); !d.Allow && d.Reason != policy.ReasonStrangerContactMinor {
				refused = &d
				return nil
			}
			c.State = safeguard.ContactAccepted
		} else {
			c.State = safeguard.ContactDeclined
		}
		c.UpdatedAt = now
		if err := tx.UpdateContact(ctx, c); err != nil {
			return err
		}
		if accept {
			if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventContactAccepted, At: now, AccountID: other.ID}); err != nil {
				return err
			}
		}
		view = &ContactView{Contact: c, Other: other, Incoming: true}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, s.refuse("contact_accept", me, other, *refused)
	}
	if accept {
		s.publishContact(ctx, view.Contact, []int64{other.ID})
	}
	return view, nil
}

// Block makes blocker block the account with handle: it can no longer reach
// the blocker in any way, its messages in shared groups are hidden from the
// blocker, and any contact between them ends. When that leaves a young person
// in a group with someone who is not their contact, one of the two goes (see
// separate).
func (s *Service) Block(ctx context.Context, blockerID int64, handle string) ([]string, error) {
	return s.block(ctx, blockerID, func(tx Tx, me *safeguard.Account, now time.Time) (*safeguard.Account, error) {
		target, _, err := s.see(ctx, tx, me, handle, actionBlock, now)
		return target, err
	})
}

// BlockContact blocks the other side of a contact or request the blocker
// has been shown: a request still waiting for a guardian is not yet theirs.
func (s *Service) BlockContact(ctx context.Context, blockerID, contactID int64) ([]string, error) {
	return s.block(ctx, blockerID, func(tx Tx, me *safeguard.Account, now time.Time) (*safeguard.Account, error) {
		c, err := tx.Contact(ctx, contactID)
		if err != nil {
			return nil, err
		}
		if c.FromID != me.ID && c.ToID != me.ID || c.ToID == me.ID && c.State == safeguard.ContactAwaitingGuardian {
			return nil, safeguard.NotFound
		}
		return tx.Account(ctx, c.Other(me.ID))
	})
}

// block makes blocker block the account target finds.
func (s *Service) block(ctx context.Context, blockerID int64, target func(tx Tx, me *safeguard.Account, now time.Time) (*safeguard.Account, error)) ([]string, error) {
	now := s.clock()
	var notices []string
	var departed []departure
	err := updateTx(ctx, s.store, func(tx Tx) error {
		notices, departed = nil, nil
		me, err := load(ctx, tx, blockerID)
		if err != nil {
			return err
		}
		target, err := target(tx, me, now)
		if err != nil {
			return err
		}
		if target.ID == me.ID {
			return safeguard.Invalid("self", "You can't block yourself.")
		}
		if err := tx.CreateBlock(ctx, safeguard.Block{BlockerID: me.ID, BlockedID: target.ID, CreatedAt: now}); err != nil {
			return err
		}
		if c, err := tx.ContactBetween(ctx, me.ID, target.ID); err == nil {
			if err := tx.DeleteContact(ctx, c.ID); err != nil {
				return err
			}
		} else if !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		if departed, err = s.separate(ctx, tx, me, target, now); err != nil {
			return err
		}
		if me.Band(now).Minor() {
			notices = append(notices, policy.NoticeBlocked)
		}
		return s.audit(ctx, tx, me.ID, "account", "block", target.ID, "")
	})
	if err != nil {
		return nil, s.settle(err)
	}
	for _, d := range departed {
		s.publishConversationView(ctx, d.view, safeguard.EventMemberChanged, d.gone)
	}
	return notices, nil
}

// Unblock lifts a block. The contact the block ended does not come back. An
// account the blocker may not know of, and has not blocked, is answered as a
// handle nobody has.
func (s *Service) Unblock(ctx context.Context, blockerID int64, handle string) error {
	now := s.clock()
	err := updateTx(ctx, s.store, func(tx Tx) error {
		me, err := load(ctx, tx, blockerID)
		if err != nil {
			return err
		}
		target, _, err := s.see(ctx, tx, me, handle, actionUnblock, now)
		if err != nil {
			return err
		}
		if err := tx.DeleteBlock(ctx, me.ID, target.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, me.ID, "account", "unblock", target.ID, "")
	})
	return s.settle(err)
}

// Contacts lists an account's contacts, requests and blocks. Requests waiting
// for a guardian are shown to the requester only.
func (s *Service) Contacts(ctx context.Context, accountID int64) (*ContactList, error) {
	out := &ContactList{}
	err := s.view(ctx, func(tx Tx) error {
		cs, err := tx.Contacts(ctx, accountID)
		if err != nil {
			return err
		}
		blocks, err := tx.BlocksBy(ctx, accountID)
		if err != nil {
			return err
		}
		ids := []int64{accountID}
		for _, c := range cs {
			ids = append(ids, c.Other(accountID))
		}
		for _, b := range blocks {
			ids = append(ids, b.BlockedID)
		}
		accounts, err := tx.AccountsByID(ctx, uniq(ids))
		if err != nil {
			return err
		}
		for _, c := range cs {
			v := ContactView{Contact: c, Other: accounts[c.Other(accountID)], Incoming: c.ToID == accountID}
			if v.Other == nil || v.Other.Status == safeguard.Deleted {
				continue // a deleted account's contacts are kept only while preserved, and shown to nobody
			}
			switch {
			case c.State == safeguard.ContactAccepted:
				out.Contacts = append(out.Contacts, v)
			case v.Incoming && c.State == safeguard.ContactPending:
				if me := accounts[accountID]; me != nil && me.Band(s.clock()).Minor() {
					// Someone new wants to talk to a young person: the
					// support shown on the live event, for whoever opens
					// the app later.
					v.Notices = []string{policy.NoticeNewContact}
				}
				out.Incoming = append(out.Incoming, v)
			case !v.Incoming && c.State != safeguard.ContactAccepted:
				if c.State == safeguard.ContactDeclined {
					shown := *c
					shown.State = safeguard.ContactPending
					v.Contact = &shown
				}
				out.Outgoing = append(out.Outgoing, v)
			}
		}
		for _, b := range blocks {
			if a := accounts[b.BlockedID]; a != nil {
				out.Blocked = append(out.Blocked, a)
			}
		}
		return nil
	})
	return out, err
}

// GuardianRequests lists the contact requests of a guardian's children that
// wait for the guardian.
func (s *Service) GuardianRequests(ctx context.Context, guardianID int64) ([]ContactView, error) {
	var out []ContactView
	err := s.view(ctx, func(tx Tx) error {
		wards, err := s.wardsOf(ctx, tx, guardianID)
		if err != nil || len(wards) == 0 {
			return err
		}
		ids := make([]int64, len(wards))
		for i, w := range wards {
			ids[i] = w.ID
		}
		cs, err := tx.AwaitingGuardian(ctx, ids)
		if err != nil {
			return err
		}
		var others []int64
		for _, c := range cs {
			others = append(others, c.FromID, c.ToID)
		}
		accounts, err := tx.AccountsByID(ctx, uniq(others))
		if err != nil {
			return err
		}
		for _, c := range cs {
			// Other is the account the child would gain as a contact.
			child, other := accounts[c.FromID], accounts[c.ToID]
			if child == nil || !child.HasGuardian(guardianID) {
				child, other = other, child
			}
			if other == nil || child == nil {
				continue
			}
			out = append(out, ContactView{Contact: c, Other: other, Incoming: c.ToID == child.ID})
		}
		return nil
	})
	return out, err
}

// WardContacts is one of a guardian's children with the contacts the child
// has: who they are and since when, never what they say.
type WardContacts struct {
	Child    *safeguard.Account
	Contacts []ContactView // accepted, oldest first
}

// GuardianContacts lists the contacts of each of a guardian's children.
func (s *Service) GuardianContacts(ctx context.Context, guardianID int64) ([]WardContacts, error) {
	var out []WardContacts
	err := s.view(ctx, func(tx Tx) error {
		wards, err := s.wardsOf(ctx, tx, guardianID)
		if err != nil {
			return err
		}
		for _, w := range wards {
			cs, err := tx.Contacts(ctx, w.ID)
			if err != nil {
				return err
			}
			var ids []int64
			for _, c := range cs {
				if c.State == safeguard.ContactAccepted {
					ids = append(ids, c.Other(w.ID))
				}
			}
			accounts, err := tx.AccountsByID(ctx, uniq(ids))
			if err != nil {
				return err
			}
			wc := WardContacts{Child: w}
			for _, c := range cs {
				if other := accounts[c.Other(w.ID)]; c.State == safeguard.ContactAccepted && other != nil {
					wc.Contacts = append(wc.Contacts, ContactView{Contact: c, Other: other, Incoming: c.ToID == w.ID})
				}
			}
			out = append(out, wc)
		}
		return nil
	})
	return out, err
}

// GuardianDecide records a guardian's answer to a request of their child.
// Approved by every guardian it waits for, the request goes to the other side.
func (s *Service) GuardianDecide(ctx context.Context, guardianID, contactID int64, approve bool) (*safeguard.Contact, error) {
	now := s.clock()
	var c *safeguard.Contact
	var notify []int64
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if c, err = tx.Contact(ctx, contactID); err != nil {
			return err
		}
		if c.State != safeguard.ContactAwaitingGuardian {
			return safeguard.NotFound
		}
		if err := s.guardianRights(ctx, tx, guardianID, now); err != nil {
			return err
		}
		from, err := tx.Account(ctx, c.FromID)
		if err != nil {
			return err
		}
		to, err := tx.Account(ctx, c.ToID)
		if err != nil {
			return err
		}
		mine := false
		if from.HasGuardian(guardianID) && !c.FromGuardianOK {
			c.FromGuardianOK, mine = approve, true
		}
		if to.HasGuardian(guardianID) && !c.ToGuardianOK {
			c.ToGuardianOK, mine = approve, true
		}
		if !mine {
			return safeguard.NotFound
		}
		if approve && (c.FromID == guardianID || c.ToID == guardianID) {
			return errOwnRequest
		}
		switch {
		case !approve:
			c.State = safeguard.ContactDeclined
		case c.FromGuardianOK && c.ToGuardianOK:
			c.State = safeguard.ContactPending
			notify = []int64{c.ToID}
			if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventContactRequested, At: now, AccountID: c.ToID}); err != nil {
				return err
			}
		}
		c.UpdatedAt = now
		if err := tx.UpdateContact(ctx, c); err != nil {
			return err
		}
		reason := "declined"
		if approve {
			reason = "approved"
		}
		return s.audit(ctx, tx, guardianID, "account", "guardian.contact", c.ID, reason)
	})
	if err != nil {
		return nil, err
	}
	s.publishContact(ctx, c, notify)
	return c, nil
}

// awaitGuardians sets which guardians a new request waits for. A child's
// request to her own guardian waits for none: the guardian answers it as its
// recipient, and approving it would be approving their own contact, which
// no guardian may do for another's request either (errOwnRequest). A
// guardian without guardian rights (suspended, no longer verified) is
// answered as any other adult: the request waits for the child's guardians.
func (s *Service) awaitGuardians(ctx context.Context, tx Tx, c *safeguard.Contact, from, to *safeguard.Account, now time.Time) error {
	c.FromGuardianOK = from.Band(now) != safeguard.Child
	c.ToGuardianOK = to.Band(now) != safeguard.Child
	if !c.FromGuardianOK && from.HasGuardian(to.ID) {
		err := s.guardianRights(ctx, tx, to.ID, now)
		switch {
		case err == nil:
			c.FromGuardianOK = true
		case !errors.Is(err, safeguard.ErrPermission):
			return err
		}
	}
	c.State = safeguard.ContactAwaitingGuardian
	if c.FromGuardianOK && c.ToGuardianOK {
		c.State = safeguard.ContactPending
	}
	return nil
}

// errOwnRequest refuses a guardian's approval of a request between their
// child and themselves, whichever side asked: the approval is a second pair
// of eyes, and nobody is that for themselves. Declining stays open.
var errOwnRequest = safeguard.Errorf(safeguard.ErrPermission, "own_request",
	"You cannot approve a contact request between your child and yourself. Another parent or carer of the child can.")

// guardianRights refuses a guardian who may not act as one at now: an
// account that is suspended or deleted, or whose adult age is no longer
// verified, loses its guardian rights at once, and gets them back when it
// is again an active verified adult.
func (s *Service) guardianRights(ctx context.Context, tx Tx, guardianID int64, now time.Time) error {
	g, err := load(ctx, tx, guardianID)
	if err != nil {
		return err
	}
	if d := s.cfg.Policy.Guardian(s.party(g, now)); !d.Allow {
		return d.Err
	}
	return nil
}

// wardsOf returns the children guardianID looks after, none while the
// account has no guardian rights.
func (s *Service) wardsOf(ctx context.Context, tx Tx, guardianID int64) ([]*safeguard.Account, error) {
	if err := s.guardianRights(ctx, tx, guardianID, s.clock()); err != nil {
		if errors.Is(err, safeguard.ErrPermission) {
			return nil, nil
		}
		return nil, err
	}
	return tx.Wards(ctx, guardianID)
}
