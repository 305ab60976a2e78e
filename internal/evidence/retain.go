package evidence

import (
	"context"
	"errors"
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Retention periods. Each is a named setting with its legal basis beside it;
// docs/evidence.md says more.
const (
	// ContentPeriod: content and related data (messages, media, the
	// conversation around them, account data, connections) are kept one
	// year from the law-enforcement report, or from the decision when the
	// case was not reported. Legal basis: the CSEA content reporting
	// regulations under Online Safety Act 2023 s.66 (S.I. 2026/268), which
	// ask a provider that reports to keep the content and related data for
	// one year; a case not reported keeps them as long, for appeals and
	// for a later report of the same content.
	ContentPeriod = 365 * 24 * time.Hour
	// ReferencePeriod: report references (the reference, the receipt and
	// where the report went) are kept five years from the report. Legal
	// basis: S.I. 2026/268, record-keeping of the reports made.
	ReferencePeriod = 5 * 365 * 24 * time.Hour
)

// Retention is how long preserved items are kept. The zero value means the
// periods above.
type Retention struct {
	Content   time.Duration
	Reference time.Duration
}

func (r Retention) periods() (content, reference time.Duration) {
	content, reference = r.Content, r.Reference
	if content <= 0 {
		content = ContentPeriod
	}
	if reference <= 0 {
		reference = ReferencePeriod
	}
	return content, reference
}

// RetainResult is what a retention run did.
type RetainResult struct {
	Cases   int // cases looked at
	Deleted int // items deleted, each with a tombstone
	Held    int // cases skipped because of a legal hold
}

// Due returns when an item of class cl in case c is due for deletion, and
// false when it is not due at all: the case is not decided yet, its report
// is decided on but not filed (awaiting submission by hand, or failed), or
// it is under a legal hold.
func (r Retention) Due(c *safeguard.Case, cl safeguard.RetentionClass) (time.Time, bool) {
	if c.LegalHold {
		return time.Time{}, false
	}
	// A report decided on and not yet filed (waiting to be submitted by
	// hand, or failed and to be retried) keeps its evidence: the periods
	// run from the report.
	if c.ReportedAt.IsZero() && (c.Status == safeguard.CaseAwaitingSubmission || c.Status == safeguard.CaseReportFailed) {
		return time.Time{}, false
	}
	base := c.ReportedAt
	if base.IsZero() {
		base = c.DecidedAt
	}
	if base.IsZero() {
		return time.Time{}, false
	}
	content, reference := r.periods()
	if cl == safeguard.RetainReference {
		return base.Add(reference), true
	}
	return base.Add(content), true
}

// Retain deletes the bytes of every item past its retention at now and logs
// a signed tombstone for each. Cases under a legal hold are skipped whole.
// A run that stops half way is finished by the next one: an item whose bytes
// are already gone still gets its tombstone. Runs at once, on one server or
// several and from commands, write one tombstone per item between them: an
// item found tombstoned by another run is skipped, and not counted.
func (v *Vault) Retain(ctx context.Context, st store.Store, r Retention, now time.Time) (RetainResult, error) {
	var res RetainResult
	var after int64
	for {
		var cases []*safeguard.Case
		err := viewTx(ctx, st, func(tx Tx) (err error) {
			cases, err = tx.Cases(ctx, store.CaseQuery{ByID: true, AfterID: after, Limit: 200})
			return
		})
		if err != nil {
			return res, err
		}
		for _, c := range cases {
			after = c.ID
			res.Cases++
			if c.LegalHold {
				res.Held++
				continue
			}
			n, err := v.retainCase(ctx, st, r, c, now)
			res.Deleted += n
			if err != nil {
				return res, fmt.Errorf("retention of case %d: %w", c.ID, err)
			}
		}
		if len(cases) < 200 {
			return res, nil
		}
	}
}

func (v *Vault) retainCase(ctx context.Context, st store.Store, r Retention, c *safeguard.Case, now time.Time) (int, error) {
	var entries []safeguard.EvidenceEntry
	if err := viewTx(ctx, st, func(tx Tx) (err error) { entries, err = tx.CaseEvidence(ctx, c.ID); return }); err != nil {
		return 0, err
	}
	gone := map[int64]bool{}
	for _, e := range entries {
		if e.Kind == safeguard.EvidenceTombstone {
			gone[e.Target] = true
		}
	}
	n := 0
	for i := range entries {
		e := &entries[i]
		if e.Kind != safeguard.EvidenceItem || gone[e.Seq] {
			continue
		}
		due, ok := r.Due(c, e.Class)
		if !ok || now.Before(due) {
			continue
		}
		if err := v.items.Delete(ctx, e.StorageKey); err != nil {
			return n, err
		}
		reason := fmt.Sprintf("retention: %s period ended %s", e.Class, due.UTC().Format(time.RFC3339))
		// Another run (a server's, a command's) may have written the
		// tombstone since entries were read: tombstone looks again, in
		// turn with every other writer of the log, and skips the item.
		err := updateTx(ctx, st, func(tx Tx) error {
			_, err := v.tombstone(ctx, tx, e, reason)
			return err
		})
		if errors.Is(err, errTombstoned) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
