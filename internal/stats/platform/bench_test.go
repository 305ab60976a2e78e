package platform

import (
	"fmt"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/police"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// seedMany writes n cases of July 2026 straight through the store: each a
// detection from an adult to a teen of one of the first areas police force
// areas, in one of two apps, from one of four sources, a tenth of them
// reported.
func seedMany(b *testing.B, st store.Store, areas, n int) {
	b.Helper()
	ctx := b.Context()
	forces := police.Forces()[:areas]
	sources := []safeguard.DetectionSource{safeguard.HashMatch, safeguard.URLMatch, safeguard.RiskRule, safeguard.UserReport}
	at := time.Date(2026, 7, 2, 10, 0, 0, 0, time.UTC)
	err := st.Update(ctx, func(tx store.Tx) error {
		var teens []*safeguard.Account
		for i, f := range forces {
			a := &safeguard.Account{Handle: fmt.Sprintf("teen%d", i), BirthDate: safeguard.Date{Year: 2011, Month: 3, Day: 1},
				Assurance: safeguard.SelfDeclared, Status: safeguard.Active, App: "chat", PoliceForce: f.Code, CreatedAt: at}
			if err := tx.CreateAccount(ctx, a, "x"); err != nil {
				return err
			}
			teens = append(teens, a)
		}
		adult := &safeguard.Account{Handle: "adult", BirthDate: safeguard.Date{Year: 1980, Month: 3, Day: 1}, Assurance: safeguard.SelfDeclared,
			Status: safeguard.Active, App: "chat", CreatedAt: at}
		if err := tx.CreateAccount(ctx, adult, "x"); err != nil {
			return err
		}
		var convs []*safeguard.Conversation
		for i, t := range teens {
			c := &safeguard.Conversation{Kind: safeguard.Direct, App: []string{"chat", "kids"}[i%2], CreatedBy: adult.ID, CreatedAt: at,
				Members: []safeguard.Member{{AccountID: adult.ID, State: safeguard.MemberJoined}, {AccountID: t.ID, State: safeguard.MemberJoined}}}
			if err := tx.CreateConversation(ctx, c); err != nil {
				return err
			}
			convs = append(convs, c)
		}
		for i := range n {
			k := i % len(teens)
			src := sources[i%len(sources)]
			when := at.Add(time.Duration(i) * time.Minute)
			c := &safeguard.Case{SenderID: adult.ID, ContentKey: fmt.Sprintf("k%d", i), Source: src, Status: safeguard.CaseOpen,
				Priority: 1 + i%3, CreatedAt: when, UpdatedAt: when}
			if i%10 == 0 {
				c.Status, c.Decision, c.DecidedAt, c.ReportedAt = safeguard.CaseReported, safeguard.ReportLE, when.Add(time.Hour), when.Add(time.Hour)
			}
			if err := tx.CreateCase(ctx, c); err != nil {
				return err
			}
			d := &safeguard.Detection{Source: src, At: when, ConversationID: convs[k].ID, SenderID: adult.ID, ContentKey: c.ContentKey,
				RecipientIDs: []int64{teens[k].ID}, Members: []safeguard.MemberFacts{
					{AccountID: adult.ID, Band: safeguard.Adult, Assurance: safeguard.SelfDeclared},
					{AccountID: teens[k].ID, Band: safeguard.Teen, Assurance: safeguard.SelfDeclared}}}
			if err := tx.CreateDetection(ctx, d); err != nil {
				return err
			}
			if err := tx.AddOccurrence(ctx, &safeguard.Occurrence{CaseID: c.ID, DetectionID: d.ID, Source: src, At: when,
				ConversationID: d.ConversationID, RecipientIDs: d.RecipientIDs}); err != nil {
				return err
			}
			if i%10 == 0 {
				if err := tx.AddCaseReport(ctx, &safeguard.CaseReport{CaseID: c.ID, Reference: fmt.Sprintf("SG-B-%d", i), Destination: "file-export",
					Priority: c.Priority, Test: true, SubmittedAt: c.ReportedAt}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkServicePlatform reads a month of cases from SQLite and makes
// every published table of it, suppressed together: what one API call or
// command does. Dense: 2,000 cases in 20 police force areas; sparse: 150
// in every area, with many small counts to protect.
func BenchmarkServicePlatform(b *testing.B) {
	for _, bc := range []struct {
		name     string
		areas, n int
	}{{"dense", 20, 2000}, {"sparse", len(police.Forces()), 150}} {
		b.Run(bc.name, func(b *testing.B) {
			st := openStore(b)
			seedMany(b, st, bc.areas, bc.n)
			svc := newService(b, Config{Mode: policy.NSPCC, Apps: []string{"chat", "kids"}}, Deps{Store: st, Now: func() time.Time { return countedAt }})
			july, _ := ParsePeriod("2026-07")
			b.ResetTimer()
			for b.Loop() {
				t, err := svc.Platform(b.Context(), july, ByApp, CountCases, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if t.Computed[0].State == stats.Count && t.Computed[0].N != int64(bc.n) {
					b.Fatalf("total %v", t.Computed[0])
				}
			}
		})
	}
}
