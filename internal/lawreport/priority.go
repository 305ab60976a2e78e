package lawreport

import (
	"slices"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// Priority is the assessment a report carries: 1 = a child at immediate risk
// (reported at once, with an on-call alert); 2 = an identified child or
// offender not at immediate risk; 3 = other. Reasons says why, in short
// stable sentences; every level has at least one.
type Priority struct {
	Level   int
	Reasons []string
}

// Urgent reports whether p is priority 1: report at once and raise an
// on-call alert.
func (p Priority) Urgent() bool { return p.Level == 1 }

// The reasons Assess gives. They are stable: tests, dashboards and the people
// who read the reports may match on them.
const (
	ReasonSextortionOngoing = "Sextortion of a child is in progress."
	ReasonMeetingArranged   = "A meeting in person with a child has been arranged."
	ReasonSelfHarm          = "A child has shown signs of self-harm or suicide."
	ReasonImmediateDanger   = "A moderator judged a child to be in immediate danger."
	ReasonKnownImageContact = "A known abuse image was sent to an identified child who is still in contact with the reported user."
	ReasonNudeImageToChild  = "An adult sent a child an image that the nudity classifier found may show nudity."
	ReasonChildImageToAdult = "A child sent an adult an image that the nudity classifier found may show nudity."

	ReasonChildIdentified    = "A child on the service is identified."
	ReasonOffenderIdentified = "The reported user can be identified from what the service holds (account, IP addresses or verified identity)."

	ReasonNoneIdentified = "No child is identified and the reported user cannot be traced from what the service holds."

	// ReasonMinorSender is added at any level when a reported user is a
	// minor: the minor-to-minor path applies and the sender is a child to
	// safeguard first.
	ReasonMinorSender = "The reported user is a minor: a child to safeguard first (support, Report Remove, senior review)."
)

// Assess rates the urgency of an incident from its facts alone. It is a pure
// function of inc; docs/law-enforcement-reports.md sets out the rules.
func Assess(inc *Incident) Priority {
	at := inc.DetectedAt
	minorChild := slices.ContainsFunc(inc.Children, func(u User) bool { return u.band(at) != safeguard.Adult })
	has := func(s Signal) bool { return slices.Contains(inc.Signals, s) }

	var p1 []string
	if has(SignalSextortionOngoing) {
		p1 = append(p1, ReasonSextortionOngoing)
	}
	if has(SignalMeetingArranged) {
		p1 = append(p1, ReasonMeetingArranged)
	}
	if has(SignalSelfHarm) {
		p1 = append(p1, ReasonSelfHarm)
	}
	if has(SignalImmediateDanger) {
		p1 = append(p1, ReasonImmediateDanger)
	}
	if minorChild && has(SignalOngoingContact) && inc.knownImage() {
		p1 = append(p1, ReasonKnownImageContact)
	}
	if has(SignalNudeImageToChild) {
		p1 = append(p1, ReasonNudeImageToChild)
	}
	if has(SignalChildNudeImageToAdult) {
		p1 = append(p1, ReasonChildImageToAdult)
	}

	var p Priority
	switch {
	case len(p1) > 0:
		p = Priority{Level: 1, Reasons: p1}
	default:
		var p2 []string
		if len(inc.Children) > 0 {
			p2 = append(p2, ReasonChildIdentified)
		}
		if slices.ContainsFunc(inc.ReportedUsers, func(u User) bool { return u.traceable() }) {
			p2 = append(p2, ReasonOffenderIdentified)
		}
		if len(p2) > 0 {
			p = Priority{Level: 2, Reasons: p2}
		} else {
			p = Priority{Level: 3, Reasons: []string{ReasonNoneIdentified}}
		}
	}
	if inc.minorSender() {
		p.Reasons = append(p.Reasons, ReasonMinorSender)
	}
	return p
}

// knownImage reports whether the incident includes an image or video that
// matched a hash bank.
func (inc *Incident) knownImage() bool {
	if inc.Type == CSAMKnown {
		return true
	}
	return slices.ContainsFunc(inc.Content, func(c Content) bool {
		return (c.Kind == KindImage || c.Kind == KindVideo) && len(c.MatchedBanks) > 0
	})
}

// minorSender reports whether a reported user is a minor at detection.
func (inc *Incident) minorSender() bool {
	return slices.ContainsFunc(inc.ReportedUsers, func(u User) bool { return u.band(inc.DetectedAt).Minor() })
}

// band returns the user's age band at t: the band given, else the one the
// date of birth makes, else "" (unknown).
func (u *User) band(t time.Time) safeguard.AgeBand {
	if u.AgeBand != "" {
		return u.AgeBand
	}
	if !u.DateOfBirth.IsZero() && !t.IsZero() {
		return safeguard.BandOn(u.DateOfBirth, t)
	}
	return ""
}

// traceable reports whether the police could identify the person behind the
// account from what the service holds.
func (u *User) traceable() bool {
	return len(u.Connections) > 0 || u.IdentityDocumentsHeld || u.AgeAssurance == safeguard.Verified
}
