package platform

import (
	"context"
	"errors"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/police"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// casePage is how many cases Gather reads at a time.
const casePage = 1000

// Gather reads, in one read-only transaction (one consistent snapshot), the
// facts of every case with something in the period: opened, first taken up
// by a moderator, decided or reported in it, or with an appeal received or
// decided in it. Cases opened after the period are skipped unread.
func Gather(ctx context.Context, st store.Store, p Period) ([]Case, error) {
	var out []Case
	err := viewTx(ctx, st, func(tx Tx) error {
		out = nil
		g := &gatherer{tx: tx, accounts: map[int64]*safeguard.Account{}, apps: map[int64]string{}}
		var after int64
		for {
			cs, err := tx.Cases(ctx, store.CaseQuery{ByID: true, AfterID: after, Limit: casePage})
			if err != nil {
				return err
			}
			for _, c := range cs {
				after = c.ID
				if !c.CreatedAt.Before(p.To) {
					continue
				}
				f, ok, err := g.gather(ctx, c, p)
				if err != nil {
					return fmt.Errorf("case %d: %w", c.ID, err)
				}
				if ok {
					out = append(out, f)
				}
			}
			if len(cs) < casePage {
				return nil
			}
		}
	})
	return out, err
}

// gatherer reads cases in one transaction, keeping the accounts and
// conversations it has read.
type gatherer struct {
	tx       Tx
	accounts map[int64]*safeguard.Account
	apps     map[int64]string // conversation → app
}

// gather reads one case's facts, and reports whether anything of it falls
// in the period.
func (g *gatherer) gather(ctx context.Context, c *safeguard.Case, p Period) (Case, bool, error) {
	f := Case{ID: c.ID, Opened: c.CreatedAt, Source: c.Source, Priority: c.Priority, MinorSender: c.MinorSender,
		Status: c.Status, Decision: c.Decision, DecidedAt: c.DecidedAt, ReportedAt: c.ReportedAt}
	events, err := g.tx.CaseEvents(ctx, c.ID)
	if err != nil {
		return f, false, err
	}
	for _, e := range events {
		if e.Action == "claimed" || e.Action == "decided" {
			f.FirstReview = e.At
			break
		}
	}
	appeals, err := g.tx.Appeals(ctx, store.AppealQuery{CaseID: c.ID, Limit: 1000})
	if err != nil {
		return f, false, err
	}
	inPeriod := p.Contains(f.Opened) || p.Contains(f.FirstReview) || p.Contains(f.DecidedAt) || p.Contains(f.ReportedAt)
	for _, a := range appeals {
		f.Appeals = append(f.Appeals, Appeal{Kind: a.Kind, Status: a.Status, CreatedAt: a.CreatedAt, DecidedAt: a.DecidedAt})
		inPeriod = inPeriod || p.Contains(a.CreatedAt) || p.Contains(a.DecidedAt)
	}
	if !inPeriod {
		return f, false, nil
	}

	reports, err := g.tx.CaseReports(ctx, c.ID)
	if err != nil {
		return f, false, err
	}
	for _, r := range reports {
		f.Reports = append(f.Reports, Report{Reference: r.Reference, FollowUp: r.FollowUpOf != "", Destination: r.Destination,
			Priority: r.Priority, Test: r.Test, SubmittedAt: r.SubmittedAt})
	}
	occ, err := g.tx.Occurrences(ctx, c.ID)
	if err != nil {
		return f, false, err
	}
	ids := []int64{c.SenderID}
	var dets []*safeguard.Detection
	for _, o := range occ {
		d, err := g.tx.Detection(ctx, o.DetectionID)
		if err != nil {
			return f, false, fmt.Errorf("detection %d: %w", o.DetectionID, err)
		}
		dets = append(dets, d)
		ids = append(ids, d.RecipientIDs...)
		if f.Detected.IsZero() || d.At.Before(f.Detected) {
			f.Detected = d.At
		}
		f.Detections = append(f.Detections, Detection{Source: d.Source, At: d.At, ConversationID: d.ConversationID,
			SenderID: d.SenderID, ConversationE2EE: d.ConversationE2EE, Members: d.Members})
	}
	if f.Detected.IsZero() {
		f.Detected = f.Opened
	}
	if err := g.loadAccounts(ctx, ids); err != nil {
		return f, false, err
	}
	f.Area, f.AreaOf = g.area(c, dets)
	if f.App, err = g.app(ctx, c, dets); err != nil {
		return f, false, err
	}
	return f, true, nil
}

func (g *gatherer) loadAccounts(ctx context.Context, ids []int64) error {
	var missing []int64
	for _, id := range ids {
		if _, ok := g.accounts[id]; !ok && id != 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	got, err := g.tx.AccountsByID(ctx, missing)
	if err != nil {
		return err
	}
	for _, id := range missing {
		g.accounts[id] = got[id] // nil for an account that no longer exists
	}
	return nil
}

// area places a case: in the police force area of the first child among
// its detections' recipients (a minor at detection time, by the band the
// detection recorded, else by the account's date of birth), or of a minor
// sender; with no child, in the reported user's.
func (g *gatherer) area(c *safeguard.Case, dets []*safeguard.Detection) (Area, AreaOf) {
	for _, d := range dets {
		for _, id := range d.RecipientIDs {
			if id == c.SenderID {
				continue
			}
			if minorAt(d, id, g.accounts[id]) {
				return areaOf(g.accounts[id]), AreaOfChild
			}
		}
	}
	sender := g.accounts[c.SenderID]
	switch {
	case sender == nil:
		return Area{}, AreaOfNobody
	case c.MinorSender:
		return areaOf(sender), AreaOfChild
	}
	return areaOf(sender), AreaOfReportedUser
}

// minorAt reports whether account id was a minor when d was made.
func minorAt(d *safeguard.Detection, id int64, a *safeguard.Account) bool {
	for _, m := range d.Members {
		if m.AccountID == id {
			return m.Band.Minor()
		}
	}
	return a != nil && a.Band(d.At).Minor()
}

func areaOf(a *safeguard.Account) Area {
	if a == nil || a.PoliceForce == "" {
		return Area{}
	}
	f, ok := police.ByCode(a.PoliceForce)
	if !ok {
		return Area{Code: a.PoliceForce, Name: a.PoliceForce}
	}
	name := f.Area
	if name == "" {
		name = f.Name
	}
	return Area{Code: f.Code, Name: name}
}

// app returns the app of the first conversation among the case's detections,
// or for a report of an account the reporter's app, or the sender's.
func (g *gatherer) app(ctx context.Context, c *safeguard.Case, dets []*safeguard.Detection) (string, error) {
	for _, d := range dets {
		if d.ConversationID == 0 {
			continue
		}
		app, ok := g.apps[d.ConversationID]
		if !ok {
			conv, err := g.tx.Conversation(ctx, d.ConversationID)
			if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
				return "", err
			}
			if conv != nil {
				app = conv.App
			}
			g.apps[d.ConversationID] = app
		}
		if app != "" {
			return app, nil
		}
	}
	for _, d := range dets {
		for _, id := range d.RecipientIDs {
			if a := g.accounts[id]; a != nil && a.App != "" {
				return a.App, nil
			}
		}
	}
	if a := g.accounts[c.SenderID]; a != nil && a.App != "" {
		return a.App, nil
	}
	return NotRecorded, nil
}
