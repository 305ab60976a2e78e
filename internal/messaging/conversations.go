package messaging

import (
	"context"
	"errors"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
)

// MaxTitle is the longest group title, in characters.
const MaxTitle = 100

// ConversationView is a conversation as a member sees it: the members'
// accounts and the encryption notice every member's client shows.
type ConversationView struct {
	*safeguard.Conversation
	Accounts map[int64]*safeguard.Account
	Notice   string // encryption notice code
	// SafetyNotice is the code of the latest safety notice the account
	// that asked for the view was shown in the conversation ("" for none):
	// set by Conversation and Conversations for their caller alone, never in
	// a view sent to every member.
	SafetyNotice string
}

// NewConversation is a request to start a conversation.
type NewConversation struct {
	Members []string // handles of the others; one handle and no title is a one-to-one chat
	E2EE    bool
	Title   string
}

// CreateConversation starts a conversation of creatorID with the accounts
// named. It reports whether it created one (false when the one-to-one
// conversation already existed). A member the creator may not know of is
// answered exactly like a handle nobody has.
func (s *Service) CreateConversation(ctx context.Context, creatorID int64, req NewConversation) (*ConversationView, bool, error) {
	title, err := checkNewConversation(req)
	if err != nil {
		return nil, false, err
	}
	now := s.clock()
	var view *ConversationView
	created := false
	var refused *policy.Decision
	var creator, refusedTo *safeguard.Account
	err = updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if creator, err = load(ctx, tx, creatorID); err != nil {
			return err
		}
		others, err := s.resolve(ctx, tx, creator, req.Members, now)
		if err != nil {
			return err
		}
		kind, d, err := s.decideConversation(ctx, tx, creator, others, title, req.E2EE, now)
		if err != nil {
			return err
		}
		if !d.Allow {
			d.Err = s.nameApart(ctx, tx, creator.ID, d)
			refused = &d
			refusedTo = blame(d, creator, others, now)
			return nil
		}
		if kind == safeguard.Direct {
			existing, err := tx.DirectConversation(ctx, creator.ID, others[0].ID)
			switch {
			case err == nil && existing.E2EE == req.E2EE:
				view, err = s.conversationView(ctx, tx, existing, now)
				return err
			case err != nil && !errors.Is(err, safeguard.ErrNotFound):
				return err
			case err == nil:
				if err := s.releaseEnded(ctx, tx, existing, now); err != nil {
					return err
				}
			}
		}
		c := &safeguard.Conversation{Kind: kind, Title: title, E2EE: req.E2EE, App: appOf(ctx, creator),
			CreatedBy: creator.ID, CreatedAt: now}
		if err := createConversation(ctx, tx, c, creator, others, now); err != nil {
			return err
		}
		created = true
		view, err = s.conversationView(ctx, tx, c, now)
		return err
	})
	if err != nil {
		return nil, false, s.settle(err)
	}
	if refused != nil {
		return nil, false, s.refuse(actionConversation, creator, refusedTo, *refused)
	}
	if created {
		s.publishConversationView(ctx, view, safeguard.EventConversationAdded)
	}
	return view, created, nil
}

// checkNewConversation checks a request to start a conversation before
// anything is read, and returns its title trimmed.
func checkNewConversation(req NewConversation) (string, error) {
	if len(req.Members) == 0 {
		return "", safeguard.Invalid("missing_members", "Name at least one person to chat with.")
	}
	if len(req.Members)+1 > safeguard.MaxGroupMembers {
		return "", safeguard.Invalid("group_full", "A group can have at most %d people.", safeguard.MaxGroupMembers)
	}
	return checkTitle(req.Title)
}

// decideConversation asks the policy whether creator may start the
// conversation with others: one other and no title is a one-to-one
// conversation (policy.Direct, then policy.Encryption), anything else a
// group (policy.Group).
func (s *Service) decideConversation(ctx context.Context, tx Tx, creator *safeguard.Account, others []*safeguard.Account, title string, e2ee bool, now time.Time) (safeguard.ConversationKind, policy.Decision, error) {
	ids := []int64{creator.ID}
	parties := []policy.Party{}
	for _, o := range others {
		ids = append(ids, o.ID)
		parties = append(parties, s.party(o, now))
	}
	rels, err := relations(ctx, tx, ids)
	if err != nil {
		return "", policy.Decision{}, err
	}
	me := s.party(creator, now)
	if len(others) != 1 || title != "" {
		if minors := minorsOf(others, now); len(minors) > 0 {
			held, err := s.heldCase(ctx, tx, creator, now)
			if err != nil {
				return "", policy.Decision{}, err
			}
			if held != nil { // refused as for a stranger
				rels = strangerToMinors(rels, creator.ID, func(id int64) bool { return minors[id] })
			}
		}
		return safeguard.Group, s.cfg.Policy.Group(me, parties, e2ee, rels), nil
	}
	d := s.cfg.Policy.Direct(me, parties[0], rels(me.ID, parties[0].ID))
	if d.Allow {
		if e := s.cfg.Policy.Encryption([]policy.Party{me, parties[0]}, e2ee); !e.Allow {
			d = e.Decision
		}
	}
	return safeguard.Direct, d, nil
}

