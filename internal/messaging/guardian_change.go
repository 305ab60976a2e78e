package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// A child's guardians change when one steps down, or when an operator
// unlinks, links or replaces one. The child, every guardian the child has
// afterwards and the one who left are told: a guardian.changed event in the
// outbox (the record) and on their live streams, with a notice. A child
// left with no guardian goes back to waiting for one (pending_guardian):
// it can log in but do nothing, and asks for a new code as at sign-up. Its
// requests still waiting for a guardian keep waiting, and the next guardian
// to link sees them; requests guardians have approved already stay as
// they are.

// GuardianChange is an operator's change of a child's guardians: Remove
// alone unlinks, Add alone links a verified adult, both replace.
type GuardianChange struct {
	Remove string // handle or ID of a guardian of the child
	Add    string // handle or ID of a verified adult
	Reason string
	By     string
}

// StepDown ends guardianID's guardianship of the child with handle. A
// handle that is not of the caller's child is answered as an unknown
// account. A guardian may step down without guardian rights.
func (s *Service) StepDown(ctx context.Context, guardianID int64, childHandle string) (*safeguard.Account, error) {
	now := s.clock()
	var child *safeguard.Account
	var told []int64
	err := updateTx(ctx, s.store, func(tx Tx) error {
		c, err := tx.AccountByHandle(ctx, childHandle)
		if errors.Is(err, safeguard.ErrNotFound) || err == nil && (!c.HasGuardian(guardianID) || c.Status == safeguard.Deleted) {
			return safeguard.UnknownAccount
		}
		if err != nil {
			return err
		}
		child = c
		if err := s.removeGuardian(ctx, tx, child, guardianID); err != nil {
			return err
		}
		told = uniq(append(child.Guardians(), child.ID, guardianID))
		if err := recordGuardianChange(ctx, tx, child, told, NoticeGuardianRemoved, now); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: guardianID, Actor: "account",
			Action: "guardian.stepped_down", TargetID: child.ID})
	})
	if err != nil {
		return nil, err
	}
	s.tellGuardianChange(ctx, child, told, NoticeGuardianRemoved)
	return child, nil
}

// ChangeGuardians is an operator's unlinking, linking or replacing of a
// child's guardian, audited with who did it and why.
func (s *Service) ChangeGuardians(ctx context.Context, childRef string, ch GuardianChange) (*safeguard.Account, error) {
	if err := firstErr(requireBy(ch.By), requireReason(ch.Reason)); err != nil {
		return nil, err
	}
	if ch.Remove == "" && ch.Add == "" {
		return nil, safeguard.Invalid("no_change", "Say which guardian to remove, which to add, or both.")
	}
	now := s.clock()
	var child *safeguard.Account
	var told []int64
	notice := NoticeGuardianRemoved
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if child, err = accountRef(ctx, tx, childRef); err != nil {
			return err
		}
		if child.Status == safeguard.Deleted {
			return errAccountDeleted
		}
		before := child.Guardians()
		var removed, added int64
		if removed, err = s.operatorRemove(ctx, tx, child, ch.Remove); err != nil {
			return err
		}
		if added, err = s.operatorAdd(ctx, tx, child, ch.Add, now); err != nil {
			return err
		}
		if removed == 0 {
			notice = NoticeGuardianAdded
		}
		if err := tx.UpdateAccount(ctx, child); err != nil {
			return err
		}
		told = uniq(append(append(before, child.Guardians()...), child.ID))
		if err := recordGuardianChange(ctx, tx, child, told, notice, now); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"by": ch.By, "reason": ch.Reason, "removed": removed, "added": added})
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "operator", Action: "guardian.changed",
			TargetID: child.ID, Reason: "operator", Detail: string(detail)})
	})
	if err != nil {
		return nil, err
	}
	s.tellGuardianChange(ctx, child, told, notice)
	return child, nil
}

// operatorRemove unlinks the guardian ref names from child, in memory; it
// returns the guardian's ID, 0 when ref is empty.
func (s *Service) operatorRemove(ctx context.Context, tx Tx, child *safeguard.Account, ref string) (int64, error) {
	if ref == "" {
		return 0, nil
	}
	g, err := accountRef(ctx, tx, ref)
	if err != nil {
		return 0, err
	}
	if !child.HasGuardian(g.ID) {
		return 0, safeguard.Errorf(safeguard.ErrConflict, "not_guardian", "That account is not a guardian of this child.")
	}
	child.RemoveGuardian(g.ID)
	if len(child.Guardians()) == 0 && child.Status == safeguard.Active {
		child.Status = safeguard.PendingGuardian
	}
	return g.ID, nil
}

// operatorAdd links the verified adult ref names to child, in memory; it
// returns the adult's ID, 0 when ref is empty.
func (s *Service) operatorAdd(ctx context.Context, tx Tx, child *safeguard.Account, ref string, now time.Time) (int64, error) {
	if ref == "" {
		return 0, nil
	}
	g, err := accountRef(ctx, tx, ref)
	if err != nil {
		return 0, err
	}
	if child.Band(now) != safeguard.Child {
		return 0, safeguard.Errorf(safeguard.ErrConflict, "not_a_child", "Only a child under 13 has a guardian on the service.")
	}
	if d := s.cfg.Policy.Guardian(s.party(g, now)); !d.Allow {
		return 0, d.Err
	}
	if child.HasGuardian(g.ID) {
		return 0, safeguard.Errorf(safeguard.ErrConflict, "already_guardian", "That account is a guardian of this child already.")
	}
	if !child.AddGuardian(g.ID) {
		return 0, errTwoGuardians
	}
	if child.Status == safeguard.PendingGuardian {
		child.Status = safeguard.Active
		if err := tx.DeleteGuardianCode(ctx, child.ID); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return 0, err
		}
	}
	return g.ID, nil
}

// removeGuardian unlinks guardianID from child and writes the child; a
// child left with no guardian waits for one again.
func (s *Service) removeGuardian(ctx context.Context, tx Tx, child *safeguard.Account, guardianID int64) error {
	child.RemoveGuardian(guardianID)
	if len(child.Guardians()) == 0 && child.Status == safeguard.Active {
		child.Status = safeguard.PendingGuardian
	}
	return tx.UpdateAccount(ctx, child)
}

// recordGuardianChange writes a guardian.changed event to the outbox for
// each of to, in the transaction of the change.
func recordGuardianChange(ctx context.Context, tx Tx, child *safeguard.Account, to []int64, notice string, now time.Time) error {
	payload, _ := json.Marshal(map[string]string{"notice": notice, "child": child.Handle})
	for _, id := range to {
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventGuardianChanged, At: now, AccountID: id, Payload: payload}); err != nil {
			return err
		}
	}
	return nil
}

// tellGuardianChange sends a guardian.changed event, with the notice, to
// the live streams of each of to.
func (s *Service) tellGuardianChange(ctx context.Context, child *safeguard.Account, to []int64, notice string) {
	for _, id := range to {
		s.publish(ctx, id, Notification{Type: safeguard.EventGuardianChanged, Account: child, Notice: notice})
	}
}
