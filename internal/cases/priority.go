package cases

import (
	"slices"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
)

// signalsOf maps a detection to the facts the priority assessment reads
// (lawreport.Signal names). docs/cases.md has the table:
//
//   - a risk alert of category sextortion: sextortion in progress;
//   - category meeting: a meeting arranged or proposed;
//   - a rule or signal about asking for images: image request;
//   - category age_deception, or the age_deception signal: age deception;
//   - any signal in Detail named as a lawreport signal passes through
//     (a user report's reason adds its own, see reasons.json).
func signalsOf(d *safeguard.Detection) []string {
	var out []string
	add := func(s lawreport.Signal) {
		if !slices.Contains(out, string(s)) {
			out = append(out, string(s))
		}
	}
	switch d.Category {
	case safeguard.CategorySextortion:
		add(lawreport.SignalSextortionOngoing)
	case safeguard.CategoryMeeting:
		if d.Source != safeguard.UserReport && d.Source != safeguard.FrankingReport {
			add(lawreport.SignalMeetingArranged)
		}
	case safeguard.CategoryAgeDeception:
		add(lawreport.SignalAgeDeception)
	case safeguard.CategorySelfHarm:
		add(lawreport.SignalSelfHarm)
	}
	f, _ := d.Finding() // a detail that does not read names no signals
	for _, name := range f.Signals() {
		switch {
		case validSignal(name):
			add(lawreport.Signal(name))
		case strings.Contains(name, "image_request"):
			add(lawreport.SignalImageRequest)
		case strings.HasPrefix(name, string(safeguard.CategorySextortion)): // a rule or signal named after the category
			add(lawreport.SignalSextortionOngoing)
		case strings.HasPrefix(name, string(safeguard.CategoryMeeting)):
			add(lawreport.SignalMeetingArranged)
		}
	}
	return out
}

func validSignal(s string) bool {
	switch lawreport.Signal(s) {
	case lawreport.SignalSextortionOngoing, lawreport.SignalMeetingArranged, lawreport.SignalOngoingContact,
		lawreport.SignalSelfHarm, lawreport.SignalImmediateDanger, lawreport.SignalImageRequest, lawreport.SignalAgeDeception,
		lawreport.SignalNudeImageToChild, lawreport.SignalChildNudeImageToAdult:
		return true
	}
	return false
}

// bankMatches returns the hash bank entries a detection matched.
func bankMatches(d *safeguard.Detection) []safeguard.BankMatch {
	f, _ := d.Finding() // a detail that does not read names no match
	ms := f.Matches()
	for i := range ms {
		ms[i].Distance = max(0, ms[i].Distance)
	}
	return ms
}

// hashesOf returns the PDQ hash and quality a detection's finding carries.
func hashesOf(d *safeguard.Detection) (pdq string, quality int) {
	f, _ := d.Finding()
	switch {
	case f.KnownImage != nil:
		pdq, quality = f.KnownImage.PDQ, f.KnownImage.Quality
	case f.Unscanned != nil:
		pdq, quality = f.Unscanned.PDQ, f.Unscanned.Quality
	}
	if len(pdq) != 64 {
		return "", 0
	}
	return strings.ToLower(pdq), min(max(quality, 0), 100)
}

// incidentType is the kind of incident a case reports, from its category
// and source.
func incidentType(c *safeguard.Case) lawreport.IncidentType {
	switch {
	case c.Category == safeguard.CategoryKnownImage || c.Source == safeguard.HashMatch:
		return lawreport.CSAMKnown
	case c.Category == safeguard.CategorySuspectedImage:
		return lawreport.CSAMSuspected
	case c.Category == safeguard.CategoryNudity && c.MinorSender:
		// A young person's own image that may show nudity: suspected
		// abuse material until a person looks.
		return lawreport.CSAMSuspected
	case c.Category == safeguard.CategorySextortion:
		return lawreport.Sextortion
	case c.Category == safeguard.CategoryGrooming || c.Category == safeguard.CategoryMeeting || c.Category == safeguard.CategoryAgeDeception:
		return lawreport.Grooming
	case c.Source == safeguard.URLMatch || c.Category == safeguard.CategoryURL:
		return lawreport.URLIncident
	}
	return lawreport.OtherIncident
}

// detectionSource maps the root detection source to the report's.
func detectionSource(s safeguard.DetectionSource) lawreport.DetectionSource {
	switch s {
	case safeguard.HashMatch:
		return lawreport.HashMatch
	case safeguard.URLMatch:
		return lawreport.URLMatch
	case safeguard.RiskRule:
		return lawreport.RiskRule
	case safeguard.UserReport:
		return lawreport.UserReport
	case safeguard.FrankingReport:
		return lawreport.FrankingReport
	case safeguard.NewImage:
		return lawreport.Classifier
	}
	return lawreport.Moderator
}
