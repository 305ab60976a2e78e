package cases

import (
	"context"

	safeguard "github.com/safeguard-dev/safeguard"
)

// CaseFor returns a case to a moderator: ErrNotFound when it does not exist,
// ErrPermission when their role may not see it (a young person as sender
// needs a senior moderator).
func (s *Service) CaseFor(ctx context.Context, m Moderator, id int64) (*safeguard.Case, error) {
	var c *safeguard.Case
	err := viewTx(ctx, s.Store, func(tx Tx) (err error) { c, err = tx.Case(ctx, id); return })
	if err != nil {
		return nil, safeguard.Errorf(safeguard.ErrNotFound, "no_such_case", "There is no case %d.", id)
	}
	if !m.MaySee(c) {
		return nil, safeguard.Errorf(safeguard.ErrPermission, "senior_review_required",
			"The sender in this case is a young person: a senior moderator reviews it.")
	}
	return c, nil
}

// EvidenceItem returns an item (not a tombstone) of a case's evidence, with
// the case, to a moderator who may see the case. It reads no content.
func (s *Service) EvidenceItem(ctx context.Context, m Moderator, caseID, seq int64) (*safeguard.Case, *safeguard.EvidenceEntry, error) {
	c, err := s.CaseFor(ctx, m, caseID)
	if err != nil {
		return nil, nil, err
	}
	var e *safeguard.EvidenceEntry
	err = viewTx(ctx, s.Store, func(tx Tx) (err error) { e, err = tx.EvidenceEntry(ctx, seq); return })
	if err != nil || e.CaseID != caseID || e.Kind != safeguard.EvidenceItem {
		return nil, nil, safeguard.Errorf(safeguard.ErrNotFound, "no_such_item", "This case has no such evidence item.")
	}
	return c, e, nil
}

// CaseAppeal returns an appeal of a case; ErrNotFound if the case has no
// such appeal.
func (s *Service) CaseAppeal(ctx context.Context, caseID, appealID int64) (*safeguard.Appeal, error) {
	var a *safeguard.Appeal
	err := viewTx(ctx, s.Store, func(tx Tx) (err error) { a, err = tx.Appeal(ctx, appealID); return })
	if err != nil || a.CaseID != caseID {
		return nil, safeguard.Errorf(safeguard.ErrNotFound, "no_such_appeal", "This case has no such appeal.")
	}
	return a, nil
}

// Parties returns, in one read, the detections of occurrences by ID and the
// accounts that exist among accountIDs: who a case page names.
func (s *Service) Parties(ctx context.Context, occurrences []safeguard.Occurrence, accountIDs []int64) (map[int64]*safeguard.Detection, map[int64]*safeguard.Account, error) {
	dets := map[int64]*safeguard.Detection{}
	var accounts map[int64]*safeguard.Account
	err := viewTx(ctx, s.Store, func(tx Tx) error {
		for _, o := range occurrences {
			det, err := tx.Detection(ctx, o.DetectionID)
			if err != nil {
				return err
			}
			dets[o.DetectionID] = det
		}
		var err error
		accounts, err = tx.AccountsByID(ctx, accountIDs)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return dets, accounts, nil
}

// Accounts returns the accounts that exist among ids.
func (s *Service) Accounts(ctx context.Context, ids []int64) (map[int64]*safeguard.Account, error) {
	_, accounts, err := s.Parties(ctx, nil, ids)
	return accounts, err
}
