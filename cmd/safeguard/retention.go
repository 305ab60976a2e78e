package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// retentionPeriods is how long the evidence vault keeps what it preserved,
// and a deleted account what deletion kept, as --content-retention and
// --reference-retention set them: serve, the demo, "evidence retain" and
// "account delete" (which states them) read the same settings, so that a
// command deletes nothing a server would keep.
type retentionPeriods struct {
	content, reference time.Duration
}

// bindRetentionFlags defines --content-retention and --reference-retention.
func bindRetentionFlags(fs *flag.FlagSet, r *retentionPeriods) {
	fs.DurationVar(&r.content, "content-retention", evidence.ContentPeriod,
		"how long evidence content and related data are kept, from the law-enforcement report or the decision (and what a deleted account kept, from its deletion); "+
			"at least the one year S.I. 2026/268 asks for, unless every report is TEST")
	fs.DurationVar(&r.reference, "reference-retention", evidence.ReferencePeriod,
		"how long the references of law-enforcement reports are kept, from the report; at least the five years S.I. 2026/268 asks for, unless every report is TEST")
}

// testReportsRetention is --test-reports as the commands that delete by
// the retention periods take it: the servers' setting, so that a test
// cluster's short periods hold for the command too.
const testReportsRetention = "every report is TEST, as the servers' --test-reports: a period shorter than the law's is then allowed, to rehearse retention (never on a database holding a report that is not TEST)"

// check refuses a period that is not positive, and one shorter than the
// law asks (evidence.ContentPeriod, evidence.ReferencePeriod) unless test
// says every report is TEST: a test server may keep its evidence for
// minutes, to rehearse retention.
func (r retentionPeriods) check(test bool) error {
	for _, p := range []struct {
		flag      string
		got, want time.Duration
		law       string
	}{
		{"--content-retention", r.content, evidence.ContentPeriod, "one year"},
		{"--reference-retention", r.reference, evidence.ReferencePeriod, "five years"},
	} {
		if p.got <= 0 {
			return fmt.Errorf("%s %s: want a period longer than zero", p.flag, p.got)
		}
		if p.got < p.want && !test {
			return fmt.Errorf("%s %s: shorter than the %s S.I. 2026/268 asks for (%s); a shorter period is for a test server, whose reports are all TEST (--test-reports)",
				p.flag, p.got, p.law, p.want)
		}
	}
	return nil
}

// short reports whether a period is shorter than the law asks.
func (r retentionPeriods) short() bool {
	return r.content < evidence.ContentPeriod || r.reference < evidence.ReferencePeriod
}

// checkStore refuses a period shorter than the law asks on a database that
// holds a report that is not TEST, whatever the server or the command was
// told of its reports: a test server pointed at a database with real
// reports, or a command given a test data directory, keeps their evidence
// as the law asks. The servers' retention checks it again at each pass.
func (r retentionPeriods) checkStore(ctx context.Context, st store.Store) error {
	if !r.short() {
		return nil
	}
	var n int
	if err := st.View(ctx, func(tx store.Tx) (err error) { n, err = tx.RealReports(ctx); return }); err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("--content-retention %s, --reference-retention %s: shorter than S.I. 2026/268 asks for (%s, %s), "+
			"and this database holds %d law-enforcement reports that are not TEST: its evidence is kept as the law asks",
			r.content, r.reference, evidence.ContentPeriod, evidence.ReferencePeriod, n)
	}
	return nil
}

// evidenceRetention is the periods as the evidence vault's retention takes
// them.
func (r retentionPeriods) evidenceRetention() evidence.Retention {
	return evidence.Retention{Content: r.content, Reference: r.reference}
}

// messagingRetention is the periods as account deletion states and
// applies them, with the audit log's.
func (r retentionPeriods) messagingRetention(audit time.Duration) messaging.Retention {
	return messaging.Retention{Content: r.content, Reference: r.reference, Audit: audit}
}
