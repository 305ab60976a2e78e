package lawreport_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
)

func TestAssess(t *testing.T) {
	detected := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	teen := lawreport.User{AccountID: "c1", DateOfBirth: safeguard.Date{Year: 2011, Month: 1, Day: 1}}
	adult := lawreport.User{AccountID: "u1", AgeBand: safeguard.Adult}
	traced := adult
	traced.Connections = []lawreport.Connection{{IP: netip.MustParseAddr("192.0.2.1"), At: detected, Event: lawreport.EventLogin}}
	verified := adult
	verified.AgeAssurance = safeguard.Verified
	minorSender := lawreport.User{AccountID: "u2", AgeBand: safeguard.Teen}
	known := []lawreport.Content{{Kind: lawreport.KindImage, SentAt: detected, MatchedBanks: []safeguard.BankMatch{{Bank: "b"}}}}
	unknownImage := []lawreport.Content{{Kind: lawreport.KindImage, SentAt: detected}}

	tests := []struct {
		name     string
		typ      lawreport.IncidentType
		signals  []lawreport.Signal
		content  []lawreport.Content
		reported []lawreport.User
		children []lawreport.User
		want     lawreport.Priority
	}{
		{
			name: "sextortion in progress", typ: lawreport.Sextortion,
			signals: []lawreport.Signal{lawreport.SignalSextortionOngoing}, reported: []lawreport.User{adult}, children: []lawreport.User{teen},
			want: lawreport.Priority{Level: 1, Reasons: []string{lawreport.ReasonSextortionOngoing}},
		},
		{
			name: "meeting arranged, no child account known", typ: lawreport.Grooming,
			signals: []lawreport.Signal{lawreport.SignalMeetingArranged}, reported: []lawreport.User{adult},
			want: lawreport.Priority{Level: 1, Reasons: []string{lawreport.ReasonMeetingArranged}},
		},
		{
			name: "self-harm and danger", typ: lawreport.OtherIncident,
			signals:  []lawreport.Signal{lawreport.SignalImmediateDanger, lawreport.SignalSelfHarm},
			reported: []lawreport.User{adult}, children: []lawreport.User{teen},
			want: lawreport.Priority{Level: 1, Reasons: []string{lawreport.ReasonSelfHarm, lawreport.ReasonImmediateDanger}},
		},
		{
			name: "known image to a child in ongoing contact", typ: lawreport.CSAMKnown,
			signals: []lawreport.Signal{lawreport.SignalOngoingContact}, content: known,
			reported: []lawreport.User{adult}, children: []lawreport.User{teen},
			want: lawreport.Priority{Level: 1, Reasons: []string{lawreport.ReasonKnownImageContact}},
		},
		{
			name: "known image matched on content though typed suspected", typ: lawreport.CSAMSuspected,
			signals: []lawreport.Signal{lawreport.SignalOngoingContact}, content: known,
			reported: []lawreport.User{adult}, children: []lawreport.User{teen},
			want: lawreport.Priority{Level: 1, Reasons: []string{lawreport.ReasonKnownImageContact}},
		},
		{
			name: "known image to a child, contact over", typ: lawreport.CSAMKnown, content: known,
			reported: []lawreport.User{adult}, children: []lawreport.User{teen},
			want: lawreport.Priority{Level: 2, Reasons: []string{lawreport.ReasonChildIdentified}},
		},
		{
			name: "unmatched image, ongoing contact", typ: lawreport.CSAMSuspected, content: unknownImage,
			signals:  []lawreport.Signal{lawreport.SignalOngoingContact},
			reported: []lawreport.User{traced}, children: []lawreport.User{teen},
			want: lawreport.Priority{Level: 2, Reasons: []string{lawreport.ReasonChildIdentified, lawreport.ReasonOffenderIdentified}},
		},
		{
			name: "ongoing contact, known image, no child", typ: lawreport.CSAMKnown, content: known,
			signals:  []lawreport.Signal{lawreport.SignalOngoingContact},
			reported: []lawreport.User{traced},
			want:     lawreport.Priority{Level: 2, Reasons: []string{lawreport.ReasonOffenderIdentified}},
		},
		{
			name: "verified identity is traceable", typ: lawreport.CSAMKnown, content: known,
			reported: []lawreport.User{verified},
			want:     lawreport.Priority{Level: 2, Reasons: []string{lawreport.ReasonOffenderIdentified}},
		},
		{
			name: "nothing identified", typ: lawreport.URLIncident, reported: []lawreport.User{adult},
			want: lawreport.Priority{Level: 3, Reasons: []string{lawreport.ReasonNoneIdentified}},
		},
		{
			name: "minor to minor, not urgent", typ: lawreport.CSAMSuspected, content: unknownImage,
			reported: []lawreport.User{minorSender}, children: []lawreport.User{teen},
			want: lawreport.Priority{Level: 2, Reasons: []string{lawreport.ReasonChildIdentified, lawreport.ReasonMinorSender}},
		},
		{
			name: "minor sender alone", typ: lawreport.CSAMSuspected, reported: []lawreport.User{minorSender},
			want: lawreport.Priority{Level: 3, Reasons: []string{lawreport.ReasonNoneIdentified, lawreport.ReasonMinorSender}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := &lawreport.Incident{
				Type: tt.typ, DetectedAt: detected, Signals: tt.signals, Content: tt.content,
				ReportedUsers: tt.reported, Children: tt.children,
			}
			got := lawreport.Assess(inc)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Assess (-want +got):\n%s", diff)
			}
			if len(got.Reasons) == 0 {
				t.Error("no reason given")
			}
			if got.Urgent() != (got.Level == 1) {
				t.Error("Urgent disagrees with Level")
			}
		})
	}
}
