package cases

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Moderator is who acts on a case: a name, and a role whose permissions are
// the console's role matrix (moderators.Can). It is the one model of what a
// moderator may do, asked by the console and by the service alike.
type Moderator struct {
	Name string
	Role safeguard.ModeratorRole
}

// RoleFor is the role of a moderator named where only seniority is said (the
// operator API and the command line): senior, or a moderator.
func RoleFor(senior bool) safeguard.ModeratorRole {
	if senior {
		return safeguard.RoleSenior
	}
	return safeguard.RoleModerator
}

// Can reports whether m may do p.
func (m Moderator) Can(p moderators.Permission) bool { return moderators.Can(m.Role, p) }

// MaySee reports whether m may open c: a case whose sender is a young person
// needs moderators.MinorSenderCases.
func (m Moderator) MaySee(c *safeguard.Case) bool {
	return !c.MinorSender || m.Can(moderators.MinorSenderCases)
}

// MayDecide reports whether m's role may decide c and its appeals: a case
// that needs a senior review (a minor as sender) needs
// moderators.MinorSenderCases, which senior moderators have.
func (m Moderator) MayDecide(c *safeguard.Case) bool {
	return !c.SeniorReview || m.Can(moderators.MinorSenderCases)
}

// senior reports whether m is a senior moderator or above, as the timeline
// records a decision.
func (m Moderator) senior() bool { return m.Role.AtLeast(safeguard.RoleSenior) }

func (m Moderator) check() error {
	if strings.TrimSpace(m.Name) == "" {
		return safeguard.Invalid("moderator_required", "Say which moderator is acting.")
	}
	return nil
}

// QueueQuery selects the review queue.
type QueueQuery struct {
	// Statuses to list; empty means the work to do: open, in review,
	// decided, a report that failed and one awaiting submission by hand.
	Statuses []safeguard.CaseStatus
	Limit    int
	// Search, for QueueRows only: a case ID, part of a handle, or a
	// category (ParseSearch).
	Search string
}

// Queue lists cases most urgent first: priority 1 before 2 before 3, then
// the oldest first.
func (s *Service) Queue(ctx context.Context, q QueueQuery) ([]*safeguard.Case, error) {
	st := q.Statuses
	if len(st) == 0 {
		st = []safeguard.CaseStatus{safeguard.CaseOpen, safeguard.CaseInReview, safeguard.CaseDecided,
			safeguard.CaseReportFailed, safeguard.CaseAwaitingSubmission}
	}
	var out []*safeguard.Case
	err := viewTx(ctx, s.Store, func(tx Tx) (err error) {
		out, err = tx.Cases(ctx, store.CaseQuery{Statuses: st, Limit: q.Limit})
		return
	})
	return out, err
}

// CaseView is a case with everything a moderator reviews: its timeline,
// occurrences, the evidence preserved (references, never content), the
// reports filed, appeals, and the sender's account.
type CaseView struct {
	*safeguard.Case
	Sender      *safeguard.Account
	Timeline    []safeguard.CaseEvent
	Occurrences []safeguard.Occurrence
	Evidence    []safeguard.EvidenceEntry
	Reads       []safeguard.EvidenceRead
	Reports     []safeguard.CaseReport
	Appeals     []*safeguard.Appeal
	// ReportFailure is why the report failed (status report_failed);
	// ReportPackage is the directory of the package awaiting submission by
	// hand (status awaiting_submission). Both come from the timeline.
	ReportFailure string
	ReportPackage string
}

// Case returns a case with its timeline, occurrences, evidence references,
// reports and appeals.
func (s *Service) Case(ctx context.Context, id int64) (*CaseView, error) {
	v := &CaseView{}
	err := viewTx(ctx, s.Store, func(tx Tx) error {
		var err error
		if v.Case, err = tx.Case(ctx, id); err != nil {
			return notFound(id)
		}
		if v.Sender, err = tx.Account(ctx, v.SenderID); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		if v.Timeline, err = tx.CaseEvents(ctx, id); err != nil {
			return err
		}
		if v.Occurrences, err = tx.Occurrences(ctx, id); err != nil {
			return err
		}
		if v.Evidence, err = tx.CaseEvidence(ctx, id); err != nil {
			return err
		}
		if v.Reads, err = tx.EvidenceReads(ctx, id); err != nil {
			return err
		}
		if v.Reports, err = tx.CaseReports(ctx, id); err != nil {
			return err
		}
		v.Appeals, err = tx.Appeals(ctx, store.AppealQuery{CaseID: id})
		return err
	})
	if err != nil {
		return nil, err
	}
	v.ReportFailure, v.ReportPackage = reportState(v.Case, v.Timeline)
	return v, nil
}

