package storetest

import (
	"errors"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var caseTests = []test{
	{"Cases", testCases},
	{"CaseOccurrences", testCaseOccurrences},
	{"CaseTimelineAppealsReports", testCaseRecords},
	{"Evidence", testEvidence},
}

func newCase(sender int64, key string, priority int, created int) *safeguard.Case {
	return &safeguard.Case{
		SenderID: sender, ContentKey: key, ConversationID: 5, Source: safeguard.HashMatch, Category: safeguard.CategoryKnownImage,
		Status: safeguard.CaseOpen, Priority: priority, Reasons: []string{"A child on the service is identified."},
		Signals: []string{"ongoing_contact"}, CreatedAt: at(created), UpdatedAt: at(created),
	}
}

func testCases(t *testing.T, s store.Store) {
	ctx := t.Context()
	cs := []*safeguard.Case{
		newCase(1, "sha256:aa", 2, 0),
		newCase(1, "sha256:bb", 1, 1),
		newCase(2, "conversation:5", 3, 2),
		newCase(3, "sha256:aa", 2, 3),
	}
	cs[2].MinorSender, cs[2].SeniorReview = true, true
	update(t, s, func(tx store.Tx) error {
		for _, c := range cs {
			if err := tx.CreateCase(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateCase(ctx, newCase(1, "sha256:aa", 3, 9)) })
	wantKind(t, "same sender and content", err, safeguard.ErrConflict, "conflict")

	cs[0].Status, cs[0].Assignee, cs[0].Decision, cs[0].DecisionReason = safeguard.CaseDecided, "mod_a", safeguard.ReportLE, "known image"
	cs[0].DecidedBy, cs[0].DecidedAt, cs[0].ReportReference, cs[0].ReportedAt = "mod_a", at(10), "SG-1", at(11)
	cs[0].LegalHold, cs[0].HoldReason, cs[0].UpdatedAt, cs[0].Reasons = true, "police request", at(11), nil
	update(t, s, func(tx store.Tx) error { return tx.UpdateCase(ctx, cs[0]) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdateCase(ctx, &safeguard.Case{ID: 999}) })
	wantKind(t, "update missing case", err, safeguard.ErrNotFound, "")

	view(t, s, func(tx store.Tx) error {
		got, err := tx.Case(ctx, cs[0].ID)
		if err != nil {
			return err
		}
		if d := diff(cs[0], got); d != "" {
			t.Errorf("Case round trip (-want +got):\n%s", d)
		}
		got, err = tx.CaseByKey(ctx, 2, "conversation:5")
		if err != nil {
			return err
		}
		if d := diff(cs[2], got); d != "" {
			t.Errorf("CaseByKey (-want +got):\n%s", d)
		}
		if _, err := tx.CaseByKey(ctx, 2, "sha256:aa"); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("CaseByKey of another sender's content: %v", err)
		}
		tests := []struct {
			name string
			q    store.CaseQuery
			want []int
		}{
			{"queue: priority then age", store.CaseQuery{}, []int{1, 0, 3, 2}},
			{"open only", store.CaseQuery{Statuses: []safeguard.CaseStatus{safeguard.CaseOpen}}, []int{1, 3, 2}},
			{"two statuses", store.CaseQuery{Statuses: []safeguard.CaseStatus{safeguard.CaseDecided, safeguard.CaseClosed}}, []int{0}},
			{"by sender", store.CaseQuery{SenderID: 1}, []int{1, 0}},
			{"by id after", store.CaseQuery{ByID: true, AfterID: cs[1].ID}, []int{2, 3}},
			{"limit", store.CaseQuery{Limit: 1}, []int{1}},
		}
		for _, tt := range tests {
			got, err := tx.Cases(ctx, tt.q)
			if err != nil {
				return err
			}
			var want []*safeguard.Case
			for _, i := range tt.want {
				want = append(want, cs[i])
			}
			if d := diff(want, got); d != "" {
				t.Errorf("%s: Cases (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
}

func testCaseOccurrences(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCase(1, "sha256:aa", 2, 0)
	os := []safeguard.Occurrence{
		{DetectionID: 10, Source: safeguard.HashMatch, At: at(1).In(local), MessageID: 100, ConversationID: 5, MediaID: 7, RecipientIDs: []int64{2}, Held: true},
		{DetectionID: 11, Source: safeguard.HashMatch, At: at(2), MessageID: 101, ConversationID: 6, MediaID: 8, RecipientIDs: []int64{3, 4}, Node: "host-7-ab12"},
		{DetectionID: 12, Source: safeguard.UserReport, At: at(3), MessageID: 100, ConversationID: 5},
	}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateCase(ctx, c); err != nil {
			return err
		}
		for i := range os {
			os[i].CaseID = c.ID
			if err := tx.AddOccurrence(ctx, &os[i]); err != nil {
				return err
			}
		}
		return tx.SetOccurrenceReport(ctx, []int64{os[0].ID, os[1].ID}, "SG-1")
	})
	os[0].At = os[0].At.UTC()
	os[0].ReportReference, os[1].ReportReference = "SG-1", "SG-1"
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.AddOccurrence(ctx, &safeguard.Occurrence{CaseID: c.ID, DetectionID: 10, At: at(4)})
	})
	wantKind(t, "detection twice", err, safeguard.ErrConflict, "conflict")
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Occurrences(ctx, c.ID)
		if err != nil {
			return err
		}
		if d := diff(os, got); d != "" {
			t.Errorf("Occurrences (-want +got):\n%s", d)
		}
		byMsg, err := tx.MessageOccurrences(ctx, 100)
		if err != nil {
			return err
		}
		if d := diff([]safeguard.Occurrence{os[0], os[2]}, byMsg); d != "" {
			t.Errorf("MessageOccurrences (-want +got):\n%s", d)
		}
		cc, err := tx.Case(ctx, c.ID)
		if err != nil {
			return err
		}
		if cc.Occurrences != 3 {
			t.Errorf("case counts %d occurrences, want 3", cc.Occurrences)
		}
		return nil
	})
}

func testCaseRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCase(1, "sha256:aa", 2, 0)
	evs := []safeguard.CaseEvent{
		{At: at(0), Actor: "system", Action: "opened", To: safeguard.CaseOpen, Detail: []byte(`{"detection_id":1}`)},
		{At: at(1), Actor: "mod_a", Action: "claimed", From: safeguard.CaseOpen, To: safeguard.CaseInReview},
		{At: at(2), Actor: "mod_a", Action: "decided", From: safeguard.CaseInReview, To: safeguard.CaseDecided, Reason: "warn: rude"},
	}
	appeals := []*safeguard.Appeal{
		{AccountID: 1, Kind: safeguard.AppealDecision, Text: "I did not", Status: safeguard.AppealOpen, CreatedAt: at(3)},
		{AccountID: 1, Kind: safeguard.AppealHold, MessageID: 9, Status: safeguard.AppealDeferred, CreatedAt: at(4)},
		{AccountID: 2, Kind: safeguard.AppealDecision, Status: safeguard.AppealOpen, CreatedAt: at(5)},
	}
	reps := []safeguard.MemberReport{
		{ReporterID: 2, Target: "message:9", Reason: "asked_for_photos", Note: "scared", At: at(1), DetectionID: 3},
		{ReporterID: 2, Target: "message:9", Reason: "asked_for_photos", At: at(5), DetectionID: 4},
		{ReporterID: 3, Target: "message:9", Reason: "something_else", At: at(6)},
	}
	crs := []safeguard.CaseReport{
		{Reference: "SG-1", Destination: "file-export", ReceiptID: "/r/SG-1", Priority: 1, Test: true, SubmittedAt: at(7), Receipt: []byte(`{"id":"x"}`)},
		{Reference: "SG-1-F2", FollowUpOf: "SG-1", Destination: "file-export", Priority: 2, SubmittedAt: at(8)},
	}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateCase(ctx, c); err != nil {
			return err
		}
		for i := range evs {
			evs[i].CaseID = c.ID
			if err := tx.AddCaseEvent(ctx, &evs[i]); err != nil {
				return err
			}
		}
		for _, a := range appeals[:2] {
			a.CaseID = c.ID
		}
		for _, a := range appeals {
			if err := tx.CreateAppeal(ctx, a); err != nil {
				return err
			}
		}
		for i := range reps {
			if err := tx.CreateUserReport(ctx, &reps[i]); err != nil {
				return err
			}
		}
		for i := range crs {
			crs[i].CaseID = c.ID
			if err := tx.AddCaseReport(ctx, &crs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.AddCaseReport(ctx, &safeguard.CaseReport{CaseID: c.ID, Reference: "SG-1", Destination: "x", SubmittedAt: at(9)})
	})
	wantKind(t, "reference twice", err, safeguard.ErrConflict, "conflict")
	appeals[0].Status, appeals[0].DecidedBy, appeals[0].DecidedAt, appeals[0].Reason = safeguard.AppealUpheld, "mod_b", at(9), "stands"
	update(t, s, func(tx store.Tx) error { return tx.UpdateAppeal(ctx, appeals[0]) })

	view(t, s, func(tx store.Tx) error {
		got, err := tx.CaseEvents(ctx, c.ID)
		if err != nil {
			return err
		}
		if d := diff(evs, got); d != "" {
			t.Errorf("CaseEvents (-want +got):\n%s", d)
		}
		a, err := tx.Appeal(ctx, appeals[0].ID)
		if err != nil {
			return err
		}
		if d := diff(appeals[0], a); d != "" {
			t.Errorf("Appeal (-want +got):\n%s", d)
		}
		if _, err := tx.Appeal(ctx, 999); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("missing appeal: %v", err)
		}
		queries := []struct {
			name string
			q    store.AppealQuery
			want []int
		}{
			{"by case", store.AppealQuery{CaseID: c.ID}, []int{0, 1}},
			{"by account", store.AppealQuery{AccountID: 2}, []int{2}},
			{"by status", store.AppealQuery{Statuses: []safeguard.AppealStatus{safeguard.AppealDeferred, safeguard.AppealOpen}}, []int{1, 2}},
		}
		for _, q := range queries {
			got, err := tx.Appeals(ctx, q.q)
			if err != nil {
				return err
			}
			var want []*safeguard.Appeal
			for _, i := range q.want {
				want = append(want, appeals[i])
			}
			if d := diff(want, got); d != "" {
				t.Errorf("Appeals %s (-want +got):\n%s", q.name, d)
			}
		}
		r, err := tx.RecentUserReport(ctx, 2, "message:9", at(0))
		if err != nil {
			return err
		}
		if d := diff(&reps[1], r); d != "" {
			t.Errorf("RecentUserReport (-want +got):\n%s", d)
		}
		if _, err := tx.RecentUserReport(ctx, 2, "message:9", at(6)); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("RecentUserReport outside the window: %v", err)
		}
		gotReps, err := tx.CaseReports(ctx, c.ID)
		if err != nil {
			return err
		}
		if d := diff(crs, gotReps); d != "" {
			t.Errorf("CaseReports (-want +got):\n%s", d)
		}
		return nil
	})
}

