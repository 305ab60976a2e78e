package safeguard_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/golden"
)

var sources = []safeguard.DetectionSource{safeguard.HashMatch, safeguard.ScanFailure, safeguard.RiskRule,
	safeguard.URLMatch, safeguard.UserReport, safeguard.FrankingReport}

// parts counts the parts of f that are set.
func parts(f safeguard.Finding) int {
	n := 0
	for _, set := range []bool{f.KnownImage != nil, f.Unscanned != nil, f.Risk != nil, f.URL != nil, f.Report != nil, f.Verified != nil} {
		if set {
			n++
		}
	}
	return n
}

// TestDecodeOldFindings reads a detail of each source as the code before
// typed findings wrote it (testdata/finding/*.old.json), and compares what
// it decodes to with a golden file. A franking report's plaintext, which
// that code kept in the detail, is not read.
func TestDecodeOldFindings(t *testing.T) {
	for _, src := range sources {
		t.Run(string(src), func(t *testing.T) {
			old, err := os.ReadFile(filepath.Join("testdata", "finding", string(src)+".old.json"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := safeguard.DecodeFinding(src, old)
			if err != nil {
				t.Fatal(err)
			}
			if parts(f) != 1 {
				t.Fatalf("%d parts set, want 1: %+v", parts(f), f)
			}
			got, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", "finding", string(src)+".golden.json"), got)
			enc, err := safeguard.EncodeFinding(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(enc, []byte("plaintext")) || bytes.Contains(enc, []byte("synthetic reported text")) {
				t.Errorf("the re-encoded finding keeps the reported text: %s", enc)
			}
		})
	}
}

// TestFindingRoundTrip encodes a finding of each kind and decodes it again
// under its source.
func TestFindingRoundTrip(t *testing.T) {
	yes, two := true, 2
	tests := []struct {
		source safeguard.DetectionSource
		f      safeguard.Finding
	}{
		{safeguard.HashMatch, safeguard.Finding{KnownImage: &safeguard.KnownImage{
			BankMatch: safeguard.BankMatch{Bank: "b", BankID: 1, Entry: "e", EntryID: 2, Kind: "pdq", Distance: 3, Transform: "flip"},
			Radius:    31, Generation: 4, PDQ: "00ff", Quality: 90, MD5: "aa", SHA256: "bb",
			Matches: []safeguard.BankMatch{{Bank: "c", Kind: "sha256"}}, Suppressed: 1, Retroactive: true}}},
		{safeguard.ScanFailure, safeguard.Finding{Unscanned: &safeguard.Unscanned{Reason: "decode_failed", Quality: 10, MD5: "aa", SHA256: "bb"}}},
		{safeguard.RiskRule, safeguard.Finding{Risk: &safeguard.RiskAlert{RuleSetVersion: "v1", MessageIndex: 2,
			Rules:      []safeguard.FiredRule{{ID: "r", Severity: safeguard.SeverityHigh, Category: safeguard.CategoryGrooming, FirstAt: 2}},
			AlsoFiring: []safeguard.FiredRule{{ID: "s", Shadow: true}},
			Signals:    []safeguard.RiskSignal{{Name: "secrecy", MessageIndex: 1, Pattern: "p"}},
			Notice:     "n", NoticeTo: []int64{5},
			Members: []safeguard.RiskMember{{AccountID: 1, Role: "sender", Band: safeguard.Adult, Connected: &yes,
				RefusedMinorAttempts: &two}}}}},
		{safeguard.URLMatch, safeguard.Finding{URL: &safeguard.URLFinding{URL: "x.example/",
			List: safeguard.URLListRef{ID: 1, Name: "l"}, Entry: safeguard.URLEntryRef{Kind: safeguard.URLExact, Key: "k", Line: 3}}}},
		{safeguard.UserReport, safeguard.Finding{Report: &safeguard.ReportFinding{Reason: "other", ReporterID: 3,
			ReporterBand: safeguard.Teen, Signals: []string{"image_request"}}}},
		{safeguard.FrankingReport, safeguard.Finding{Verified: &safeguard.VerifiedReport{VerifiedBy: "franking", Reason: "r",
			ReporterID: 4, ReporterBand: safeguard.Adult, Signals: []string{"s"},
			Text:        &safeguard.VaultRef{Digest: "ab", StorageKey: "k/1", Size: 9},
			Attachments: []safeguard.VerifiedAttachment{{BlobID: "b", SHA256: "cd", MediaID: 5}},
			Delivery: safeguard.VerifiedDelivery{SenderAccount: 1, SenderDevice: "D", RecipientAccount: 4, ConversationID: 9,
				ServerTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), MessageID: 7},
			Commitment: "0a", ReceiptKey: 3}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.source), func(t *testing.T) {
			d := &safeguard.Detection{Source: tt.source}
			if err := d.SetFinding(tt.f); err != nil {
				t.Fatal(err)
			}
			got, err := d.Finding()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.f, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeFindingParts(t *testing.T) {
	if b, err := safeguard.EncodeFinding(safeguard.Finding{}); b != nil || err != nil {
		t.Errorf("no part: %q, %v; want nothing", b, err)
	}
	two := safeguard.Finding{URL: &safeguard.URLFinding{}, Report: &safeguard.ReportFinding{}}
	if _, err := safeguard.EncodeFinding(two); err == nil {
		t.Error("two parts encoded")
	}
	if _, err := safeguard.DecodeFinding("moderator", []byte(`{}`)); err == nil {
		t.Error("a detail of an unknown source decoded")
	}
	if _, err := safeguard.DecodeFinding(safeguard.HashMatch, []byte(`{"bank":7}`)); err == nil {
		t.Error("a detail of the wrong shape decoded")
	}
}

// FuzzDecodeFinding checks that any detail of any source decodes or is
// refused without a panic, and that what decodes encodes to a detail that
// decodes to the same finding.
func FuzzDecodeFinding(f *testing.F) {
	for _, src := range sources {
		if b, err := os.ReadFile(filepath.Join("testdata", "finding", string(src)+".old.json")); err == nil {
			f.Add(string(src), b)
		}
	}
	f.Add("url_match", []byte(`null`))
	f.Add("risk_rule", []byte(`{"rules":[1]}`))
	f.Fuzz(func(t *testing.T, src string, detail []byte) {
		source := safeguard.DetectionSource(src)
		got, err := safeguard.DecodeFinding(source, detail)
		if err != nil {
			return
		}
		if n := parts(got); n > 1 {
			t.Fatalf("%d parts from %q", n, detail)
		}
		enc, err := safeguard.EncodeFinding(got)
		if err != nil {
			t.Fatalf("encode %+v: %v", got, err)
		}
		again, err := safeguard.DecodeFinding(source, enc)
		if err != nil {
			t.Fatalf("decode %q, encoded from %q: %v", enc, detail, err)
		}
		if d := cmp.Diff(got, again); d != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", detail, d)
		}
	})
}
