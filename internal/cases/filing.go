package cases

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
)

// The timeline actions of a report's filing.
const (
	actionReportFailed    = "report_failed"    // the filing failed: the reason
	actionReportRetried   = "report_retried"   // someone asked to file it again
	actionReportExported  = "report_exported"  // the package awaits submission by hand
	actionReportSubmitted = "report_submitted" // a person submitted it: their reference
)

// MaxSubmittedReference is the longest reference a person may record for a
// report they submitted by hand, in bytes.
const MaxSubmittedReference = 200

// fileReport files the case's report (or a follow-up) and, when that fails,
// leaves the case report_failed with the reason in its timeline and the log,
// telling on-call at priority 1. Only a failure to record that is an error:
// the failure itself is the case's state, to retry.
func (s *Service) fileReport(ctx context.Context, caseID int64, who string, followUp bool) (*lawreport.Receipt, error) {
	rec, err := s.file(ctx, caseID, who, followUp)
	switch {
	case err != nil:
		return nil, s.reportFailed(ctx, caseID, who, err)
	case rec == nil:
		return nil, s.nothingToFile(ctx, caseID, who)
	}
	return rec, nil
}

// nothingToFile settles a case whose filing found nothing left to report:
// one reported before, whose follow-up failed or was interrupted and has
// nothing new now, is reported again rather than left failed.
func (s *Service) nothingToFile(ctx context.Context, caseID int64, who string) error {
	_, err := s.change(ctx, caseID, who, "reported", func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		failed := c.Status == safeguard.CaseReportFailed || c.Status == safeguard.CaseDecided && c.Decision == safeguard.ReportLE
		if c.ReportReference == "" || !failed {
			return "", nil, errNothingToSettle
		}
		c.Status = safeguard.CaseReported
		return "nothing new to report since " + c.ReportReference, nil, nil
	})
	if errors.Is(err, errNothingToSettle) {
		return nil
	}
	return err
}

var errNothingToSettle = errors.New("nothing to settle")

// failureReason says in a sentence why a filing failed: the sentence of a
// Safeguard error (a setting missing, a package refused), otherwise the
// error itself (a server's answer, a network failure).
func failureReason(err error) string {
	var e *safeguard.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// reportFailed records that the case's report could not be filed.
func (s *Service) reportFailed(ctx context.Context, caseID int64, who string, cause error) error {
	reason := failureReason(cause)
	s.Log.ErrorContext(ctx, "cases: law-enforcement report failed", "case", caseID, "err", cause)
	c, err := s.change(ctx, caseID, who, actionReportFailed, func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		c.Status = safeguard.CaseReportFailed
		detail, _ := json.Marshal(map[string]any{"priority": c.Priority, "follow_up": c.ReportReference != ""})
		return reason, detail, nil
	})
	if err != nil {
		return errors.Join(cause, err)
	}
	if c.Priority == 1 {
		if s.Alerter == nil {
			s.Log.ErrorContext(ctx, "cases: priority 1 report failed and no on-call webhook is configured", "case", caseID)
		}
		s.alert(ctx, c, AlertReportFailed, reason)
	}
	return nil
}

// reportState is, from the timeline, why the case's report failed (status
// report_failed) or where its package waits to be submitted by hand (status
// awaiting_submission).
func reportState(c *safeguard.Case, timeline []safeguard.CaseEvent) (failure, pkg string) {
	for i := len(timeline) - 1; i >= 0; i-- {
		e := timeline[i]
		switch {
		case c.Status == safeguard.CaseReportFailed && e.Action == actionReportFailed:
			return e.Reason, ""
		case c.Status == safeguard.CaseAwaitingSubmission && e.Action == actionReportExported:
			var d exportedDetail
			_ = json.Unmarshal(e.Detail, &d)
			return "", d.Package
		}
	}
	return "", ""
}

// exportedDetail is the timeline detail of a package exported for a person
// to submit by hand.
type exportedDetail struct {
	Reference   string  `json:"reference"`
	FollowUpOf  string  `json:"follow_up_of,omitempty"`
	Package     string  `json:"package"`
	Priority    int     `json:"priority"`
	Test        bool    `json:"test"`
	Occurrences []int64 `json:"occurrences"`
}

