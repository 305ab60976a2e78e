package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// MaxOperatorText bounds the free text of an operator change: who did it,
// the method, the note, the reason.
const MaxOperatorText = 500

var errAccountDeleted = safeguard.Errorf(safeguard.ErrConflict, "account_deleted", "That account has been deleted.")

// requireBy checks the name of whoever makes an operator change.
func requireBy(by string) error {
	if strings.TrimSpace(by) == "" {
		return safeguard.Invalid("missing_by", "Say who is making this change (by).")
	}
	return operatorText("by", by)
}

// operatorText checks one free-text field of an operator change.
func operatorText(name, v string) error {
	if utf8.RuneCountInString(v) > MaxOperatorText || !safeguard.ValidText(v, true) {
		return safeguard.Invalid("invalid_"+name, "Keep %s to plain text of at most %d characters.", name, MaxOperatorText)
	}
	return nil
}

// accountRef loads the account an operator names: a handle, or its numeric
// ID.
func accountRef(ctx context.Context, tx Tx, ref string) (*safeguard.Account, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		a, err := tx.Account(ctx, id)
		if errors.Is(err, safeguard.ErrNotFound) {
			return nil, safeguard.UnknownAccount
		}
		return a, err
	}
	a, err := tx.AccountByHandle(ctx, ref)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, safeguard.UnknownAccount
	}
	return a, err
}

// AccountByRef returns the account an operator names by handle or ID.
func (s *Service) AccountByRef(ctx context.Context, ref string) (*safeguard.Account, error) {
	var a *safeguard.Account
	err := s.view(ctx, func(tx Tx) (err error) { a, err = accountRef(ctx, tx, ref); return })
	return a, err
}

// AccountSearch is what an operator looks for among accounts.
type AccountSearch struct {
	Pattern   string // part of the handle, letter case aside
	Band      safeguard.AgeBand
	Status    safeguard.AccountStatus
	Assurance safeguard.Assurance
	After     int64 // the last ID of the page before
	Limit     int   // 0 means 50, at most 500
}

// FindAccounts returns a page of the accounts that match q, by ID, and the
// ID to ask after for the next page (0 when there is none).
func (s *Service) FindAccounts(ctx context.Context, q AccountSearch) ([]*safeguard.Account, int64, error) {
	sq := store.AccountQuery{Pattern: q.Pattern, Status: q.Status, Assurance: q.Assurance, AfterID: q.After, Limit: q.Limit}
	switch q.Status {
	case "", safeguard.Active, safeguard.PendingGuardian, safeguard.Suspended, safeguard.Deleted:
	default:
		return nil, 0, safeguard.Invalid("invalid_status", "Status must be active, pending_guardian, suspended or deleted.")
	}
	if q.Assurance != "" && !q.Assurance.Valid() {
		return nil, 0, safeguard.Invalid("invalid_assurance", "Assurance must be %q or %q.", safeguard.SelfDeclared, safeguard.Verified)
	}
	if sq.Limit <= 0 {
		sq.Limit = 50
	}
	sq.Limit = min(sq.Limit, 500)
	today := s.clock()
	adultBy := safeguard.DateOf(today.AddDate(-safeguard.AdultFrom, 0, 0))
	teenBy := safeguard.DateOf(today.AddDate(-safeguard.TeenFrom, 0, 0))
	switch q.Band {
	case "":
	case safeguard.Adult:
		sq.BornBy = adultBy
	case safeguard.Teen:
		sq.BornAfter, sq.BornBy = adultBy, teenBy
	case safeguard.Child:
		sq.BornAfter = teenBy
	default:
		return nil, 0, safeguard.Invalid("invalid_band", "Band must be child, teen or adult.")
	}
	want := sq.Limit
	sq.Limit++ // one more tells whether there is a next page
	var out []*safeguard.Account
	if err := s.view(ctx, func(tx Tx) (err error) { out, err = tx.FindAccounts(ctx, sq); return }); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > want {
		out = out[:want]
		next = out[want-1].ID
	}
	return out, next, nil
}

// AssuranceChange is one change of an account's age assurance, from the
// audit log.
type AssuranceChange struct {
	At     time.Time
	Level  safeguard.Assurance
	From   safeguard.Assurance
	Method string
	Note   string
	By     string
}

