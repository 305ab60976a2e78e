package ncmec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
)

// retractTimeout bounds the retraction that follows a failure, which runs
// even when the caller's context is already cancelled.
const retractTimeout = 30 * time.Second

// Submitter files packages with NCMEC: submit, upload and describe each
// file, finish. It is a lawreport.Submitter.
//
// Idempotence: the report id NCMEC gives is saved in Store before anything
// else is sent. A failure after that retracts the report; a retry that finds
// a report still open (the process died, or the retraction failed) first
// asks NCMEC to retract it: success or "no such report" means nothing was
// filed and the package is filed afresh; "already finished" means the
// earlier attempt did file it, and its receipt is returned. So a reference
// is finished at most once. A crash between NCMEC's answer to /submit and
// the save leaves an unfinished report, which NCMEC deletes by itself
// (24 hours after opening, or 1 hour after its last change): never filed.
//
// Calls for one reference are serialised within a Submitter; several
// processes filing the same reference need a Store that serialises them.
type Submitter struct {
	Client *Client
	Store  StateStore
	Now    func() time.Time // time.Now if nil
	Logger *slog.Logger     // nil: no logging

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (s *Submitter) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Submitter) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Submitter) lock(ref string) func() {
	s.mu.Lock()
	if s.locks == nil {
		s.locks = map[string]*sync.Mutex{}
	}
	l, ok := s.locks[ref]
	if !ok {
		l = &sync.Mutex{}
		s.locks[ref] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// Submit files pkg's CyberTipline report and its files. A package already
// reported to NCMEC as a whole (pkg.NCMECPrior) is not filed again: its
// earlier reference comes back as an Existing receipt. A test package is
// refused for the production API.
func (s *Submitter) Submit(ctx context.Context, pkg *lawreport.Package) (lawreport.Receipt, error) {
	if err := lawreport.CheckPackage(pkg); err != nil {
		return lawreport.Receipt{}, err
	}
	if pkg.NCMEC == nil {
		if pkg.NCMECPrior != "" {
			return lawreport.Receipt{Reference: pkg.Reference, Destination: "ncmec", ID: pkg.NCMECPrior, Test: pkg.Test, Existing: true}, nil
		}
		return lawreport.Receipt{}, safeguard.Invalid("invalid_package", "The package has no NCMEC report.")
	}
	if pkg.Draft || pkg.Manual {
		return lawreport.Receipt{}, safeguard.Invalid("not_for_filing",
			"This package is a draft or has no reporting person: it cannot be filed with NCMEC.")
	}
	if pkg.Test && strings.TrimSuffix(s.Client.BaseURL, "/") == ProductionURL {
		return lawreport.Receipt{}, safeguard.Invalid("test_to_production", "A test report cannot be sent to NCMEC's production service.")
	}
	defer s.lock(pkg.Reference)()

	st, ok, err := s.Store.Load(ctx, pkg.Reference)
	if err != nil {
		return lawreport.Receipt{}, fmt.Errorf("ncmec %s: load state: %w", pkg.Reference, err)
	}
	if ok && st.Phase == Finished {
		return receipt(pkg, st, true), nil
	}
	if ok && st.Phase == Open {
		finished, err := s.resolve(ctx, &st)
		if err != nil {
			return lawreport.Receipt{}, err
		}
		if finished {
			return receipt(pkg, st, true), nil
		}
	}
	return s.file(ctx, pkg)
}

// resolve settles a report left open by an earlier attempt, by retracting
// it. It reports whether that report turns out to be finished already.
func (s *Submitter) resolve(ctx context.Context, st *State) (finished bool, err error) {
	err = s.Client.Retract(ctx, st.ReportID)
	var re *ResponseError
	switch {
	case err == nil, errors.As(err, &re) && re.Code == CodeReportNotFound:
		st.Phase = Retracted
		s.log().Warn("ncmec: report retracted", "reference", st.Reference, "report_id", st.ReportID)
	case errors.As(err, &re) && re.Code == CodeReportFinished:
		st.Phase, st.FinishedAt = Finished, s.now()
		s.log().Info("ncmec: report left open was already finished", "reference", st.Reference, "report_id", st.ReportID)
	default:
		return false, fmt.Errorf("ncmec %s: resolve open report %d: %w", st.Reference, st.ReportID, err)
	}
	st.UpdatedAt = s.now()
	if err := s.Store.Save(ctx, *st); err != nil {
		return false, fmt.Errorf("ncmec %s: save state: %w", st.Reference, err)
	}
	return st.Phase == Finished, nil
}

// file runs the whole flow for a fresh report.
func (s *Submitter) file(ctx context.Context, pkg *lawreport.Package) (lawreport.Receipt, error) {
	id, err := s.Client.Submit(ctx, pkg.NCMEC)
	if err != nil {
		return lawreport.Receipt{}, fmt.Errorf("ncmec %s: %w", pkg.Reference, err)
	}
	now := s.now()
	st := State{Reference: pkg.Reference, ReportID: id, Phase: Open, Test: pkg.Test, OpenedAt: now, UpdatedAt: now,
		FileIDs: map[int]string{}, Described: map[int]bool{}}
	if err := s.Store.Save(ctx, st); err != nil {
		return lawreport.Receipt{}, s.abandon(ctx, &st, fmt.Errorf("save state: %w", err))
	}
	for i := range pkg.Files {
		f := &pkg.Files[i]
		if !f.ForNCMEC {
			continue
		}
		if err := s.upload(ctx, &st, f); err != nil {
			return lawreport.Receipt{}, s.abandon(ctx, &st, err)
		}
	}
	if _, err := s.Client.Finish(ctx, st.ReportID); err != nil {
		// The answer may be lost after NCMEC finished the report: abandon
		// asks, by retracting, and learns which.
		err = s.abandon(ctx, &st, err)
		if st.Phase != Finished {
			return lawreport.Receipt{}, err
		}
	}
	st.Phase, st.FinishedAt, st.UpdatedAt = Finished, s.now(), s.now()
	if err := s.Store.Save(ctx, st); err != nil {
		// Filed, but not remembered: a retry retracts, hears "already
		// finished" and records it then.
		return lawreport.Receipt{}, fmt.Errorf("ncmec %s: report %d finished, state not saved: %w", pkg.Reference, st.ReportID, err)
	}
	s.log().Info("ncmec: report filed", "reference", pkg.Reference, "report_id", st.ReportID,
		"files", len(st.FileIDs), "priority", pkg.Priority.Level, "test", pkg.Test)
	return receipt(pkg, st, false), nil
}

func (s *Submitter) upload(ctx context.Context, st *State, f *lawreport.File) error {
	r, err := f.Open()
	if err != nil {
		return fmt.Errorf("open content %d: %w", f.Index, err)
	}
	fileID, _, err := s.Client.Upload(ctx, st.ReportID, path.Base(f.Name), r)
	r.Close()
	if err != nil {
		return fmt.Errorf("upload content %d: %w", f.Index, err)
	}
	st.FileIDs[f.Index], st.UpdatedAt = fileID, s.now()
	if err := s.Store.Save(ctx, *st); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	details, err := f.NCMECFileDetails(st.ReportID, fileID)
	if err != nil {
		return fmt.Errorf("file details of content %d: %w", f.Index, err)
	}
	if err := s.Client.FileInfo(ctx, details); err != nil {
		return fmt.Errorf("describe content %d: %w", f.Index, err)
	}
	st.Described[f.Index], st.UpdatedAt = true, s.now()
	if err := s.Store.Save(ctx, *st); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// abandon retracts the open report after cause and records the outcome. If
// NCMEC answers that the report is already finished, st becomes Finished
// and cause is returned only for the caller to drop. A failed retraction
// leaves st Open, for the next attempt to resolve.
func (s *Submitter) abandon(ctx context.Context, st *State, cause error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), retractTimeout)
	defer cancel()
	finished, err := s.resolve(rctx, st)
	switch {
	case err != nil:
		return fmt.Errorf("ncmec %s: %w (and the report is still open: %w)", st.Reference, cause, err)
	case finished:
		return nil
	}
	return fmt.Errorf("ncmec %s: report %d retracted: %w", st.Reference, st.ReportID, cause)
}

func receipt(pkg *lawreport.Package, st State, existing bool) lawreport.Receipt {
	r := lawreport.Receipt{
		Reference:   pkg.Reference,
		Destination: "ncmec",
		ID:          strconv.FormatInt(st.ReportID, 10),
		SubmittedAt: st.FinishedAt,
		Test:        st.Test,
		Existing:    existing,
	}
	for i := range pkg.Files {
		if id, ok := st.FileIDs[pkg.Files[i].Index]; ok {
			r.Files = append(r.Files, id)
		}
	}
	return r
}
