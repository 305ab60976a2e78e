// Package cases turns what the safety checks and people find into cases a
// moderator can act on: user reports, the review queue ordered by priority,
// claims and decisions with a timeline, appeals, the minor-as-sender path,
// suspension by operator policy, on-call alerts, the evidence each case
// preserves (through internal/evidence) and the law-enforcement reports it
// files (through internal/lawreport).
//
// Detections arrive through the outbox: each detection.created event is
// queued for the cases service in the transaction that writes it. Process
// claims queued detections in batches, opens or extends the case of that
// content from that sender, preserves the evidence and takes the detection
// out of the queue, in one transaction for many detections; servers sharing
// a database claim different ones. See docs/cases.md.
package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of Config.
const (
	DefaultServiceName   = "Safeguard"
	DefaultReportWindow  = 24 * time.Hour      // a second report of the same target within it is the same report
	DefaultContextWindow = 14 * 24 * time.Hour // the conversation preserved before a detection
	DefaultContextCap    = 500                 // at most this many messages of it
	DefaultAppealWindow  = 30 * 24 * time.Hour
	// DefaultWorkers is how many detections Process reads and stages at
	// once.
	DefaultWorkers = 32
	// Consumer is the name of the cases service's event queue.
	Consumer = store.QueueCases
)

// Config configures the Service.
type Config struct {
	ServiceName string
	// TestReports marks every law-enforcement report as a test (tests and
	// the demo).
	TestReports bool
	// ManualSubmission says that no reporting is configured: the Submitter
	// (a file export) writes each report package for a person to submit
	// by hand, and the case awaits their word that it is submitted
	// (MarkSubmitted) instead of counting as reported.
	ManualSubmission bool
	// PrepareDir, if set, receives the report package of a priority 1 case
	// as soon as the case opens, before any decision.
	PrepareDir string
	// HoldOnMatch records in the case that an adult who sent a known image
	// is held silently until a moderator decides (operator policy; the
	// messaging service does the holding). Nothing the sender can observe
	// changes. A minor is never held or suspended automatically.
	HoldOnMatch   bool
	ReportWindow  time.Duration
	ContextWindow time.Duration
	ContextCap    int
	AppealWindow  time.Duration
	// Workers is how many detections Process reads and stages at once.
	Workers int
	// Node is this server's name, recorded with each occurrence Process
	// records: in a cluster, which server handled each detection.
	Node string
	// DeclarationRole and DeclarationStatement go into each report's
	// declaration, made by the moderator who decided to report.
	DeclarationRole      string
	DeclarationStatement string
}

func (c *Config) setDefaults() {
	if c.ServiceName == "" {
		c.ServiceName = DefaultServiceName
	}
	if c.ReportWindow <= 0 {
		c.ReportWindow = DefaultReportWindow
	}
	if c.ContextWindow <= 0 {
		c.ContextWindow = DefaultContextWindow
	}
	if c.ContextCap <= 0 {
		c.ContextCap = DefaultContextCap
	}
	if c.AppealWindow <= 0 {
		c.AppealWindow = DefaultAppealWindow
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.DeclarationRole == "" {
		c.DeclarationRole = "Trust and safety moderator"
	}
	if c.DeclarationStatement == "" {
		c.DeclarationStatement = "The information in this report is true to the best of the service's knowledge."
	}
}

// Lookup says whether viewerID may see the account with handle, as the
// messaging service answers it: a minor is invisible to a stranger adult.
// *messaging.Service implements it.
type Lookup interface {
	Lookup(ctx context.Context, viewerID int64, handle string) (*safeguard.Account, bool, error)
}

// Deps are what the Service works with. Alerter, Notify, Lookup, Now and Log
// are optional.
type Deps struct {
	Store     store.Store
	Media     media.Store // the messages' media, to preserve image bytes
	Vault     *evidence.Vault
	Builder   *lawreport.Builder
	Submitter lawreport.Submitter
	// Prepare, if set, receives the report package of a priority 1 case
	// as soon as the case opens, in place of Config.PrepareDir (a cluster
	// prepares into the files its servers share).
	Prepare lawreport.Submitter
	Alerter Alerter
	Notify  messaging.Notifier
	Lookup  Lookup
	Now     func() time.Time
	Log     *slog.Logger
}

// Service is the cases use case. Create it with New.
type Service struct {
	cfg Config
	Deps
}

// New returns a Service.
func New(cfg Config, d Deps) (*Service, error) {
	cfg.setDefaults()
	if d.Store == nil || d.Vault == nil || d.Builder == nil || d.Submitter == nil {
		return nil, errors.New("cases: store, vault, builder and submitter are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, Deps: d}, nil
}

func (s *Service) clock() time.Time { return s.Now().UTC() }

// Run processes the queued detections every interval until ctx ends. Errors are logged
// and retried at the next tick.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Process(ctx); err != nil && ctx.Err() == nil {
			s.Log.ErrorContext(ctx, "cases: process outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// event appends a timeline entry.
func event(ctx context.Context, tx Tx, c *safeguard.Case, at time.Time, actor, action string, from safeguard.CaseStatus, reason string, detail []byte) error {
	return tx.AddCaseEvent(ctx, &safeguard.CaseEvent{CaseID: c.ID, At: at, Actor: actor, Action: action,
		From: from, To: c.Status, Reason: reason, Detail: detail})
}

// notFound is the one answer for a case that does not exist.
func notFound(id int64) error { return fmt.Errorf("case %d: %w", id, safeguard.NotFound) }

type timeT = time.Time

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