// AccountDetail is what an operator sees of one account.
type AccountDetail struct {
	Account   *safeguard.Account
	Guardians []*safeguard.Account // first first; none for most
	Wards     []*safeguard.Account
	Counts    store.AccountCounts
	Sessions  int // not expired
	Assurance []AssuranceChange
	// Suspension is the audit log's record of the suspension in force, when
	// the account is suspended (nil when not, or when none is recorded).
	Suspension *Suspension
	// BirthDateCorrected is the audit log's record of the last correction
	// of the date of birth, nil when it was never corrected.
	BirthDateCorrected *BirthDateCorrection
}

// BirthDateCorrection is one operator's correction of a date of birth.
type BirthDateCorrection struct {
	At                           time.Time
	From, To, Method, Reason, By string
}

// lastBirthDateCorrection finds, in audit entries newest first, the last
// correction of the date of birth.
func lastBirthDateCorrection(entries []safeguard.AuditEntry) *BirthDateCorrection {
	for _, e := range entries {
		if e.Action == "birth_date.corrected" {
			c := &BirthDateCorrection{At: e.At}
			var d struct{ From, To, Method, Reason, By string }
			_ = json.Unmarshal([]byte(e.Detail), &d)
			c.From, c.To, c.Method, c.Reason, c.By = d.From, d.To, d.Method, d.Reason, d.By
			return c
		}
	}
	return nil
}

// Suspension is who suspended an account, when and why: an operator's
// suspension (By, Reason), or a moderator's decision on a case (CaseID,
// Decision "suspend" or "ban").
type Suspension struct {
	At       time.Time
	By       string
	Reason   string
	CaseID   int64
	Decision string
}

// lastSuspension finds, in audit entries newest first, the suspension in
// force.
func lastSuspension(entries []safeguard.AuditEntry) *Suspension {
	for _, e := range entries {
		switch e.Action {
		case "account.suspended":
			var d struct{ By, Reason string }
			_ = json.Unmarshal([]byte(e.Detail), &d)
			return &Suspension{At: e.At, By: d.By, Reason: d.Reason}
		case "account.suspend", "account.ban":
			var d struct {
				CaseID int64 `json:"case_id"`
			}
			_ = json.Unmarshal([]byte(e.Detail), &d)
			return &Suspension{At: e.At, CaseID: d.CaseID, Decision: strings.TrimPrefix(e.Action, "account.")}
		}
	}
	return nil
}