// recordExported records a package exported for a person to submit by hand:
// the case awaits their word that it is submitted.
func (s *Service) recordExported(ctx context.Context, caseID int64, who string, pkg *lawreport.Package, rec lawreport.Receipt, occIDs []int64) error {
	_, err := s.change(ctx, caseID, who, actionReportExported, func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		c.Status = safeguard.CaseAwaitingSubmission
		detail, err := json.Marshal(exportedDetail{Reference: pkg.Reference, FollowUpOf: pkg.FollowUpOf, Package: rec.ID,
			Priority: pkg.Priority.Level, Test: pkg.Test, Occurrences: occIDs})
		return "awaiting manual submission: " + rec.ID, detail, err
	})
	if err == nil {
		s.Log.InfoContext(ctx, "cases: report package awaits manual submission", "case", caseID, "reference", pkg.Reference,
			"package", rec.ID, "priority", pkg.Priority.Level, "test", pkg.Test)
	}
	return err
}

// RetryReport files again the report of a case whose filing failed (or was
// interrupted before it was recorded either way), as m. A new failure leaves
// the case report_failed again, with the new reason.
func (s *Service) RetryReport(ctx context.Context, id int64, m Moderator) (*CaseView, *lawreport.Receipt, error) {
	if err := m.check(); err != nil {
		return nil, nil, err
	}
	var followUp bool
	_, err := s.change(ctx, id, m.Name, actionReportRetried, func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		if !m.MayDecide(c) {
			return "", nil, safeguard.Errorf(safeguard.ErrPermission, "senior_review_required",
				"The sender is a young person: a senior moderator must act on this case.")
		}
		if c.Status != safeguard.CaseReportFailed && !(c.Status == safeguard.CaseDecided && c.Decision == safeguard.ReportLE) {
			return "", nil, safeguard.Errorf(safeguard.ErrConflict, "report_not_failed", "Only a report that failed can be retried.")
		}
		followUp = c.ReportReference != ""
		return "", nil, nil
	})
	if err != nil {
		return nil, nil, err
	}
	rec, err := s.fileReport(ctx, id, m.Name, followUp)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.Case(ctx, id)
	return v, rec, err
}

// MarkSubmitted records that a person submitted by hand the package a case
// awaits submission of, with the reference the receiving body gave: the
// report is filed and the case reported.
func (s *Service) MarkSubmitted(ctx context.Context, id int64, m Moderator, reference string) (*CaseView, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	reference = strings.TrimSpace(reference)
	switch {
	case reference == "":
		return nil, safeguard.Invalid("reference_required", "Give the reference the report was submitted under.")
	case len(reference) > MaxSubmittedReference || !utf8.ValidString(reference):
		return nil, safeguard.Invalid("reference_too_long", "The reference can be at most %d characters.", MaxSubmittedReference)
	case !safeguard.ValidText(reference, false):
		return nil, safeguard.InvalidText("The reference")
	}
	_, err := s.change(ctx, id, m.Name, actionReportSubmitted, func(tx Tx, c *safeguard.Case) (string, []byte, error) {
		if c.Status != safeguard.CaseAwaitingSubmission {
			return "", nil, safeguard.Errorf(safeguard.ErrConflict, "report_not_awaiting", "This case has no report awaiting submission.")
		}
		d, err := s.awaiting(ctx, tx, c)
		if err != nil {
			return "", nil, err
		}
		now := s.clock()
		receipt, _ := json.Marshal(map[string]any{"reference": d.Reference, "destination": "manual", "id": reference,
			"package": d.Package, "submitted_by": m.Name, "submitted_at": now, "test": d.Test})
		if err := tx.AddCaseReport(ctx, &safeguard.CaseReport{CaseID: c.ID, Reference: d.Reference, FollowUpOf: d.FollowUpOf,
			Destination: "manual", ReceiptID: reference, Priority: d.Priority, Test: d.Test, SubmittedAt: now, Receipt: receipt}); err != nil {
			return "", nil, err
		}
		if err := tx.SetOccurrenceReport(ctx, d.Occurrences, d.Reference); err != nil {
			return "", nil, err
		}
		if c.ReportReference == "" {
			c.ReportReference, c.ReportedAt = d.Reference, now
		}
		c.Status = safeguard.CaseReported
		detail, _ := json.Marshal(map[string]any{"reference": d.Reference, "submitted_reference": reference, "package": d.Package})
		return reference, detail, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, id)
}

// awaiting reads, from the timeline, the package case c awaits submission
// of.
func (s *Service) awaiting(ctx context.Context, tx Tx, c *safeguard.Case) (exportedDetail, error) {
	events, err := tx.CaseEvents(ctx, c.ID)
	if err != nil {
		return exportedDetail{}, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Action == actionReportExported {
			var d exportedDetail
			err := json.Unmarshal(events[i].Detail, &d)
			return d, err
		}
	}
	return exportedDetail{}, safeguard.Errorf(safeguard.ErrConflict, "report_not_awaiting", "This case has no report awaiting submission.")
}
