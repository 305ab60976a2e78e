package web_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/golden"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// TestWireCaseViewGolden pins the JSON of a case as the API and
// "safeguard case show" write it: every field of every part, with made-up
// values.
func TestWireCaseViewGolden(t *testing.T) {
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	v := &cases.CaseView{
		Case: &safeguard.Case{ID: 7, Status: "reported", Priority: 1, Reasons: []string{"known image"}, Source: "image_hash",
			Category: "csam_known", SenderID: 3, ContentKey: "media:9", ConversationID: 4, MinorSender: true, SeniorReview: true,
			Assignee: "mod_a", Decision: "report", DecisionReason: "known image to a child", DecidedBy: "mod_a",
			ReportReference: "SG-1", LegalHold: true, Occurrences: 1, CreatedAt: at, UpdatedAt: at.Add(time.Hour)},
		Sender:      &safeguard.Account{ID: 3, Handle: "adult_bo.12", Status: "suspended"},
		Timeline:    []safeguard.CaseEvent{{At: at, Actor: "system", Action: "opened", To: "open", Reason: "known image"}},
		Occurrences: []safeguard.Occurrence{{ID: 1, DetectionID: 2, Source: "image_hash", At: at, MessageID: 5, ConversationID: 4, RecipientIDs: []int64{6}, Held: true, ReportReference: "SG-1"}},
		Evidence:    []safeguard.EvidenceEntry{{Seq: 1, At: at, Kind: "item", ItemKind: "media", Ref: "media:9", Class: "report", Size: 42, Digest: []byte{1, 2, 3}}},
		Reads:       []safeguard.EvidenceRead{{Seq: 1, At: at, Who: "mod_a", Why: "review"}},
		Reports:     []safeguard.CaseReport{{Reference: "SG-1", Destination: "file-export", ReceiptID: "dir", Priority: 1, Test: true, SubmittedAt: at}},
		Appeals:     []*safeguard.Appeal{{ID: 8, Kind: "decision", Status: "open", AccountID: 3, CreatedAt: at}},
	}
	got, err := json.MarshalIndent(web.WireCaseView(v), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "case-view.golden.json"), append(got, '\n'))
}