// createConversation stores c with its members — the creator joined; the
// others joined, or invited when a minor is added to a group — and an event
// for each member.
func createConversation(ctx context.Context, tx Tx, c *safeguard.Conversation, creator *safeguard.Account, others []*safeguard.Account, now time.Time) error {
	c.Members = append(c.Members, safeguard.Member{AccountID: creator.ID, State: safeguard.MemberJoined, InvitedBy: creator.ID, UpdatedAt: now})
	for _, o := range others {
		st := safeguard.MemberJoined
		if c.Kind == safeguard.Group && o.Band(now).Minor() {
			st = safeguard.MemberInvited
		}
		c.Members = append(c.Members, safeguard.Member{AccountID: o.ID, State: st, InvitedBy: creator.ID, UpdatedAt: now})
	}
	if err := tx.CreateConversation(ctx, c); err != nil {
		return err
	}
	for _, m := range c.Members {
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventConversationAdded, At: now,
			AccountID: m.AccountID, ConversationID: c.ID}); err != nil {
			return err
		}
	}
	return nil
}

// nameApart is the error for a group refused because two of its people
// are not contacts, naming them in words a young person follows: both are
// people the requester sees (see policy.Decision.Apart). Any other refusal
// keeps its own error.
func (s *Service) nameApart(ctx context.Context, tx Tx, me int64, d policy.Decision) *safeguard.Error {
	if d.Reason != policy.ReasonGroupContacts || d.Apart[0] == 0 || d.Apart[1] == 0 {
		return d.Err
	}
	accounts, err := tx.AccountsByID(ctx, d.Apart[:])
	a, b := accounts[d.Apart[0]], accounts[d.Apart[1]]
	if err != nil || a == nil || b == nil {
		return d.Err
	}
	const rule = "When someone under 18 is in a group, everyone in it must be their contact."
	switch me {
	case a.ID:
		return safeguard.Errorf(safeguard.ErrPermission, d.Reason, "You and %s are not contacts yet. %s Add each other under Contacts first, or leave them out.", b.Handle, rule)
	case b.ID:
		return safeguard.Errorf(safeguard.ErrPermission, d.Reason, "You and %s are not contacts yet. %s Add each other under Contacts first, or leave them out.", a.Handle, rule)
	}
	return safeguard.Errorf(safeguard.ErrPermission, d.Reason, "%s and %s are not contacts of each other. %s Leave one of them out, or ask them to add each other first.", a.Handle, b.Handle, rule)
}

// blame picks the account a refusal is about, for the record: the first
// minor when the reason concerns minors, else the first other member.
func blame(d policy.Decision, creator *safeguard.Account, others []*safeguard.Account, now time.Time) *safeguard.Account {
	for _, o := range others {
		if d.Reason == policy.ReasonStrangerContactMinor && o.Band(now).Minor() {
			return o
		}
	}
	if len(others) > 0 {
		return others[0]
	}
	return nil
}

// resolve turns handles into accounts the creator may know of (see),
// refusing unknown and concealed ones alike, and skipping duplicates and
// the creator's own handle.
func (s *Service) resolve(ctx context.Context, tx Tx, creator *safeguard.Account, handles []string, now time.Time) ([]*safeguard.Account, error) {
	seen := map[int64]bool{}
	var out []*safeguard.Account
	for _, h := range handles {
		a, _, err := s.see(ctx, tx, creator, h, actionConversation, now)
		if err != nil {
			return nil, err
		}
		if a.ID == creator.ID || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, safeguard.Invalid("missing_members", "Name at least one other person to chat with.")
	}
	return out, nil
}

// conversationView loads the accounts of c's members and its notice.
func (s *Service) conversationView(ctx context.Context, tx Tx, c *safeguard.Conversation, now time.Time) (*ConversationView, error) {
	ids := make([]int64, 0, len(c.Members))
	for _, m := range c.Members {
		ids = append(ids, m.AccountID)
	}
	accounts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var parties []policy.Party
	for _, m := range c.Current() {
		if a := accounts[m.AccountID]; a != nil {
			parties = append(parties, s.party(a, now))
		}
	}
	return &ConversationView{Conversation: c, Accounts: accounts, Notice: s.cfg.Policy.Notice(parties, c.E2EE)}, nil
}

