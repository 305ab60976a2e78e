package cases

import (
	"context"
	"strings"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// MaxAppealText is the longest appeal text, in bytes.
const MaxAppealText = 4000

// nothingToAppeal is the one answer for every appeal that cannot be made:
// no such case, someone else's case, nothing decided — and a case with a
// law-enforcement report open, which must look exactly the same.
var nothingToAppeal = safeguard.Errorf(safeguard.ErrNotFound, "nothing_to_appeal", "There is nothing to appeal here.")

// Appealable lists the decided cases the account may appeal: decisions
// about its own content, within the appeal window, never a case with a
// law-enforcement report open.
func (s *Service) Appealable(ctx context.Context, accountID int64) ([]*safeguard.Case, error) {
	var out []*safeguard.Case
	now := s.clock()
	err := viewTx(ctx, s.Store, func(tx Tx) error {
		cs, err := tx.Cases(ctx, store.CaseQuery{SenderID: accountID, Statuses: []safeguard.CaseStatus{safeguard.CaseClosed}, Limit: 200})
		for _, c := range cs {
			if appealableDecision(c) && now.Sub(c.DecidedAt) <= s.cfg.AppealWindow && c.ReportReference == "" {
				out = append(out, c)
			}
		}
		return err
	})
	return out, err
}

func appealableDecision(c *safeguard.Case) bool {
	switch c.Decision {
	case safeguard.RemoveContent, safeguard.Warn, safeguard.Suspend, safeguard.Ban:
		return true
	}
	return false
}

// Appeal files the affected account's appeal against a decision. Anything
// that cannot be appealed — including a case under a law-enforcement report
// — gets the same not-found answer, so a suspect learns nothing.
func (s *Service) Appeal(ctx context.Context, accountID, caseID int64, text string) (*safeguard.Appeal, error) {
	if len(text) > MaxAppealText || !utf8.ValidString(text) {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "appeal_too_long", "An appeal can be at most %d characters.", MaxAppealText)
	}
	if !safeguard.ValidText(text, true) {
		return nil, safeguard.InvalidText("An appeal")
	}
	now := s.clock()
	var a *safeguard.Appeal
	err := updateTx(ctx, s.Store, func(tx Tx) error {
		c, err := tx.Case(ctx, caseID)
		if err != nil || c.SenderID != accountID || c.ReportOpen() || c.ReportReference != "" ||
			!appealableDecision(c) || now.Sub(c.DecidedAt) > s.cfg.AppealWindow {
			return nothingToAppeal
		}
		open, err := tx.Appeals(ctx, store.AppealQuery{CaseID: caseID, AccountID: accountID})
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.Kind == safeguard.AppealDecision {
				return safeguard.Errorf(safeguard.ErrConflict, "appeal_exists", "You have appealed this decision already.")
			}
		}
		a = &safeguard.Appeal{CaseID: caseID, AccountID: accountID, Kind: safeguard.AppealDecision, Text: text,
			Status: safeguard.AppealOpen, CreatedAt: now}
		if err := tx.CreateAppeal(ctx, a); err != nil {
			return err
		}
		return event(ctx, tx, c, now, "account:"+itoa(accountID), "appealed", c.Status, "", nil)
	})
	return a, err
}

