package platform

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "stats.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// world is what seedStore wrote.
type world struct {
	teen, adult, other, reporter *safeguard.Account
	kidsConv, chatConv           *safeguard.Conversation
	cases                        []*safeguard.Case
}

// seedStore writes, straight through the store, three cases of July 2026:
//
//  1. a known image sent by an adult (Cambridgeshire) to a teen
//     (Bedfordshire) in the "kids" app, claimed, reported to the NCA with a
//     follow-up, then a user report of the same content from the teen;
//  2. a user report by an adult without a local authority of an account
//     (no conversation), decided "warn" and appealed;
//  3. a risk alert between two adults in "chat" (no child: the reported
//     user's area), opened in June, decided in July.
func seedStore(t *testing.T, st store.Store) *world {
	ctx := t.Context()
	w := &world{}
	day := func(d int, h int) time.Time { return time.Date(2026, 7, d, h, 0, 0, 0, time.UTC) }
	acct := func(handle string, birth safeguard.Date, force, app string) *safeguard.Account {
		return &safeguard.Account{Handle: handle, BirthDate: birth, Assurance: safeguard.SelfDeclared, Status: safeguard.Active,
			App: app, PoliceForce: force, CreatedAt: day(1, 0).AddDate(0, -2, 0)}
	}
	w.teen = acct("teen", safeguard.Date{Year: 2011, Month: 3, Day: 1}, "E23000026", "kids")
	w.adult = acct("adult", safeguard.Date{Year: 1980, Month: 3, Day: 1}, "E23000023", "kids")
	w.other = acct("other", safeguard.Date{Year: 1985, Month: 3, Day: 1}, "E23000023", "chat")
	w.reporter = acct("reporter", safeguard.Date{Year: 1990, Month: 3, Day: 1}, "", "chat")
	facts := func(as ...*safeguard.Account) []safeguard.MemberFacts {
		var out []safeguard.MemberFacts
		for _, a := range as {
			out = append(out, safeguard.MemberFacts{AccountID: a.ID, Band: a.Band(day(1, 0)), Assurance: a.Assurance})
		}
		return out
	}
	err := st.Update(ctx, func(tx store.Tx) error {
		for _, a := range []*safeguard.Account{w.teen, w.adult, w.other, w.reporter} {
			if err := tx.CreateAccount(ctx, a, "x"); err != nil {
				return err
			}
		}
		w.kidsConv = &safeguard.Conversation{Kind: safeguard.Direct, App: "kids", CreatedBy: w.adult.ID, CreatedAt: day(1, 0),
			Members: []safeguard.Member{{AccountID: w.adult.ID, State: safeguard.MemberJoined}, {AccountID: w.teen.ID, State: safeguard.MemberJoined}}}
		w.chatConv = &safeguard.Conversation{Kind: safeguard.Direct, App: "chat", CreatedBy: w.other.ID, CreatedAt: day(1, 0),
			Members: []safeguard.Member{{AccountID: w.adult.ID, State: safeguard.MemberJoined}, {AccountID: w.other.ID, State: safeguard.MemberJoined}}}
		for _, c := range []*safeguard.Conversation{w.kidsConv, w.chatConv} {
			if err := tx.CreateConversation(ctx, c); err != nil {
				return err
			}
		}
		mkCase := func(c *safeguard.Case, dets ...*safeguard.Detection) error {
			if err := tx.CreateCase(ctx, c); err != nil {
				return err
			}
			for _, d := range dets {
				if err := tx.CreateDetection(ctx, d); err != nil {
					return err
				}
				o := &safeguard.Occurrence{CaseID: c.ID, DetectionID: d.ID, Source: d.Source, At: d.At, ConversationID: d.ConversationID, RecipientIDs: d.RecipientIDs}
				if err := tx.AddOccurrence(ctx, o); err != nil {
					return err
				}
			}
			w.cases = append(w.cases, c)
			return nil
		}
		// 1
		c1 := &safeguard.Case{SenderID: w.adult.ID, ContentKey: "sha256:aa", Source: safeguard.HashMatch, Status: safeguard.CaseReported,
			Priority: 1, Decision: safeguard.ReportLE, DecidedAt: day(2, 12), ReportReference: "SG-TEST-000001", ReportedAt: day(2, 12),
			CreatedAt: day(1, 10), UpdatedAt: day(2, 12)}
		if err := mkCase(c1,
			&safeguard.Detection{Source: safeguard.HashMatch, At: day(1, 9), ConversationID: w.kidsConv.ID, SenderID: w.adult.ID,
				ContentKey: "sha256:aa", RecipientIDs: []int64{w.teen.ID}, Members: facts(w.adult, w.teen)},
			&safeguard.Detection{Source: safeguard.UserReport, At: day(3, 9), ConversationID: w.kidsConv.ID, SenderID: w.adult.ID,
				ContentKey: "sha256:aa", RecipientIDs: []int64{w.teen.ID}, Members: facts(w.adult, w.teen)}); err != nil {
			return err
		}
		for _, e := range []safeguard.CaseEvent{
			{CaseID: c1.ID, At: day(1, 10), Actor: "system", Action: "opened"},
			{CaseID: c1.ID, At: day(2, 11), Actor: "mod", Action: "claimed"},
			{CaseID: c1.ID, At: day(2, 12), Actor: "mod", Action: "decided"},
		} {
			if err := tx.AddCaseEvent(ctx, &e); err != nil {
				return err
			}
		}
		for _, r := range []safeguard.CaseReport{
			{CaseID: c1.ID, Reference: "SG-TEST-000001", Destination: "file-export", Priority: 1, Test: true, SubmittedAt: day(2, 12)},
			{CaseID: c1.ID, Reference: "SG-TEST-000001-F2", FollowUpOf: "SG-TEST-000001", Destination: "file-export", Priority: 1, Test: true, SubmittedAt: day(3, 10)},
		} {
			if err := tx.AddCaseReport(ctx, &r); err != nil {
				return err
			}
		}
		// 2
		c2 := &safeguard.Case{SenderID: w.other.ID, ContentKey: "account:3", Source: safeguard.UserReport, Status: safeguard.CaseClosed,
			Priority: 3, Decision: safeguard.Warn, DecidedAt: day(5, 12), CreatedAt: day(4, 10), UpdatedAt: day(5, 12)}
		if err := mkCase(c2, &safeguard.Detection{Source: safeguard.UserReport, At: day(4, 9), SenderID: w.other.ID,
			ContentKey: "account:3", RecipientIDs: []int64{w.reporter.ID}}); err != nil {
			return err
		}
		if err := tx.AddCaseEvent(ctx, &safeguard.CaseEvent{CaseID: c2.ID, At: day(5, 12), Actor: "mod", Action: "decided"}); err != nil {
			return err
		}
		if err := tx.CreateAppeal(ctx, &safeguard.Appeal{CaseID: c2.ID, AccountID: w.other.ID, Kind: safeguard.AppealDecision,
			Status: safeguard.AppealOpen, CreatedAt: day(6, 9)}); err != nil {
			return err
		}
		// 3
		c3 := &safeguard.Case{SenderID: w.other.ID, ContentKey: "conversation:2", Source: safeguard.RiskRule, Status: safeguard.CaseClosed,
			Priority: 2, Decision: safeguard.NoViolation, DecidedAt: day(7, 12), CreatedAt: day(1, 0).AddDate(0, 0, -5), UpdatedAt: day(7, 12)}
		return mkCase(c3, &safeguard.Detection{Source: safeguard.RiskRule, At: day(1, 0).AddDate(0, 0, -5), ConversationID: w.chatConv.ID,
			SenderID: w.other.ID, ContentKey: "conversation:2", RecipientIDs: []int64{w.adult.ID}, Members: facts(w.other, w.adult)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestGather(t *testing.T) {
	st := openStore(t)
	w := seedStore(t, st)
	july, _ := ParsePeriod("2026-07")
	got, err := Gather(t.Context(), st, july)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int, h int) time.Time { return time.Date(2026, 7, d, h, 0, 0, 0, time.UTC) }
	want := []Case{
		{ID: w.cases[0].ID, Opened: day(1, 10), Detected: day(1, 9), Source: safeguard.HashMatch, Priority: 1,
			Area: Area{Code: "E23000026", Name: "Bedfordshire"}, AreaOf: AreaOfChild, App: "kids",
			Status: safeguard.CaseReported, Decision: safeguard.ReportLE, DecidedAt: day(2, 12), FirstReview: day(2, 11), ReportedAt: day(2, 12),
			Reports: []Report{
				{Reference: "SG-TEST-000001", Destination: "file-export", Priority: 1, Test: true, SubmittedAt: day(2, 12)},
				{Reference: "SG-TEST-000001-F2", FollowUp: true, Destination: "file-export", Priority: 1, Test: true, SubmittedAt: day(3, 10)},
			}},
		{ID: w.cases[1].ID, Opened: day(4, 10), Detected: day(4, 9), Source: safeguard.UserReport, Priority: 3,
			Area: Area{Code: "E23000023", Name: "Cambridgeshire"}, AreaOf: AreaOfReportedUser, App: "chat",
			Status: safeguard.CaseClosed, Decision: safeguard.Warn, DecidedAt: day(5, 12), FirstReview: day(5, 12),
			Appeals: []Appeal{{Kind: safeguard.AppealDecision, Status: safeguard.AppealOpen, CreatedAt: day(6, 9)}}},
		{ID: w.cases[2].ID, Opened: day(1, 0).AddDate(0, 0, -5), Detected: day(1, 0).AddDate(0, 0, -5), Source: safeguard.RiskRule, Priority: 2,
			Area: Area{Code: "E23000023", Name: "Cambridgeshire"}, AreaOf: AreaOfReportedUser, App: "chat",
			Status: safeguard.CaseClosed, Decision: safeguard.NoViolation, DecidedAt: day(7, 12)},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Case{}, "Detections")); diff != "" {
		t.Errorf("Gather (-want +got):\n%s", diff)
	}
	if n := len(got[0].Detections); n != 2 || got[0].Detections[0].Members[1].Band != safeguard.Teen {
		t.Errorf("case 1 detections %+v", got[0].Detections)
	}
	// June holds only case 3's opening.
	june, _ := ParsePeriod("2026-06")
	got, err = Gather(t.Context(), st, june)
	if err != nil || len(got) != 1 || got[0].ID != w.cases[2].ID {
		t.Errorf("June: %+v, %v", got, err)
	}
	// Nothing happened in August.
	aug, _ := ParsePeriod("2026-08")
	if got, err = Gather(t.Context(), st, aug); err != nil || len(got) != 0 {
		t.Errorf("August: %+v, %v", got, err)
	}
}

func TestServiceOnStore(t *testing.T) {
	st := openStore(t)
	seedStore(t, st)
	svc := newService(t, Config{Mode: policy.NSPCC, Apps: []string{"chat", "kids"}, ServiceName: "Safeguard"},
		Deps{Store: st, Now: func() time.Time { return countedAt }})
	ctx := context.Background()
	july, _ := ParsePeriod("2026-07")
	internal, err := svc.Platform(ctx, july, ByApp, CountCases, Options{Unsuppressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if !internal.Internal || internal.Title()[:8] != "INTERNAL" {
		t.Errorf("unsuppressed table not marked INTERNAL: %q", internal.Title())
	}
	// Opened in July: case 1 (Bedfordshire, kids) and case 2 (Cambridgeshire, chat).
	if diff := cmp.Diff(map[string][]string{"Bedfordshire": {"1", "0", "1"}, "Cambridgeshire": {"1", "1", "0"}, "total": {"2", "1", "1"}}, shown(internal)); diff != "" {
		t.Errorf("unsuppressed (-want +got):\n%s", diff)
	}
	pub, err := svc.Platform(ctx, july, ByApp, CountCases, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"Bedfordshire": {"<3", "0", "<3"}, "Cambridgeshire": {"<3", "<3", "0"}, "total": {"withheld", "<3", "<3"}}, shown(pub)); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	tr, err := svc.Transparency(ctx, july, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.BanksConfigured || tr.Encryption != policy.NSPCC || tr.Reports.Computed[0].String() != "<3" {
		t.Errorf("transparency: banks %v, mode %s, reports %v", tr.BanksConfigured, tr.Encryption, tr.Reports.Computed)
	}
	// The banks in use are the enabled ones, read from the store.
	err = st.Update(ctx, func(tx store.Tx) error {
		for _, b := range []*safeguard.HashBank{
			{Name: "iwf-test", Source: "IWF", Version: "2026-07-01", Enabled: true, CreatedAt: countedAt, UpdatedAt: countedAt},
			{Name: "old-list", Source: "NCMEC", Enabled: false, CreatedAt: countedAt, UpdatedAt: countedAt},
		} {
			if err := tx.CreateHashBank(ctx, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc = newService(t, Config{Mode: policy.NSPCC, Apps: []string{"chat", "kids"}, ServiceName: "Safeguard"},
		Deps{Store: st, Banks: StoreBanks{Store: st}, Now: func() time.Time { return countedAt }})
	if tr, err = svc.Transparency(ctx, july, Options{}); err != nil {
		t.Fatal(err)
	}
	if !tr.BanksConfigured || len(tr.Banks) != 1 || tr.Banks[0] != (Bank{Name: "iwf-test", Source: "IWF", Version: "2026-07-01"}) {
		t.Errorf("banks in use: %+v", tr.Banks)
	}
	im, err := svc.Impact(ctx, july, Options{Unsuppressed: true})
	if err != nil {
		t.Fatal(err)
	}
	// Case 1 has the teen's report beside the image match: not lost even
	// under E2EE for everyone. Case 2 is a report of an account.
	if im.Cases != stats.Num(2) || im.Policies[1].Lost != stats.Num(0) {
		t.Errorf("impact: %v cases, %v lost under E2EE for everyone; want 2 and 0", im.Cases, im.Policies[1].Lost)
	}
	if _, err := svc.Compare(ctx, july, "no-such-return", Options{}); safeguard.ErrorCode(err) != "dataset_not_found" {
		t.Errorf("compare with a missing return: %v", err)
	}
}

func TestCompareOnStore(t *testing.T) {
	st := openStore(t)
	seedStore(t, st)
	ret := &stats.Dataset{Name: "july-return", Period: "2026-07", Source: "synthetic", Layout: stats.LayoutTable,
		Columns: []stats.Column{{Name: "total offences", Total: true}, {Name: "app X"}},
		Rows: []stats.Row{
			{Force: "Bedfordshire Police", ForceCode: "E23000026", Values: []stats.Value{stats.Num(10), stats.Num(4)}},
			{Force: "Cambs", ForceCode: "E23000023", Values: []stats.Value{{}, {}}},
			{Force: "Essex", ForceCode: "E23000028", Values: []stats.Value{stats.Num(5), stats.Num(1)}},
		}}
	ctx := t.Context()
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.CreateDataset(ctx, ret) }); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, Config{Mode: policy.NSPCC, Apps: []string{"chat", "kids"}}, Deps{Store: st, Now: func() time.Time { return countedAt }})
	july, _ := ParsePeriod("2026-07")
	tb, err := svc.Compare(ctx, july, "july-return", Options{Unsuppressed: true})
	if err != nil {
		t.Fatal(err)
	}
	// Bedfordshire: the teen's case, reported in July; Cambridgeshire: the
	// report of an account; Essex: nothing on the platform.
	want := map[string][]string{
		"Bedfordshire Police": {"10", "1", "1"}, "Cambs": {"not provided", "1", "0"}, "Essex": {"5", "0", "0"},
		"total": {"15", "2", "1"},
	}
	if diff := cmp.Diff(want, shown(tb)); diff != "" {
		t.Errorf("compare (-want +got):\n%s", diff)
	}
	if got := columns(tb.Dataset); got[0] != "recorded by the police: total offences" || !tb.Dataset.Columns[0].Published || !tb.Dataset.NoChart {
		t.Errorf("columns %v", got)
	}
	pub, err := svc.Compare(ctx, july, "july-return", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := shown(pub); got["Bedfordshire Police"][0] != "10" || got["Essex"][0] != "5" || got["Bedfordshire Police"][1] != "<3" {
		t.Errorf("published compare: %v; police figures stay, platform's small ones go", got)
	}
	aug, _ := ParsePeriod("2026-08")
	if _, err := svc.Compare(ctx, aug, "july-return", Options{}); safeguard.ErrorCode(err) != "stats_period_mismatch" {
		t.Errorf("compare across periods: %v", err)
	}
}

// newService returns a Service, failing tb if it cannot be built.
func newService(tb testing.TB, cfg Config, d Deps) *Service {
	tb.Helper()
	s, err := New(cfg, d)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
