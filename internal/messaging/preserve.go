package messaging

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// MaxPreservationDays is the longest period one preservation request, or
// one extension of it, may state: a request asks for a stated period (90
// days is usual) and is extended if the agency asks again.
const MaxPreservationDays = 365

// Preservation is a police preservation request as recorded.
type Preservation struct {
	Reference string // the agency's reference
	Agency    string // who asked
	Days      int    // how long to hold, from now
	By        string // the operator who records it
}

var errPreservationDays = safeguard.Invalid("invalid_days", "Give the period to hold the data in days, 1 to %d.", MaxPreservationDays)

// Preserve records a preservation request for an account and holds its
// data (messages, media, logins with address and port, contacts) for the
// stated period: retention and deletion leave it alone until then. It
// needs no case. It is audited; the account holder is never told: nothing
// of it reaches their own views or events.
func (s *Service) Preserve(ctx context.Context, ref string, req Preservation) (*safeguard.Preservation, *safeguard.Account, error) {
	err := firstErr(requireBy(req.By), operatorText("reference", req.Reference), operatorText("agency", req.Agency))
	switch {
	case err != nil:
	case req.Reference == "":
		err = safeguard.Invalid("missing_reference", "Give the agency's reference and the agency's name.")
	case req.Agency == "":
		err = safeguard.Invalid("missing_agency", "Give the name of the agency that asks (agency).")
	}
	if err != nil {
		return nil, nil, err
	}
	if req.Days < 1 || req.Days > MaxPreservationDays {
		return nil, nil, errPreservationDays
	}
	now := s.clock().Truncate(time.Microsecond) // as stored, so that the answer is the record
	p := &safeguard.Preservation{Reference: req.Reference, Agency: req.Agency, RecordedBy: req.By,
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(req.Days) * 24 * time.Hour)}
	var a *safeguard.Account
	err = updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		p.AccountID = a.ID
		if err := tx.CreatePreservation(ctx, p); err != nil {
			return err
		}
		return auditPreservation(ctx, tx, "account.preserved", p, req.By, now)
	})
	if err != nil {
		return nil, nil, err
	}
	return p, a, nil
}

// ExtendOnlyDays refuses an extension that names a reference or an agency:
// an extension changes only how long a preservation holds; a new reference
// or agency is a new preservation request.
func ExtendOnlyDays(reference, agency string) error {
	if reference == "" && agency == "" {
		return nil
	}
	return safeguard.Invalid("extend_days_only", "An extension takes only the number of days (and who extends it). "+
		"For a new reference or agency, record a new preservation request.")
}

// ExtendPreservation extends preservation id of an account by days, from
// when it would end (or from now, if it has ended), audited.
func (s *Service) ExtendPreservation(ctx context.Context, ref string, id int64, days int, by string) (*safeguard.Preservation, *safeguard.Account, error) {
	if err := requireBy(by); err != nil {
		return nil, nil, err
	}
	if days < 1 || days > MaxPreservationDays {
		return nil, nil, errPreservationDays
	}
	now := s.clock()
	var a *safeguard.Account
	var p *safeguard.Preservation
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		ps, err := tx.Preservations(ctx, a.ID)
		if err != nil {
			return err
		}
		for _, x := range ps {
			if x.ID == id {
				p = x
			}
		}
		if p == nil {
			return errNoPreservation
		}
		from := p.ExpiresAt
		if from.Before(now) {
			from = now
		}
		p.ExpiresAt = from.Add(time.Duration(days) * 24 * time.Hour)
		if err := tx.ExtendPreservation(ctx, a.ID, p.ID, p.ExpiresAt); err != nil {
			return err
		}
		return auditPreservation(ctx, tx, "account.preservation_extended", p, by, now)
	})
	if err != nil {
		return nil, nil, err
	}
	return p, a, nil
}

var errNoPreservation = safeguard.Errorf(safeguard.ErrNotFound, "preservation_not_found", "That account has no preservation with that ID.")

// Preservations returns an account's preservation requests, oldest first,
// for operators.
func (s *Service) Preservations(ctx context.Context, ref string) (*safeguard.Account, []*safeguard.Preservation, error) {
	var a *safeguard.Account
	var ps []*safeguard.Preservation
	err := s.view(ctx, func(tx Tx) error {
		var err error
		if a, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		ps, err = tx.Preservations(ctx, a.ID)
		return err
	})
	return a, ps, err
}

func auditPreservation(ctx context.Context, tx Tx, action string, p *safeguard.Preservation, by string, now time.Time) error {
	b, err := json.Marshal(map[string]any{"preservation": p.ID, "reference": p.Reference, "agency": p.Agency,
		"by": by, "expires_at": p.ExpiresAt.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "operator", Action: action, TargetID: p.AccountID, Detail: string(b)})
}