// ContestHold records a complaint about automated detection: the sender of
// a message says it should not have been stopped. The answer is the same
// whatever happened to the message, so it tells the sender nothing about a
// hold: a complaint about a held message whose case has no law-enforcement
// report goes to a moderator; one whose case has a report waits (deferred)
// until the report is closed; any other is recorded and needs no action.
func (s *Service) ContestHold(ctx context.Context, accountID, messageID int64, text string) (*safeguard.Appeal, error) {
	if len(text) > MaxAppealText || !utf8.ValidString(text) {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "appeal_too_long", "An appeal can be at most %d characters.", MaxAppealText)
	}
	if !safeguard.ValidText(text, true) {
		return nil, safeguard.InvalidText("An appeal")
	}
	now := s.clock()
	var a *safeguard.Appeal
	err := updateTx(ctx, s.Store, func(tx Tx) error {
		m, err := tx.Message(ctx, messageID)
		if err != nil || m.SenderID != accountID {
			return safeguard.NotFound
		}
		a = &safeguard.Appeal{AccountID: accountID, Kind: safeguard.AppealHold, MessageID: messageID, Text: text,
			Status: safeguard.AppealUpheld, CreatedAt: now, DecidedBy: "system", DecidedAt: now, Reason: "nothing held"}
		if m.Status != safeguard.Held {
			return tx.CreateAppeal(ctx, a)
		}
		occ, err := tx.MessageOccurrences(ctx, messageID)
		if err != nil {
			return err
		}
		a.Status, a.DecidedBy, a.DecidedAt, a.Reason = safeguard.AppealOpen, "", timeT{}, ""
		var c *safeguard.Case
		for _, o := range occ {
			if o.Source != safeguard.UserReport {
				if c, err = tx.Case(ctx, o.CaseID); err != nil {
					return err
				}
				break
			}
		}
		if c != nil {
			a.CaseID = c.ID
			if c.ReportOpen() {
				a.Status = safeguard.AppealDeferred
			}
		}
		if err := tx.CreateAppeal(ctx, a); err != nil {
			return err
		}
		if c != nil {
			return event(ctx, tx, c, now, "account:"+itoa(accountID), "hold_contested", c.Status, string(a.Status), nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The sender sees the same receipt whatever was found.
	return &safeguard.Appeal{ID: a.ID, AccountID: a.AccountID, Kind: a.Kind, MessageID: a.MessageID, Status: safeguard.AppealOpen, CreatedAt: a.CreatedAt}, nil
}

// AppealOutcome is a moderator's answer to an appeal.
type AppealOutcome struct {
	Moderator Moderator
	Overturn  bool // reverse the decision (or release the hold)
	Reason    string
}

// DecideAppeal decides an open appeal. The moderator must not be the one
// who decided the case. Overturning a suspension or ban reactivates the
// account; overturning a removal or hold delivers the messages again.
func (s *Service) DecideAppeal(ctx context.Context, appealID int64, o AppealOutcome) (*safeguard.Appeal, error) {
	if err := o.Moderator.check(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(o.Reason) == "" {
		return nil, safeguard.Invalid("reason_required", "Give a reason for the outcome.")
	}
	if !safeguard.ValidText(o.Reason, true) {
		return nil, safeguard.InvalidText("A reason")
	}
	now := s.clock()
	var a *safeguard.Appeal
	err := updateTx(ctx, s.Store, func(tx Tx) error {
		var err error
		if a, err = tx.Appeal(ctx, appealID); err != nil {
			return err
		}
		if a.Status != safeguard.AppealOpen {
			return safeguard.Errorf(safeguard.ErrConflict, "appeal_not_open", "This appeal is not open.")
		}
		var c *safeguard.Case
		if a.CaseID != 0 {
			if c, err = tx.Case(ctx, a.CaseID); err != nil {
				return err
			}
			if c.DecidedBy == o.Moderator.Name || (a.Kind == safeguard.AppealHold && c.Assignee == o.Moderator.Name && c.DecidedBy == "") {
				return safeguard.Errorf(safeguard.ErrPermission, "same_moderator", "A different moderator must decide the appeal.")
			}
			if c.ReportOpen() {
				return safeguard.Errorf(safeguard.ErrConflict, "report_open", "A law-enforcement report is open: the appeal waits.")
			}
			if !o.Moderator.MayDecide(c) {
				return safeguard.Errorf(safeguard.ErrPermission, "senior_review_required", "A senior moderator must decide this appeal.")
			}
		}
		a.Status, a.DecidedBy, a.DecidedAt, a.Reason = safeguard.AppealUpheld, o.Moderator.Name, now, o.Reason
		if o.Overturn {
			a.Status = safeguard.AppealOverturned
			if err := s.reverse(ctx, tx, a, c); err != nil {
				return err
			}
		}
		if err := tx.UpdateAppeal(ctx, a); err != nil {
			return err
		}
		if c != nil {
			if err := event(ctx, tx, c, now, o.Moderator.Name, "appeal_decided", c.Status, string(a.Status)+": "+o.Reason, nil); err != nil {
				return err
			}
		}
		return nil
	})
	return a, err
}

// reverse undoes what a case decided, for an overturned appeal.
func (s *Service) reverse(ctx context.Context, tx Tx, a *safeguard.Appeal, c *safeguard.Case) error {
	if a.Kind == safeguard.AppealHold {
		return tx.SetMessageStatus(ctx, a.MessageID, safeguard.Delivered)
	}
	if c == nil {
		return nil
	}
	if c.Decision == safeguard.Suspend || c.Decision == safeguard.Ban {
		acct, err := tx.Account(ctx, c.SenderID)
		if err != nil {
			return err
		}
		if acct.Status == safeguard.Suspended {
			acct.Status = safeguard.Active
			if err := tx.UpdateAccount(ctx, acct); err != nil {
				return err
			}
		}
	}
	if c.Decision == safeguard.RemoveContent || c.Decision == safeguard.Suspend || c.Decision == safeguard.Ban {
		occ, err := tx.Occurrences(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, o := range occ {
			if o.MessageID != 0 && o.Source == safeguard.UserReport {
				if err := tx.SetMessageStatus(ctx, o.MessageID, safeguard.Delivered); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
