package messaging

import (
	"context"
	"errors"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
)

// The actions a refusal of visibility is recorded under.
const (
	actionLookup         = "lookup"
	actionContactRequest = "contact_request"
	actionConversation   = "conversation"
	actionGroupAdd       = "group_add"
	actionBlock          = "block"
	actionUnblock        = "unblock"
)

// see resolves the account a request names by handle, as viewer may know
// it. It is the one visibility rule (policy.Visible) that every request
// naming an account asks first, before anything else is judged about that
// account (encryption, blocks, groups, reports): an account viewer may not
// know of — a young person to a stranger adult, an inactive account, one
// that blocked viewer — is answered exactly as a handle nobody has.
//
// It costs the same either way: one lookup by handle, then the relation of
// the pair, read even when no account has the handle (as the relation of
// viewer and nobody), and nothing written. The refusal is not recorded here
// (a transaction may run twice): the error carries it, and settle queues it
// once the transaction is over.
func (s *Service) see(ctx context.Context, tx Tx, viewer *safeguard.Account, handle, action string, now time.Time) (*safeguard.Account, policy.Relation, error) {
	target, err := tx.AccountByHandle(ctx, handle)
	if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
		return nil, policy.Relation{}, err
	}
	var targetID int64 // nobody: no account has ID 0
	if target != nil {
		targetID = target.ID
	}
	rel, err := relation(ctx, tx, viewer.ID, targetID)
	if err != nil {
		return nil, policy.Relation{}, err
	}
	if target == nil {
		return nil, rel, safeguard.UnknownAccount
	}
	me, them := s.party(viewer, now), s.party(target, now)
	d := s.cfg.Policy.Visible(me, them, rel)
	if action == actionUnblock {
		d = s.cfg.Policy.VisibleToUnblock(me, them, rel)
	}
	if !d.Allow {
		h := &concealed{action: action, from: viewer, to: target, d: d}
		return nil, rel, h
	}
	return target, rel, nil
}

// concealed is the error of a request about an account its requester may
// not know of: to the requester, exactly the answer for a handle nobody has;
// to settle, the refusal to record.
type concealed struct {
	action   string
	from, to *safeguard.Account
	d        policy.Decision
}

func (c *concealed) Error() string { return safeguard.UnknownAccount.Error() }
func (c *concealed) Unwrap() error { return safeguard.UnknownAccount }

// settle turns the error of a request that asked see into its answer,
// queueing the refusal of a concealed account for the record.
func (s *Service) settle(err error) error {
	var c *concealed
	if errors.As(err, &c) {
		return s.refuse(c.action, c.from, c.to, c.d)
	}
	return err
}
