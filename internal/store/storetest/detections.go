package storetest

import (
	"errors"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var detectionTests = []test{
	{"Detections", testDetections},
}

func testDetections(t *testing.T, s store.Store) {
	ctx := t.Context()
	ds := []safeguard.Detection{
		{Source: safeguard.HashMatch, At: at(0).In(local), MessageID: 10, ConversationID: 5, SenderID: 1, MediaID: 3, Held: true,
			ContentKey: "sha256:ab", Severity: safeguard.SeverityCritical, Category: safeguard.CategoryKnownImage, Summary: "bank test, distance 4",
			Detail: []byte(`{"bank":"test","entry":"e1","distance":4}`), RecipientIDs: []int64{2},
			Members: []safeguard.MemberFacts{{AccountID: 1, Band: safeguard.Adult, Assurance: safeguard.SelfDeclared}, {AccountID: 2, Band: safeguard.Teen, Assurance: safeguard.SelfDeclared}}},
		{Source: safeguard.RiskRule, At: at(1), MessageID: 11, ConversationID: 5, SenderID: 1, ContentKey: "conversation:5",
			Severity: safeguard.SeverityHigh, Category: safeguard.CategoryGrooming, RecipientIDs: []int64{2, 4}},
		{Source: safeguard.UserReport, At: at(2), ConversationID: 6, SenderID: 7, ConversationE2EE: true},
	}
	update(t, s, func(tx store.Tx) error {
		for i := range ds {
			if err := tx.CreateDetection(ctx, &ds[i]); err != nil {
				return err
			}
		}
		return nil
	})
	ds[0].At = ds[0].At.UTC()
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Detection(ctx, ds[0].ID)
		if err != nil {
			return err
		}
		if d := diff(&ds[0], got); d != "" {
			t.Errorf("Detection round trip (-want +got):\n%s", d)
		}
		if _, err := tx.Detection(ctx, 9999); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("missing detection: %v", err)
		}
		tests := []struct {
			name string
			q    store.DetectionQuery
			want []int
		}{
			{"all, newest first", store.DetectionQuery{}, []int{2, 1, 0}},
			{"by message", store.DetectionQuery{MessageID: 11}, []int{1}},
			{"by conversation", store.DetectionQuery{ConversationID: 5}, []int{1, 0}},
			{"by sender", store.DetectionQuery{SenderID: 7}, []int{2}},
			{"by source", store.DetectionQuery{Source: safeguard.HashMatch}, []int{0}},
			{"since", store.DetectionQuery{Since: at(1)}, []int{2, 1}},
			{"limit", store.DetectionQuery{Limit: 1}, []int{2}},
			{"none", store.DetectionQuery{SenderID: 99}, nil},
		}
		for _, tt := range tests {
			got, err := tx.Detections(ctx, tt.q)
			if err != nil {
				return err
			}
			var want []*safeguard.Detection
			for _, i := range tt.want {
				want = append(want, &ds[i])
			}
			if d := diff(want, got); d != "" {
				t.Errorf("%s: Detections (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
}
