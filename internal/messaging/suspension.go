package messaging

import (
	"context"

	safeguard "github.com/safeguard-dev/safeguard"
)

// SuspensionOf returns how the account came to be suspended, from the audit
// log (see Suspension); nil when it is not suspended or the entry is no
// longer kept. What of it the account itself may be told is the caller's
// to choose: never the operator's name.
func (s *Service) SuspensionOf(ctx context.Context, accountID int64) (*Suspension, error) {
	var out *Suspension
	err := viewTx(ctx, s.store, func(tx Tx) error {
		a, err := tx.Account(ctx, accountID)
		if err != nil || a.Status != safeguard.Suspended {
			return err
		}
		entries, err := tx.AuditEntries(ctx, accountID, 100)
		if err != nil {
			return err
		}
		out = lastSuspension(entries)
		return nil
	})
	return out, err
}