// Detail returns an account as operators see it: its guardian links, what
// it has, and the history of its age assurance.
func (s *Service) Detail(ctx context.Context, ref string) (*AccountDetail, error) {
	d := &AccountDetail{}
	now := s.clock()
	err := s.view(ctx, func(tx Tx) error {
		var err error
		if d.Account, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		id := d.Account.ID
		for _, g := range d.Account.Guardians() {
			ga, err := tx.Account(ctx, g)
			if errors.Is(err, safeguard.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			d.Guardians = append(d.Guardians, ga)
		}
		if d.Wards, err = tx.Wards(ctx, id); err != nil {
			return err
		}
		if d.Counts, err = tx.AccountCounts(ctx, id); err != nil {
			return err
		}
		ss, err := tx.Sessions(ctx, id)
		if err != nil {
			return err
		}
		for _, sess := range ss {
			if now.Before(sess.ExpiresAt) {
				d.Sessions++
			}
		}
		entries, err := tx.AuditEntries(ctx, id, 1000)
		if err != nil {
			return err
		}
		d.Assurance = assuranceHistory(entries)
		d.BirthDateCorrected = lastBirthDateCorrection(entries)
		if d.Account.Status == safeguard.Suspended {
			d.Suspension = lastSuspension(entries)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// assuranceHistory picks the age-assurance changes out of audit entries,
// oldest first.
func assuranceHistory(entries []safeguard.AuditEntry) []AssuranceChange {
	out := []AssuranceChange{}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Action != "age_assurance.set" {
			continue
		}
		var d struct{ From, By, Method, Note string }
		_ = json.Unmarshal([]byte(e.Detail), &d) // older entries have less
		out = append(out, AssuranceChange{At: e.At, Level: safeguard.Assurance(e.Reason), From: safeguard.Assurance(d.From),
			Method: d.Method, Note: d.Note, By: d.By})
	}
	return out
}

// Verify records that an operator checked an account holder's age, how
// (method, e.g. "passport checked") and with what note, and sets the
// account's assurance to verified.
func (s *Service) Verify(ctx context.Context, ref, method, note, by string) (*safeguard.Account, error) {
	if strings.TrimSpace(method) == "" {
		return nil, safeguard.Invalid("missing_method", "Say how the age was checked (method), for example \"passport checked\".")
	}
	if err := firstErr(requireBy(by), operatorText("method", method), operatorText("note", note)); err != nil {
		return nil, err
	}
	return s.changeAssurance(ctx, ref, safeguard.Verified, map[string]string{"by": by, "method": method, "note": note})
}

// Unverify takes back an account's verified age, with the reason. An adult
// no longer verified leaves its end-to-end encrypted conversations.
func (s *Service) Unverify(ctx context.Context, ref, reason, by string) (*safeguard.Account, error) {
	if err := firstErr(requireBy(by), requireReason(reason)); err != nil {
		return nil, err
	}
	return s.changeAssurance(ctx, ref, safeguard.SelfDeclared, map[string]string{"by": by, "note": reason, "method": "unverified"})
}

func (s *Service) changeAssurance(ctx context.Context, ref string, level safeguard.Assurance, detail map[string]string) (*safeguard.Account, error) {
	a, err := s.AccountByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	if a.Status == safeguard.Deleted {
		return nil, errAccountDeleted
	}
	return s.setAssurance(ctx, a.ID, level, detail)
}

func requireReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return safeguard.Invalid("missing_reason", "Give a reason.")
	}
	return operatorText("reason", reason)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Suspend suspends an account: it can log in only to see why and appeal.
// Its sessions and live streams end.
func (s *Service) Suspend(ctx context.Context, ref, reason, by string) (*safeguard.Account, error) {
	return s.changeStatus(ctx, ref, reason, by, true)
}

// Unsuspend lifts an operator's or moderator's suspension.
func (s *Service) Unsuspend(ctx context.Context, ref, reason, by string) (*safeguard.Account, error) {
	return s.changeStatus(ctx, ref, reason, by, false)
}

func (s *Service) changeStatus(ctx context.Context, ref, reason, by string, suspend bool) (*safeguard.Account, error) {
	if err := firstErr(requireBy(by), requireReason(reason)); err != nil {
		return nil, err
	}
	now := s.clock()
	var a *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		action := "account.suspended"
		switch {
		case a.Status == safeguard.Deleted:
			return errAccountDeleted
		case suspend && a.Status == safeguard.Suspended:
			return safeguard.Errorf(safeguard.ErrConflict, "already_suspended", "That account is suspended already.")
		case !suspend && a.Status != safeguard.Suspended:
			return safeguard.Errorf(safeguard.ErrConflict, "not_suspended", "That account is not suspended.")
		case suspend:
			a.Status = safeguard.Suspended
			if err := tx.DeleteSessions(ctx, a.ID); err != nil {
				return err
			}
		default:
			action = "account.unsuspended"
			a.Status = safeguard.Active
			if a.Band(now) == safeguard.Child && len(a.Guardians()) == 0 {
				a.Status = safeguard.PendingGuardian
			}
		}
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "operator", Action: action, TargetID: a.ID, Reason: "operator",
			Detail: `{"by":` + quote(by) + `,"reason":` + quote(reason) + `}`})
	})
	if err != nil {
		return nil, err
	}
	if suspend {
		s.publish(ctx, a.ID, Notification{End: EndSession})
	}
	return a, nil
}

// LogoutAccount ends every session of the account an operator names, and
// its live streams.
func (s *Service) LogoutAccount(ctx context.Context, ref, by string) (*safeguard.Account, error) {
	if err := requireBy(by); err != nil {
		return nil, err
	}
	var a *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		if err := tx.DeleteSessions(ctx, a.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: s.clock(), Actor: "operator", Action: "sessions.ended", TargetID: a.ID,
			Detail: `{"by":` + quote(by) + `}`})
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, a.ID, Notification{End: EndSession})
	return a, nil
}

// AccountSessions returns the sessions of the account an operator names
// that have not expired.
func (s *Service) AccountSessions(ctx context.Context, ref string) (*safeguard.Account, []SessionView, error) {
	a, err := s.AccountByRef(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	ss, err := s.Sessions(ctx, a.ID, "")
	return a, ss, err
}
