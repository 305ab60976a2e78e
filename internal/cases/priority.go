package cases

import (
	"encoding/json"
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
	case "sextortion":
		add(lawreport.SignalSextortionOngoing)
	case "meeting":
		if d.Source != safeguard.UserReport && d.Source != safeguard.FrankingReport {
			add(lawreport.SignalMeetingArranged)
		}
	case "age_deception":
		add(lawreport.SignalAgeDeception)
	case "self_harm":
		add(lawreport.SignalSelfHarm)
	}
	for _, name := range detailNames(d.Detail) {
		switch {
		case validSignal(name):
			add(lawreport.Signal(name))
		case strings.Contains(name, "image_request"):
			add(lawreport.SignalImageRequest)
		case strings.HasPrefix(name, "sextortion"):
			add(lawreport.SignalSextortionOngoing)
		case strings.HasPrefix(name, "meeting"):
			add(lawreport.SignalMeetingArranged)
		}
	}
	return out
}

func validSignal(s string) bool {
	switch lawreport.Signal(s) {
	case lawreport.SignalSextortionOngoing, lawreport.SignalMeetingArranged, lawreport.SignalOngoingContact,
		lawreport.SignalSelfHarm, lawreport.SignalImmediateDanger, lawreport.SignalImageRequest, lawreport.SignalAgeDeception:
		return true
	}
	return false
}

// detailNames reads the names of signals and rules in a detection's detail,
// leniently: "signals" as strings or objects with a "name", "rules" as
// strings or objects with an "id".
func detailNames(detail []byte) []string {
	var d struct {
		Signals []json.RawMessage `json:"signals"`
		Rules   []json.RawMessage `json:"rules"`
	}
	if json.Unmarshal(detail, &d) != nil {
		return nil
	}
	var out []string
	read := func(raws []json.RawMessage, field string) {
		for _, r := range raws {
			var s string
			if json.Unmarshal(r, &s) == nil {
				out = append(out, s)
				continue
			}
			var m map[string]any
			if json.Unmarshal(r, &m) == nil {
				if v, ok := m[field].(string); ok {
					out = append(out, v)
				}
			}
		}
	}
	read(d.Signals, "name")
	read(d.Rules, "id")
	return out
}

// bankMatches reads the hash bank entries a detection matched, leniently:
// top-level bank, entry and distance, or a "matches" list of them.
func bankMatches(detail []byte) []lawreport.BankMatch {
	type match struct {
		Bank     string `json:"bank"`
		Entry    string `json:"entry"`
		Distance int    `json:"distance"`
	}
	var d struct {
		match
		Matches []match `json:"matches"`
	}
	if json.Unmarshal(detail, &d) != nil {
		return nil
	}
	var out []lawreport.BankMatch
	for _, m := range append([]match{d.match}, d.Matches...) {
		if m.Bank != "" {
			out = append(out, lawreport.BankMatch{Bank: m.Bank, Entry: m.Entry, Distance: max(0, m.Distance)})
		}
	}
	return out
}

// hashesOf reads the PDQ hash and quality a detection's detail may carry.
func hashesOf(detail []byte) (pdq string, quality int) {
	var d struct {
		PDQ     string `json:"pdq"`
		Quality int    `json:"pdq_quality"`
	}
	json.Unmarshal(detail, &d)
	if len(d.PDQ) != 64 {
		return "", 0
	}
	return strings.ToLower(d.PDQ), min(max(d.Quality, 0), 100)
}

// incidentType is the kind of incident a case reports, from its category
// and source.
func incidentType(c *safeguard.Case) lawreport.IncidentType {
	switch {
	case c.Category == "csam_known" || c.Source == safeguard.HashMatch:
		return lawreport.CSAMKnown
	case c.Category == "csam_suspected":
		return lawreport.CSAMSuspected
	case c.Category == "sextortion":
		return lawreport.Sextortion
	case c.Category == "grooming" || c.Category == "meeting" || c.Category == "age_deception":
		return lawreport.Grooming
	case c.Source == safeguard.URLMatch || c.Category == "url":
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
	}
	return lawreport.Moderator
}
