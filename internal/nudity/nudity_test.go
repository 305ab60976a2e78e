package nudity

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
)

func TestBranchOf(t *testing.T) {
	A, T, C := safeguard.Adult, safeguard.Teen, safeguard.Child
	for _, tt := range []struct {
		from safeguard.AgeBand
		to   []safeguard.AgeBand
		want Branch
	}{
		{A, []safeguard.AgeBand{A}, NotScanned},
		{A, []safeguard.AgeBand{A, A}, NotScanned},
		{A, nil, NotScanned},
		{A, []safeguard.AgeBand{T}, AdultToMinor},
		{A, []safeguard.AgeBand{A, C}, AdultToMinor},
		{T, []safeguard.AgeBand{A}, MinorToAdult},
		{C, []safeguard.AgeBand{T, A, T}, MinorToAdult},
		{T, []safeguard.AgeBand{T}, MinorToMinor},
		{C, []safeguard.AgeBand{T, C}, MinorToMinor},
		{T, nil, MinorToMinor},
	} {
		if got := BranchOf(tt.from, tt.to); got != tt.want {
			t.Errorf("BranchOf(%s, %v) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestThresholds(t *testing.T) {
	th := DefaultThresholds()
	for _, tt := range []struct {
		s    Scores
		want bool
	}{
		{Scores{Neutral: 1}, false},
		{Scores{Porn: 0.5, Neutral: 0.5}, true},
		{Scores{Porn: 0.49, Neutral: 0.51}, false},
		{Scores{Hentai: 0.5, Drawing: 0.5}, true},
		{Scores{Sexy: 0.85, Neutral: 0.15}, false}, // swimwear alone is not nudity
		{Scores{Porn: 0.4, Sexy: 0.5, Neutral: 0.1}, true},
		{Scores{Porn: 0.35, Hentai: 0.3, Sexy: 0.3, Neutral: 0.05}, true},
		{Scores{Porn: 0.3, Hentai: 0.2, Sexy: 0.3, Neutral: 0.2}, false},
	} {
		if got := th.Nudity(tt.s); got != tt.want {
			t.Errorf("Nudity(%+v) = %v, want %v", tt.s, got, tt.want)
		}
	}
	if err := CheckThresholds(th); err != nil {
		t.Error(err)
	}
	for _, bad := range []Thresholds{{Porn: 0, Hentai: 0.5, Combined: 1}, {Porn: 0.5, Hentai: 1.1, Combined: 1}, {Porn: 0.5, Hentai: 0.5, Combined: 3.5},
		{Porn: math.NaN(), Hentai: 0.5, Combined: 1}, {Porn: 0.5, Hentai: math.NaN(), Combined: 1}, {Porn: 0.5, Hentai: 0.5, Combined: math.NaN()},
		{Porn: math.Inf(1), Hentai: 0.5, Combined: 1}} {
		if CheckThresholds(bad) == nil {
			t.Errorf("CheckThresholds(%+v) = nil", bad)
		}
	}
}

func TestDecide(t *testing.T) {
	risk := []string{"image_request"}
	for _, tt := range []struct {
		name string
		p    Policy
		f    Facts
		want Decision
	}{
		{"not nudity", Policy{}, Facts{Branch: AdultToMinor}, Decision{}},
		{"adults", Policy{}, Facts{Branch: NotScanned, Nudity: true}, Decision{}},
		{"adult to minor", Policy{}, Facts{Branch: AdultToMinor, Nudity: true},
			Decision{Action: ActHold, Case: true, CaseReason: CaseAdultToMinor, Signals: []string{SignalNudeImageToChild}}},
		{"minor to adult", Policy{}, Facts{Branch: MinorToAdult, Nudity: true, RiskRules: risk},
			Decision{Action: ActHold, Case: true, CaseReason: CaseMinorToAdult, Signals: []string{SignalChildNudeImageToAdult}}},
		{"peer asked", Policy{}, Facts{Branch: MinorToMinor, Nudity: true}, Decision{Action: ActAsk}},
		{"peer asked despite risk", Policy{}, Facts{Branch: MinorToMinor, Nudity: true, RiskRules: risk}, Decision{Action: ActAsk}},
		{"peer confirmed", Policy{}, Facts{Branch: MinorToMinor, Nudity: true, Confirmed: true, Earlier: 1}, Decision{Action: ActBlur}},
		{"peer confirmed, risk open", Policy{}, Facts{Branch: MinorToMinor, Nudity: true, Confirmed: true, RiskRules: risk},
			Decision{Action: ActBlur, Case: true, CaseReason: CaseRisk}},
		{"peer confirmed, third in the window", Policy{}, Facts{Branch: MinorToMinor, Nudity: true, Confirmed: true, Earlier: 2},
			Decision{Action: ActBlur, Case: true, CaseReason: CaseRepeats}},
		{"peer, limit 5", Policy{RepeatLimit: 5}, Facts{Branch: MinorToMinor, Nudity: true, Confirmed: true, Earlier: 3}, Decision{Action: ActBlur}},
		{"shadow adult to minor", Policy{Shadow: true}, Facts{Branch: AdultToMinor, Nudity: true},
			Decision{Action: ActNone, CaseReason: CaseAdultToMinor, Signals: []string{SignalNudeImageToChild}}},
		{"shadow peer", Policy{Shadow: true}, Facts{Branch: MinorToMinor, Nudity: true}, Decision{Action: ActNone}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.p.Decide(tt.f)); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCaseReasonsRead: each reason a case opens reads as a sentence after
// "A case opened because", as the console writes it: who sent what.
func TestCaseReasonsRead(t *testing.T) {
	for _, r := range []string{CaseAdultToMinor, CaseMinorToAdult, CaseRisk, CaseRepeats} {
		subject, rest, ok := strings.Cut(r, " sent ")
		if !ok || (subject != "an adult" && subject != "a young person") || !strings.Contains(rest, "may show nudity") {
			t.Errorf("A case opened because %s.", r)
		}
	}
	if !strings.Contains(CaseRepeats, "repeated") {
		t.Errorf("the repeats' reason does not name the repeats: %q", CaseRepeats)
	}
}