func testEvidence(t *testing.T, s store.Store) {
	ctx := t.Context()
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.EvidenceHead(ctx); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("head of an empty log: %v", err)
		}
		return nil
	})
	es := []safeguard.EvidenceEntry{
		{Seq: 1, At: at(0), CaseID: 4, Kind: safeguard.EvidenceItem, ItemKind: "media", Ref: "media:3", ContentType: "image/png",
			Class: safeguard.RetainContent, Digest: []byte{1, 2}, Size: 99, StorageKey: "k1", PrevHash: make([]byte, 32), Hash: []byte{9}},
		{Seq: 2, At: at(1), CaseID: 5, Kind: safeguard.EvidenceItem, ItemKind: "account", Ref: "account:1", Class: safeguard.RetainContent,
			Digest: []byte{3}, Size: 10, StorageKey: "k2", PrevHash: []byte{9}, Hash: []byte{8}},
		{Seq: 3, At: at(2), CaseID: 4, Kind: safeguard.EvidenceTombstone, Target: 1, Reason: "retention", Signature: []byte{7, 7},
			PrevHash: []byte{8}, Hash: []byte{6}},
	}
	update(t, s, func(tx store.Tx) error {
		for i := range es {
			if err := tx.AppendEvidence(ctx, &es[i]); err != nil {
				return err
			}
		}
		return nil
	})
	for _, seq := range []int64{3, 5, 0} {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.AppendEvidence(ctx, &safeguard.EvidenceEntry{Seq: seq, At: at(3), Kind: safeguard.EvidenceItem})
		})
		wantKind(t, "append out of sequence", err, safeguard.ErrConflict, "conflict")
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.AppendEvidence(ctx, &safeguard.EvidenceEntry{Seq: 4, At: at(3), CaseID: 4, Kind: safeguard.EvidenceTombstone, Target: 1,
			Reason: "retention", Signature: []byte{5}, PrevHash: []byte{6}, Hash: []byte{4}})
	})
	wantKind(t, "a second tombstone of an item", err, safeguard.ErrConflict, "conflict")
	cps := []safeguard.EvidenceCheckpoint{
		{At: at(0), Count: 1, Head: []byte{9}, PublicKey: []byte{1}, Signature: []byte{2}},
		{At: at(2), Count: 3, Head: []byte{6}, PublicKey: []byte{1}, Signature: []byte{3}},
	}
	reads := []safeguard.EvidenceRead{{Seq: 1, CaseID: 4, At: at(5), Who: "mod_a", Why: "review"}, {Seq: 2, CaseID: 5, At: at(6), Who: "mod_b", Why: "appeal"},
		{Seq: 3, CaseID: 4, At: at(7), Who: "mod_a", Why: "the conversation", Covers: []int64{5, 8}}}
	update(t, s, func(tx store.Tx) error {
		for i := range cps {
			if err := tx.AddEvidenceCheckpoint(ctx, &cps[i]); err != nil {
				return err
			}
		}
		for i := range reads {
			if err := tx.RecordEvidenceRead(ctx, &reads[i]); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		head, err := tx.EvidenceHead(ctx)
		if err != nil {
			return err
		}
		if d := diff(&es[2], head); d != "" {
			t.Errorf("EvidenceHead (-want +got):\n%s", d)
		}
		e, err := tx.EvidenceEntry(ctx, 1)
		if err != nil {
			return err
		}
		if d := diff(&es[0], e); d != "" {
			t.Errorf("EvidenceEntry (-want +got):\n%s", d)
		}
		if _, err := tx.EvidenceEntry(ctx, 99); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("missing entry: %v", err)
		}
		tomb, err := tx.EvidenceTombstone(ctx, 1)
		if err != nil {
			return err
		}
		if d := diff(&es[2], tomb); d != "" {
			t.Errorf("EvidenceTombstone (-want +got):\n%s", d)
		}
		if _, err := tx.EvidenceTombstone(ctx, 2); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("tombstone of an item kept: %v", err)
		}
		all, err := tx.EvidenceEntries(ctx, 1, 0)
		if err != nil {
			return err
		}
		if d := diff(es[1:], all); d != "" {
			t.Errorf("EvidenceEntries after 1 (-want +got):\n%s", d)
		}
		byCase, err := tx.CaseEvidence(ctx, 4)
		if err != nil {
			return err
		}
		if d := diff([]safeguard.EvidenceEntry{es[0], es[2]}, byCase); d != "" {
			t.Errorf("CaseEvidence (-want +got):\n%s", d)
		}
		gotCps, err := tx.EvidenceCheckpoints(ctx, cps[0].ID, 0)
		if err != nil {
			return err
		}
		if d := diff(cps[1:], gotCps); d != "" {
			t.Errorf("EvidenceCheckpoints (-want +got):\n%s", d)
		}
		gotReads, err := tx.EvidenceReads(ctx, 4)
		if err != nil {
			return err
		}
		if d := diff([]safeguard.EvidenceRead{reads[0], reads[2]}, gotReads); d != "" {
			t.Errorf("EvidenceReads (-want +got):\n%s", d)
		}
		return nil
	})
}