// preserved reports whether a preservation holds the account's data at now.
func preserved(ctx context.Context, tx Tx, accountID int64, now time.Time) (bool, error) {
	ps, err := tx.Preservations(ctx, accountID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.Active(now) {
			return true, nil
		}
	}
	return false, nil
}

// casesHold reports whether an open case, or one under a legal hold, is
// about the account.
func casesHold(cs []*safeguard.Case) bool {
	for _, c := range cs {
		if c.LegalHold || c.Status != safeguard.CaseClosed {
			return true
		}
	}
	return false
}

// RetainResult is what a retention pass over deleted accounts did.
type RetainResult struct {
	Erased   int // accounts whose kept data is now all erased
	Released int // accounts that lost what only a preservation or a case kept (contacts, undelivered messages, all logins but the last); their details and last login stay their year
	Held     int // accounts a case or a preservation still holds
}

// RetainDeleted erases, as of the service's clock, what deleted accounts
// kept once nothing holds it any more: what a preservation held goes when
// it ends (and nothing else keeps it); the details and last login every
// deleted account keeps go Retention.Content after the deletion; an open
// case or a legal hold keeps everything. A pass cut short is finished by
// the next.
func (s *Service) RetainDeleted(ctx context.Context) (RetainResult, error) {
	var res RetainResult
	now := s.clock()
	var after int64
	for {
		var page []store.DeletedAccount
		if err := s.view(ctx, func(tx Tx) (err error) { page, err = tx.RetainedDeleted(ctx, after, 200); return }); err != nil {
			return res, err
		}
		for _, d := range page {
			after = d.ID
			if !d.Held && now.Before(d.DeletedAt.Add(s.cfg.Retention.Content)) {
				continue // only the details and last login, for their year: nothing to do yet
			}
			erased, held, done, err := s.retainOne(ctx, d, now)
			if err != nil {
				return res, err
			}
			if done {
				continue // by another pass meanwhile
			}
			switch {
			case erased:
				res.Erased++
			case d.Held && !held:
				res.Released++
			}
			if held {
				res.Held++
			}
		}
		if len(page) < 200 {
			return res, nil
		}
	}
}

// retainOne applies retention to one deleted account in one transaction;
// done when another pass had applied it since d was read.
func (s *Service) retainOne(ctx context.Context, d store.DeletedAccount, now time.Time) (erased, held, done bool, err error) {
	err = updateTx(ctx, s.store, func(tx Tx) error {
		// Another pass (another server, or the command line) may have
		// applied it meanwhile: under the account's lock, only if it still
		// waits as d says.
		if err := tx.LockAccount(ctx, d.ID); err != nil {
			return err
		}
		if cur, err := tx.RetainedDeleted(ctx, d.ID-1, 1); err != nil {
			return err
		} else if len(cur) == 0 || cur[0].ID != d.ID || cur[0].Held != d.Held {
			done = true
			return nil
		}
		a, err := tx.Account(ctx, d.ID)
		if err != nil {
			return err
		}
		p, err := preserved(ctx, tx, a.ID, now)
		if err != nil {
			return err
		}
		cs, err := tx.Cases(ctx, store.CaseQuery{SenderID: a.ID, Limit: 1000})
		if err != nil {
			return err
		}
		if held = p || casesHold(cs); held {
			return nil
		}
		keep := store.Keep{At: d.DeletedAt, LastLogin: now.Before(d.DeletedAt.Add(s.cfg.Retention.Content))}
		band := a.Band(d.DeletedAt)
		if err := tx.EraseAccountData(ctx, a.ID, keep, band); err != nil {
			return err
		}
		if keep.Any() {
			if !d.Held {
				return nil // the details and last login stay their time
			}
			return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "account.retention_released", TargetID: a.ID,
				Detail: `{"deleted_at":"` + d.DeletedAt.UTC().Format(time.RFC3339) + `","erased":"contacts, undelivered messages, logins but the last"}`})
		}
		erased = true
		a.BirthDate, a.LocalAuthority, a.PoliceForce, a.GuardianID, a.SecondGuardianID = safeguard.Date{}, "", "", 0, 0
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "account.retention_erased", TargetID: a.ID,
			Detail: `{"deleted_at":"` + d.DeletedAt.UTC().Format(time.RFC3339) + `"}`})
	})
	return erased, held, done, err
}

// preservationIDs names preservations for the operator: "#3, #4".
func preservationIDs(ps []*safeguard.Preservation, now time.Time) []string {
	var out []string
	for _, p := range ps {
		if p.Active(now) {
			out = append(out, "#"+strconv.FormatInt(p.ID, 10))
		}
	}
	return out
}
