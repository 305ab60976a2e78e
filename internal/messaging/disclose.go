package messaging

import (
	"context"
	"encoding/json"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Disclosure is what Safeguard holds of an account, gathered for disclosure
// to an agency under a legal order: the account record, its preservation
// requests, its logins (address, port, time), its contacts, and every
// message of the conversations it is in or sent to, with their media
// records (the bytes are read from the media store by whoever writes the
// package).
type Disclosure struct {
	Account       *safeguard.Account
	Preservations []*safeguard.Preservation
	Logins        []safeguard.Login
	Contacts      []*safeguard.Contact
	Messages      []*safeguard.Message
	Media         []*safeguard.Media
}

// Disclose gathers an account's held data for an agency, recording in the
// audit log who exported it and under which reference (the legal order).
// The account holder is never told.
func (s *Service) Disclose(ctx context.Context, ref, reference, by string) (*Disclosure, error) {
	err := firstErr(requireBy(by), operatorText("reference", reference))
	if err == nil && reference == "" {
		err = safeguard.Invalid("missing_reference", "Give the reference of the legal order the data is disclosed under.")
	}
	if err != nil {
		return nil, err
	}
	d := &Disclosure{}
	err = s.view(ctx, func(tx Tx) error {
		var err error
		if d.Account, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		id := d.Account.ID
		if d.Preservations, err = tx.Preservations(ctx, id); err != nil {
			return err
		}
		if d.Logins, err = tx.Logins(ctx, id, safeguard.Origin{}.At); err != nil {
			return err
		}
		if d.Contacts, err = tx.Contacts(ctx, id); err != nil {
			return err
		}
		return d.readMessages(ctx, tx, id)
	})
	if err != nil {
		return nil, err
	}
	detail, err := json.Marshal(map[string]any{"by": by, "reference": reference, "messages": len(d.Messages),
		"media": len(d.Media), "logins": len(d.Logins), "contacts": len(d.Contacts)})
	if err != nil {
		return nil, err
	}
	err = updateTx(ctx, s.store, func(tx Tx) error {
		return tx.Audit(ctx, &safeguard.AuditEntry{At: s.clock(), Actor: "operator", Action: "account.disclosed",
			TargetID: d.Account.ID, Detail: string(detail)})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// readMessages reads every message of the conversations the account is in
// or sent to, oldest first, and the records of their media.
func (d *Disclosure) readMessages(ctx context.Context, tx Tx, accountID int64) error {
	convs, err := tx.HeldConversationIDs(ctx, accountID)
	if err != nil {
		return err
	}
	for _, c := range convs {
		var after int64
		for {
			page, err := tx.Messages(ctx, store.MessageQuery{ConversationID: c, After: after, Oldest: true, Limit: 1000})
			if err != nil {
				return err
			}
			for _, m := range page {
				after = m.ID
				d.Messages = append(d.Messages, m)
				if m.MediaID == 0 {
					continue
				}
				md, err := tx.Media(ctx, m.MediaID)
				if err != nil {
					return err
				}
				d.Media = append(d.Media, md)
			}
			if len(page) < 1000 {
				break
			}
		}
	}
	return nil
}