// change loads a case, lets fn change it, and writes it back with a
// timeline entry.
func (s *Service) change(ctx context.Context, id int64, actor, action string, fn func(tx Tx, c *safeguard.Case) (reason string, detail []byte, err error)) (*safeguard.Case, error) {
	var c *safeguard.Case
	err := updateTx(ctx, s.Store, func(tx Tx) error {
		var err error
		if c, err = tx.Case(ctx, id); err != nil {
			return notFound(id)
		}
		from := c.Status
		reason, detail, err := fn(tx, c)
		if err != nil {
			return err
		}
		now := s.clock()
		c.UpdatedAt = now
		if err := event(ctx, tx, c, now, actor, action, from, reason, detail); err != nil {
			return err
		}
		return tx.UpdateCase(ctx, c)
	})
	return c, err
}

// Claim assigns an open case to a moderator, who reviews it.
func (s *Service) Claim(ctx context.Context, id int64, m Moderator) (*safeguard.Case, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	return s.change(ctx, id, m.Name, "claimed", func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		switch {
		case c.Status == safeguard.CaseInReview && c.Assignee == m.Name:
			return "", nil, nil
		case c.Status != safeguard.CaseOpen:
			return "", nil, safeguard.Errorf(safeguard.ErrConflict, "case_not_open", "This case is %s, not open.", strings.ReplaceAll(string(c.Status), "_", " "))
		}
		c.Status, c.Assignee = safeguard.CaseInReview, m.Name
		return "", nil, nil
	})
}

// Decision is a moderator's decision about a case.
type Decision struct {
	Moderator Moderator
	Decision  safeguard.Decision
	Reason    string
	// Signals a moderator found (e.g. immediate_danger); they count in the
	// priority of the report.
	Signals []string
}

// ParseDecision reads a decision as written on the command line or in the
// API: "no-violation" and "no_violation" alike.
func ParseDecision(s string) (safeguard.Decision, error) {
	d := safeguard.Decision(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if !d.Valid() {
		return "", safeguard.Invalid("invalid_decision", "Decide one of: report, no-violation, remove, warn, suspend, ban.")
	}
	return d, nil
}

// Decide records a decision with its reason and carries it out: remove
// holds the content back, suspend and ban suspend the sender, report files
// the law-enforcement report through the configured submitter. A case whose
// sender is a minor needs a senior moderator, and is never decided
// "suspend" or "ban" without one. Every step is in the timeline.
func (s *Service) Decide(ctx context.Context, id int64, d Decision) (*CaseView, *lawreport.Receipt, error) {
	if err := d.check(); err != nil {
		return nil, nil, err
	}
	var sender int64
	_, err := s.change(ctx, id, d.Moderator.Name, "decided", func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		if err := d.mayDecide(c); err != nil {
			return "", nil, err
		}
		now := s.clock()
		d.apply(c, now)
		if err := s.carryOut(ctx, tx, c, d.Decision, now); err != nil {
			return "", nil, err
		}
		sender = c.SenderID
		detail, _ := json.Marshal(map[string]any{"decision": d.Decision, "signals": d.Signals, "senior": d.Moderator.senior()})
		return string(d.Decision) + ": " + d.Reason, detail, nil
	})
	if err != nil {
		return nil, nil, err
	}
	var rec *lawreport.Receipt
	if d.Decision == safeguard.ReportLE {
		// A filing that fails leaves the case report_failed, to retry:
		// the decision stands either way.
		if rec, err = s.fileReport(ctx, id, d.Moderator.Name, false); err != nil {
			return nil, nil, err
		}
	} else {
		s.tellDecision(ctx, sender, d.Decision)
	}
	// A suspended account's sessions are gone: its live streams end,
	// after the notice.
	if (d.Decision == safeguard.Suspend || d.Decision == safeguard.Ban) && sender != 0 && s.Notify != nil {
		s.Notify.Notify(ctx, endSessions(sender))
	}
	v, err := s.Case(ctx, id)
	return v, rec, err
}

// check validates a decision before any case is read: a moderator, a
// decision, a reason in valid text, and known signals.
func (d Decision) check() error {
	if err := d.Moderator.check(); err != nil {
		return err
	}
	if !d.Decision.Valid() {
		return safeguard.Invalid("invalid_decision", "Decide one of: report, no-violation, remove, warn, suspend, ban.")
	}
	if strings.TrimSpace(d.Reason) == "" {
		return safeguard.Invalid("reason_required", "Give a reason for the decision.")
	}
	if !safeguard.ValidText(d.Reason, true) {
		return safeguard.InvalidText("A reason")
	}
	for _, sig := range d.Signals {
		if !validSignal(sig) {
			return safeguard.Invalid("invalid_signal", "Unknown signal %q.", sig)
		}
	}
	return nil
}

// mayDecide says whether d may decide case c: a case that needs senior
// review needs a senior moderator, and a case decided already may only be
// decided again, once reported, to act on the sender.
func (d Decision) mayDecide(c *safeguard.Case) error {
	if !d.Moderator.MayDecide(c) {
		return safeguard.Errorf(safeguard.ErrPermission, "senior_review_required",
			"The sender is a young person: a senior moderator must decide this case.")
	}
	switch c.Status {
	case safeguard.CaseOpen, safeguard.CaseInReview:
	case safeguard.CaseReported:
		if d.Decision == safeguard.ReportLE || d.Decision == safeguard.NoViolation {
			return safeguard.Errorf(safeguard.ErrConflict, "already_reported", "This case has been reported already.")
		}
	default:
		return safeguard.Errorf(safeguard.ErrConflict, "already_decided", "This case has been decided already.")
	}
	return nil
}

