package platform

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

func TestPolicyLost(t *testing.T) {
	det := func(src safeguard.DetectionSource, conv int64, members []safeguard.MemberFacts) Detection {
		return Detection{Source: src, ConversationID: conv, SenderID: 1, Members: members}
	}
	recipientOnly := verifiedAdults[1:] // the sender's facts were not recorded
	tests := []struct {
		name                  string
		dets                  []Detection
		nspcc, none, everyone bool
	}{
		{"known image to a teen", []Detection{det(safeguard.HashMatch, 5, teenAndAdult)}, false, false, true},
		{"known image between verified adults", []Detection{det(safeguard.HashMatch, 5, verifiedAdults)}, true, false, true},
		{"sender's facts not recorded", []Detection{det(safeguard.HashMatch, 5, recipientOnly)}, false, false, true},
		{"URL to a teen", []Detection{det(safeguard.URLMatch, 5, teenAndAdult)}, false, false, true},
		{"risk alert", []Detection{det(safeguard.RiskRule, 5, teenAndAdult)}, false, false, true},
		{"content toward a minor that could not be checked", []Detection{det(safeguard.ScanFailure, 5, teenAndAdult)}, false, false, true},
		{"user report", []Detection{det(safeguard.UserReport, 5, teenAndAdult)}, false, false, false},
		{"franking report", []Detection{det(safeguard.FrankingReport, 5, verifiedAdults)}, false, false, false},
		{"risk alert and a user report", []Detection{det(safeguard.RiskRule, 5, teenAndAdult), det(safeguard.UserReport, 5, teenAndAdult)}, false, false, false},
		{"report of an account", []Detection{det(safeguard.UserReport, 0, nil)}, false, false, false},
		{"server-side match with no conversation", []Detection{det(safeguard.HashMatch, 0, nil)}, false, false, false},
		{"no detections", nil, false, false, false},
	}
	nspcc, none, everyone := RunningPolicy(policy.NSPCC), RunningPolicy(policy.None), EveryonePolicy()
	for _, tt := range tests {
		c := &Case{Detections: tt.dets}
		if got := nspcc.Lost(c); got != tt.nspcc {
			t.Errorf("%s: lost under nspcc = %v, want %v", tt.name, got, tt.nspcc)
		}
		if got := none.Lost(c); got != tt.none {
			t.Errorf("%s: lost under none = %v, want %v", tt.name, got, tt.none)
		}
		if got := everyone.Lost(c); got != tt.everyone {
			t.Errorf("%s: lost under E2EE for everyone = %v, want %v", tt.name, got, tt.everyone)
		}
	}
}

// impactFixture is the fixture with one case between verified adults: case 2,
// a known image in Bedfordshire sent between two verified adults.
func impactFixture() []Case {
	cs := fixture()
	cs[1].Detections[0].Members = verifiedAdults
	cs[1].AreaOf = AreaOfReportedUser
	return cs
}

func TestComputeImpact(t *testing.T) {
	im := ComputeImpact(impactFixture(), q3, countedAt, RunningPolicy(policy.NSPCC), EveryonePolicy())
	if im.Cases != stats.Num(13) || im.Reported != stats.Num(2) {
		t.Errorf("cases %v, reported %v; want 13 and 2", im.Cases, im.Reported)
	}
	type pol struct {
		Name         string
		Lost         stats.Value
		LostReported stats.Value
		Percent      float64
	}
	var got []pol
	for _, p := range im.Policies {
		got = append(got, pol{p.Name, p.Lost, p.LostReported, p.Percent})
	}
	// Lost under E2EE for everyone: Bedfordshire's 3 image matches and 2
	// risk alerts, Cambridgeshire's URL match and image match; of them
	// case 1 was reported. Under nspcc, only case 2, between verified
	// adults.
	want := []pol{
		{"running policy (nspcc)", stats.Num(1), stats.Num(0), 100.0 / 13},
		{"E2EE for everyone", stats.Num(7), stats.Num(1), 700.0 / 13},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name string
		tb   *stats.Table
		want map[string][]string
	}{
		{"by area", im.ByArea, map[string][]string{
			"Bedfordshire": {"6", "1", "5"}, "Cambridgeshire": {"6", "0", "2"}, NotRecorded: {"1", "0", "0"}, "total": {"13", "1", "7"}}},
		{"by app", im.ByApp, map[string][]string{
			"chat": {"10", "1", "4"}, "kids": {"3", "0", "3"}, "total": {"13", "1", "7"}}},
		{"by source", im.BySource, map[string][]string{
			"image match": {"4", "1", "4"}, "URL match": {"1", "0", "1"}, "risk alert": {"2", "0", "2"},
			"user report": {"6", "0", "0"}, "total": {"13", "1", "7"}}},
	} {
		if diff := cmp.Diff(tt.want, shown(tt.tb)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if rows := im.BySource.Dataset.Rows; rows[0].Force != "image match" || rows[len(rows)-1].Force != "user report" {
		t.Errorf("detection sources out of order: %v", rows)
	}
}

func TestImpactRender(t *testing.T) {
	im := ComputeImpact(impactFixture(), q3, countedAt, RunningPolicy(policy.NSPCC), EveryonePolicy())
	stats.SuppressTogether(stats.SuppressBelow, im.tables()...)
	im.refresh(stats.SuppressBelow)
	var text strings.Builder
	if err := im.Render(&text, stats.FormatText); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Cases the platform opened in 2026-Q3 (1 July to 30 September 2026): 13, of which reported to law enforcement: <3.",
		"Running policy (nspcc) — the policy in force: end-to-end encryption only where every member is a verified adult, counted as if every such conversation had asked for it: <3 cases lost (share suppressed), 0 of them reported to law enforcement.",
		"E2EE for everyone — every conversation end-to-end encrypted, children's included: 7 cases lost (53.8% of all cases), <3 of them reported to law enforcement.",
		"A case with a person's report in it is never lost",
		"Cases the platform opened, by detection source and encryption policy",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var md strings.Builder
	if err := im.Render(&md, stats.FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "\n## Cases the platform opened, by app and encryption policy\n") {
		t.Errorf("markdown does not nest the breakdowns:\n%s", md.String())
	}
	var js strings.Builder
	if err := im.Render(&js, stats.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases    stats.Value `json:"cases"`
		Policies []struct {
			Name    string      `json:"name"`
			Lost    stats.Value `json:"cases_lost"`
			Percent *float64    `json:"percent_of_cases"`
		} `json:"policies"`
		BySource struct {
			Title string `json:"title"`
		} `json:"by_detection_source"`
	}
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, js.String())
	}
	if doc.Cases != stats.Num(13) || len(doc.Policies) != 2 || doc.Policies[0].Lost.State != stats.Suppressed ||
		doc.Policies[0].Percent != nil || doc.Policies[1].Lost != stats.Num(7) || *doc.Policies[1].Percent != 53.8 || doc.BySource.Title == "" {
		t.Errorf("json = %+v", doc)
	}
	if err := im.Render(&js, stats.FormatHTML); err == nil {
		t.Error("the impact has no HTML form, but Render accepted it")
	}
}