// member loads conversation id for accountID, who must be joined (or, with
// invited, invited). Anyone else gets not found.
func member(ctx context.Context, tx Tx, id, accountID int64, invited bool) (*safeguard.Conversation, error) {
	c, err := tx.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	m := c.Member(accountID)
	if m == nil || !(m.State == safeguard.MemberJoined || invited && m.State == safeguard.MemberInvited) {
		return nil, safeguard.NotFound
	}
	return c, nil
}

// Conversation returns a conversation its member (joined or invited) may see.
func (s *Service) Conversation(ctx context.Context, accountID, id int64) (*ConversationView, error) {
	var v *ConversationView
	err := s.view(ctx, func(tx Tx) error {
		c, err := member(ctx, tx, id, accountID, true)
		if err != nil {
			return err
		}
		if v, err = s.conversationView(ctx, tx, c, s.clock()); err != nil {
			return err
		}
		ns, err := tx.SafetyNotices(ctx, accountID, c.ID)
		if err != nil {
			return err
		}
		if len(ns) > 0 {
			v.SafetyNotice = ns[len(ns)-1].Code
		}
		return nil
	})
	return v, err
}

// Conversations lists the conversations an account is in or invited to.
func (s *Service) Conversations(ctx context.Context, accountID int64) ([]*ConversationView, error) {
	var out []*ConversationView
	now := s.clock()
	err := s.view(ctx, func(tx Tx) error {
		cs, err := tx.Conversations(ctx, accountID)
		if err != nil {
			return err
		}
		// The account's own notices, the latest of each conversation.
		ns, err := tx.SafetyNotices(ctx, accountID, 0)
		if err != nil {
			return err
		}
		latest := make(map[int64]string, len(ns))
		for _, n := range ns {
			latest[n.ConversationID] = n.Code
		}
		for _, c := range cs {
			v, err := s.conversationView(ctx, tx, c, now)
			if err != nil {
				return err
			}
			v.SafetyNotice = latest[c.ID]
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// AddMember adds the account with handle to a group. A minor is invited and
// joins when they accept.
func (s *Service) AddMember(ctx context.Context, adderID, id int64, handle string) (*ConversationView, error) {
	now := s.clock()
	var view *ConversationView
	var refused *policy.Decision
	var adder, joiner *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if adder, err = load(ctx, tx, adderID); err != nil {
			return err
		}
		if joiner, _, err = s.see(ctx, tx, adder, handle, actionGroupAdd, now); err != nil {
			return err
		}
		c, err := member(ctx, tx, id, adder.ID, false)
		if err != nil {
			return err
		}
		if c.Kind != safeguard.Group {
			return safeguard.Invalid("not_a_group", "People can only be added to groups.")
		}
		if m := c.Member(joiner.ID); m != nil && (m.State == safeguard.MemberJoined || m.State == safeguard.MemberInvited) {
			return safeguard.Errorf(safeguard.ErrConflict, "already_member", "They are already in this group.")
		}
		members, ids, err := s.currentParties(ctx, tx, c, now)
		if err != nil {
			return err
		}
		rels, err := relations(ctx, tx, append(ids, joiner.ID))
		if err != nil {
			return err
		}
		if joiner.Band(now).Minor() {
			held, err := s.heldCase(ctx, tx, adder, now)
			if err != nil {
				return err
			}
			if held != nil { // refused as for a stranger
				rels = strangerToMinors(rels, adder.ID, func(id int64) bool { return id == joiner.ID })
			}
		}
		d := s.cfg.Policy.Join(s.party(adder, now), s.party(joiner, now), members, c.E2EE, rels)
		if !d.Allow {
			d.Err = s.nameApart(ctx, tx, adder.ID, d)
			refused = &d
			return nil
		}
		st := safeguard.MemberJoined
		if d.Invite {
			st = safeguard.MemberInvited
		}
		view, err = s.setMember(ctx, tx, c.ID, safeguard.Member{AccountID: joiner.ID, State: st, InvitedBy: adder.ID, UpdatedAt: now}, now)
		return err
	})
	if err != nil {
		return nil, s.settle(err)
	}
	if refused != nil {
		return nil, s.refuse(actionGroupAdd, adder, joiner, *refused)
	}
	s.publishConversationView(ctx, view, safeguard.EventMemberChanged)
	return view, nil
}

// currentParties returns the policy's view of a conversation's joined and
// invited members, and their IDs.
func (s *Service) currentParties(ctx context.Context, tx Tx, c *safeguard.Conversation, now time.Time) ([]policy.Party, []int64, error) {
	var ids []int64
	for _, m := range c.Current() {
		ids = append(ids, m.AccountID)
	}
	accounts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var parties []policy.Party
	for _, id := range ids {
		if a := accounts[id]; a != nil {
			parties = append(parties, s.party(a, now))
		}
	}
	return parties, ids, nil
}

// AcceptInvitation lets an invited account join a group, if the group still
// keeps the rules (every member a contact of each minor).
func (s *Service) AcceptInvitation(ctx context.Context, accountID, id int64) (*ConversationView, error) {
	return s.setOwnMembership(ctx, accountID, id, safeguard.MemberJoined)
}

// Leave takes an account out of a conversation, or declines an invitation.
func (s *Service) Leave(ctx context.Context, accountID, id int64) (*ConversationView, error) {
	return s.setOwnMembership(ctx, accountID, id, safeguard.MemberLeft)
}

func (s *Service) setOwnMembership(ctx context.Context, accountID, id int64, state safeguard.MemberState) (*ConversationView, error) {
	now := s.clock()
	var view *ConversationView
	err := updateTx(ctx, s.store, func(tx Tx) error {
		me, err := load(ctx, tx, accountID)
		if err != nil {
			return err
		}
		c, err := member(ctx, tx, id, me.ID, true)
		if err != nil {
			return err
		}
		m := c.Member(me.ID)
		if state == safeguard.MemberJoined {
			if m.State != safeguard.MemberInvited {
				return safeguard.Errorf(safeguard.ErrConflict, "not_invited", "You are already in this group.")
			}
			members, ids, err := s.currentParties(ctx, tx, c, now)
			if err != nil {
				return err
			}
			rels, err := relations(ctx, tx, ids)
			if err != nil {
				return err
			}
			if d := s.cfg.Policy.Accept(s.party(me, now), members, rels); !d.Allow {
				return d.Err
			}
		}
		view, err = s.setMember(ctx, tx, c.ID, safeguard.Member{AccountID: me.ID, State: state, InvitedBy: m.InvitedBy, UpdatedAt: now}, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	var gone []int64
	if state == safeguard.MemberLeft {
		gone = []int64{accountID}
	}
	s.publishConversationView(ctx, view, safeguard.EventMemberChanged, gone...)
	return view, nil
}

// RemoveMember lets a group's creator remove a member.
func (s *Service) RemoveMember(ctx context.Context, removerID, id int64, handle string) (*ConversationView, error) {
	now := s.clock()
	var view *ConversationView
	var gone int64
	err := updateTx(ctx, s.store, func(tx Tx) error {
		c, err := member(ctx, tx, id, removerID, false)
		if err != nil {
			return err
		}
		if c.CreatedBy != removerID || c.Kind != safeguard.Group {
			return safeguard.Errorf(safeguard.ErrPermission, "not_group_owner", "Only the person who started this group can remove people.")
		}
		target, err := tx.AccountByHandle(ctx, handle)
		if err != nil {
			return safeguard.NotFound
		}
		m := c.Member(target.ID)
		if m == nil || (m.State != safeguard.MemberJoined && m.State != safeguard.MemberInvited) || target.ID == removerID {
			return safeguard.NotFound
		}
		gone = target.ID
		view, err = s.setMember(ctx, tx, c.ID, safeguard.Member{AccountID: target.ID, State: safeguard.MemberRemoved, InvitedBy: m.InvitedBy, UpdatedAt: now}, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.publishConversationView(ctx, view, safeguard.EventMemberChanged, gone)
	return view, nil
}

// setMember changes one membership, with its outbox event, and returns the
// conversation as it now stands.
//
// It first locks the conversation, as a message's save does: a member who
// joins does so before or after a message is stored, never while its
// recipients are checked. The time a member joins is read after the lock,
// so it is later than the time of every message stored before it.
func (s *Service) setMember(ctx context.Context, tx Tx, id int64, m safeguard.Member, now time.Time) (*ConversationView, error) {
	if err := tx.LockConversation(ctx, id); err != nil {
		return nil, err
	}
	if t := s.clock(); m.State == safeguard.MemberJoined && t.After(m.UpdatedAt) {
		m.UpdatedAt = t
	}
	if err := tx.SetMember(ctx, id, m); err != nil {
		return nil, err
	}
	if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventMemberChanged, At: now,
		AccountID: m.AccountID, ConversationID: id, Payload: []byte(`{"state":"` + string(m.State) + `"}`)}); err != nil {
		return nil, err
	}
	c, err := tx.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.conversationView(ctx, tx, c, now)
}

// releaseEnded lets a new plain chat be started beside an end-to-end
// encrypted one of the same two people that takes no more messages
// (409 e2ee_ended: "You can start a new chat."): the ended one stays as it
// is, no longer the pair's one-to-one chat. One that still works stays the
// pair's chat, and a plain one beside it is 409 conflict.
func (s *Service) releaseEnded(ctx context.Context, tx Tx, c *safeguard.Conversation, now time.Time) error {
	if !c.E2EE {
		return nil
	}
	parties, _, err := s.currentParties(ctx, tx, c, now)
	if err != nil {
		return err
	}
	if len(parties) == 2 && policy.E2EEContinues(parties).Allow {
		return nil
	}
	return tx.ReleaseDirect(ctx, c.ID)
}