// apply records decision d on case c, made at now: who, why, its new
// signals and the status it leaves the case in.
func (d Decision) apply(c *safeguard.Case, now timeT) {
	c.Decision, c.DecisionReason, c.DecidedBy, c.DecidedAt = d.Decision, d.Reason, d.Moderator.Name, now
	if c.Assignee == "" {
		c.Assignee = d.Moderator.Name
	}
	for _, sig := range d.Signals {
		if !strings.Contains(strings.Join(c.Signals, ","), sig) {
			c.Signals = append(c.Signals, sig)
		}
	}
	if c.Status != safeguard.CaseReported {
		c.Status = safeguard.CaseDecided
		if d.Decision != safeguard.ReportLE {
			c.Status = safeguard.CaseClosed
		}
	}
}

// tellDecision tells the sender of a case of a decision that acts on them.
func (s *Service) tellDecision(ctx context.Context, sender int64, d safeguard.Decision) {
	if s.Notify == nil || sender == 0 {
		return
	}
	switch d {
	case safeguard.Warn, safeguard.Suspend, safeguard.Ban, safeguard.RemoveContent:
		s.Notify.Notify(ctx, notice(sender, "decision_made"))
	}
}

// carryOut applies a decision in tx.
func (s *Service) carryOut(ctx context.Context, tx Tx, c *safeguard.Case, d safeguard.Decision, now timeT) error {
	switch d {
	case safeguard.RemoveContent, safeguard.Suspend, safeguard.Ban:
		occ, err := tx.Occurrences(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, o := range occ {
			if o.MessageID != 0 {
				if err := tx.SetMessageStatus(ctx, o.MessageID, safeguard.Held); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
					return err
				}
			}
		}
	}
	if (d == safeguard.Suspend || d == safeguard.Ban) && c.SenderID != 0 {
		a, err := tx.Account(ctx, c.SenderID)
		if err != nil {
			return err
		}
		if a.Status != safeguard.Suspended {
			a.Status = safeguard.Suspended
			if err := tx.UpdateAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.DeleteSessions(ctx, a.ID); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "moderator", Action: "account." + string(d),
			TargetID: a.ID, Reason: "case_decision", Detail: `{"case_id":` + itoa(c.ID) + `}`})
	}
	return nil
}

// Close ends a reported case once the law-enforcement report no longer
// needs it open: appeals and notices held back meanwhile go ahead.
func (s *Service) Close(ctx context.Context, id int64, m Moderator, reason string) (*safeguard.Case, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, safeguard.Invalid("reason_required", "Give a reason for closing the case.")
	}
	if !safeguard.ValidText(reason, true) {
		return nil, safeguard.InvalidText("A reason")
	}
	return s.change(ctx, id, m.Name, "closed", func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		switch c.Status {
		case safeguard.CaseReported, safeguard.CaseDecided:
		case safeguard.CaseReportFailed, safeguard.CaseAwaitingSubmission:
			return "", nil, safeguard.Errorf(safeguard.ErrConflict, "report_not_filed",
				"The report has not been filed yet: retry it, or record its submission, before closing the case.")
		default:
			return "", nil, safeguard.Errorf(safeguard.ErrConflict, "case_not_reported", "Only a decided or reported case can be closed.")
		}
		c.Status = safeguard.CaseClosed
		deferred, err := tx.Appeals(ctx, store.AppealQuery{CaseID: c.ID, Statuses: []safeguard.AppealStatus{safeguard.AppealDeferred}})
		if err != nil {
			return "", nil, err
		}
		for _, a := range deferred {
			a.Status = safeguard.AppealOpen
			if err := tx.UpdateAppeal(ctx, a); err != nil {
				return "", nil, err
			}
		}
		return reason, nil, nil
	})
}

// SetLegalHold puts a case's evidence under a legal hold (nothing is
// deleted while it lasts) or lifts it.
func (s *Service) SetLegalHold(ctx context.Context, id int64, m Moderator, on bool, reason string) (*safeguard.Case, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, safeguard.Invalid("reason_required", "Give the reason for the legal hold.")
	}
	if !safeguard.ValidText(reason, true) {
		return nil, safeguard.InvalidText("A reason")
	}
	action := "legal_hold_lifted"
	if on {
		action = "legal_hold"
	}
	return s.change(ctx, id, m.Name, action, func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		c.LegalHold, c.HoldReason = on, reason
		if !on {
			c.HoldReason = ""
		}
		return reason, nil, nil
	})
}

// Reveal returns the bytes of one preserved item of a case to a moderator.
// Who and why are recorded before anything is read.
func (s *Service) Reveal(ctx context.Context, caseID, seq int64, m Moderator, why string) (*safeguard.EvidenceEntry, []byte, error) {
	if err := m.check(); err != nil {
		return nil, nil, err
	}
	return s.Vault.Read(ctx, s.Store, caseID, seq, m.Name, why)
}
