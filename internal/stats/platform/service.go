package platform

import (
	"context"
	"errors"
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Service answers the platform's statistics from the store. Every output of
// a period is built from one reading of the store, and every published
// table of the period — the platform tables split every way, the policy
// impact, the transparency report and a comparison — is suppressed
// together, so a figure hidden in one is hidden wherever it appears.
//
// Create it with New.
type Service struct {
	cfg   Config
	store store.Store
	banks Banks
	clock func() time.Time
}

// Config says what the platform is: its encryption policy, its apps and its
// name.
type Config struct {
	Mode        policy.Mode // the encryption policy in force
	Apps        []string    // the apps the service runs
	ServiceName string
}

// Deps are what the Service is built on. Banks and Now are optional.
type Deps struct {
	Store store.Store
	Banks Banks            // nil: no hash banks configured
	Now   func() time.Time // time.Now if nil
}

// New returns a Service over d.Store.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("platform: a store is required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{cfg: cfg, store: d.Store, banks: d.Banks, clock: d.Now}, nil
}

// Options choose between the published form and the operators' one.
type Options struct {
	// Unsuppressed shows small counts, for operators only: every format
	// is marked INTERNAL.
	Unsuppressed bool
}

// published bundles what the service publishes about a period.
type published struct {
	platform     map[[2]string]*stats.Table // {count, by} → table
	impact       *Impact
	transparency *Transparency
	compare      *stats.Table
}

func (s *Service) now() time.Time { return s.clock().UTC() }

// build reads the period's cases once and makes every output, suppressed
// together unless opt.Unsuppressed.
func (s *Service) build(ctx context.Context, p Period, opt Options, returns *stats.Dataset) (*published, error) {
	cases, err := Gather(ctx, s.store, p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &published{platform: map[[2]string]*stats.Table{}}
	var all []*stats.Table
	for _, count := range []Count{CountCases, CountReports} {
		for _, by := range []By{ByForce, ByApp, BySource, ByPriority} {
			t := stats.NewTable(Table(cases, Query{Period: p, By: by, Count: count, Apps: s.cfg.Apps, Now: now}))
			out.platform[[2]string{string(count), string(by)}] = t
			all = append(all, t)
		}
	}
	mode := s.cfg.Mode
	if mode == "" {
		mode = policy.NSPCC
	}
	out.impact = ComputeImpact(cases, p, now, RunningPolicy(mode), EveryonePolicy())
	all = append(all, out.impact.tables()...)
	in := TransparencyInput{Service: s.cfg.ServiceName, Period: p, Now: now, Encryption: mode}
	if s.banks != nil {
		in.BanksConfigured = true
		if in.Banks, err = s.banks.Banks(ctx); err != nil {
			return nil, fmt.Errorf("hash banks: %w", err)
		}
	}
	out.transparency = transparencyTables(cases, in)
	all = append(all, out.transparency.tables()...)
	if returns != nil {
		d, err := Compare(cases, p, returns, now)
		if err != nil {
			return nil, err
		}
		out.compare = stats.NewTable(d)
		all = append(all, out.compare)
	}

	if opt.Unsuppressed {
		for _, t := range all {
			t.Internal = true
		}
		out.impact.Internal, out.transparency.Internal = true, true
		return out, nil
	}
	stats.SuppressTogether(stats.SuppressBelow, all...)
	out.impact.refresh(stats.SuppressBelow)
	// The impact's count of reported cases is the same figure as the
	// platform table's.
	out.impact.Reported = out.platform[[2]string{string(CountCases), string(ByForce)}].Computed[1]
	out.transparency.SuppressedBelow = stats.SuppressBelow
	out.transparency.suppressTimings(stats.SuppressBelow)
	return out, nil
}

// Platform returns the platform's table of a period: what count counts, by
// police force area and by.
func (s *Service) Platform(ctx context.Context, p Period, by By, count Count, opt Options) (*stats.Table, error) {
	if by == "" {
		by = ByForce
	}
	if count == "" {
		count = CountCases
	}
	out, err := s.build(ctx, p, opt, nil)
	if err != nil {
		return nil, err
	}
	t, ok := out.platform[[2]string{string(count), string(by)}]
	if !ok {
		return nil, safeguard.Invalid("stats_by", "no table of %s by %s", count, by)
	}
	return t, nil
}

// Impact returns the policy impact of a period.
func (s *Service) Impact(ctx context.Context, p Period, opt Options) (*Impact, error) {
	out, err := s.build(ctx, p, opt, nil)
	if err != nil {
		return nil, err
	}
	return out.impact, nil
}

// Transparency returns the transparency report of a period.
func (s *Service) Transparency(ctx context.Context, p Period, opt Options) (*Transparency, error) {
	out, err := s.build(ctx, p, opt, nil)
	if err != nil {
		return nil, err
	}
	return out.transparency, nil
}

// Compare returns the platform's figures of a period beside the stored
// police return named returns.
func (s *Service) Compare(ctx context.Context, p Period, returns string, opt Options) (*stats.Table, error) {
	var d *stats.Dataset
	err := viewTx(ctx, s.store, func(tx Tx) (err error) { d, err = tx.Dataset(ctx, returns); return })
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, safeguard.Errorf(safeguard.ErrNotFound, "dataset_not_found", "No dataset named %q is stored.", returns)
	}
	if err != nil {
		return nil, err
	}
	out, err := s.build(ctx, p, opt, d)
	if err != nil {
		return nil, err
	}
	return out.compare, nil
}
