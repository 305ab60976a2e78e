package console

import (
	"fmt"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Findings is a detection's finding, read for people: the rules and
// signals of a risk alert (each with the index of the message in the
// conversation), the hash bank entries of a known image with their
// distance, the list entry of a link, the reason of a member's report.
// Message text never appears: a signal's evidence excerpt is left out, and
// a verified report's text stays in the evidence vault.
type Findings struct {
	RuleSetVersion string
	MessageIndex   *int
	Rules          []FiredRule
	Signals        []Signal
	Matches        []safeguard.BankMatch
	List           string // a URL list's name
	ListEntry      string // the entry's kind and line
	Reason         string // a member's report reason, in their words
	ReporterBand   safeguard.AgeBand
	VerifiedBy     string // "franking": an end-to-end encrypted message the server verified
	Quality        int    // PDQ quality, when given
	// Nudity is what the nudity classifier scored a new image, against
	// which thresholds, and what was done.
	Nudity *safeguard.NudityFinding
}

// FiredRule is one risk rule that fired.
type FiredRule struct {
	ID       string
	Category safeguard.Category
	Severity safeguard.Severity
	FirstAt  *int // index of the first message it fired at
	Shadow   bool
}

// Signal is one signal found, at a message.
type Signal struct {
	Name         string
	MessageIndex *int
}

// Empty reports whether nothing was found to show.
func (f Findings) Empty() bool {
	return f.RuleSetVersion == "" && f.MessageIndex == nil && len(f.Rules) == 0 && len(f.Signals) == 0 &&
		len(f.Matches) == 0 && f.List == "" && f.Reason == "" && f.VerifiedBy == "" && f.Nudity == nil
}

// Sentence says what a risk alert found, with the message counted from 1
// as the tables count it: "Risk rules a, b at message 15 of the
// conversation." It is "" for other findings, whose detection's summary
// says it.
func (f Findings) Sentence() string {
	if f.RuleSetVersion == "" || f.MessageIndex == nil || *f.MessageIndex < 0 {
		return ""
	}
	var ids []string
	for _, r := range f.Rules {
		ids = append(ids, r.ID)
	}
	rules := "Risk rules " + strings.Join(ids, ", ")
	if len(ids) == 1 {
		rules = "Risk rule " + ids[0]
	}
	return fmt.Sprintf("%s at message %d of the conversation.", rules, *f.MessageIndex+1)
}

// FindingsOf reads a detection's finding for people. A detail that does
// not read as its source's finding is an error.
func FindingsOf(d *safeguard.Detection) (Findings, error) {
	fd, err := d.Finding()
	if err != nil {
		return Findings{}, err
	}
	return findingsView(fd), nil
}

func findingsView(fd safeguard.Finding) Findings {
	var f Findings
	ptr := func(n int) *int { return &n }
	names := func(ss []string) {
		for _, s := range ss {
			if s != "" {
				f.Signals = append(f.Signals, Signal{Name: s})
			}
		}
	}
	switch {
	case fd.KnownImage != nil:
		f.Matches, f.Quality = fd.Matches(), fd.KnownImage.Quality
		for i := range f.Matches {
			f.Matches[i].Distance = max(0, f.Matches[i].Distance)
		}
	case fd.Unscanned != nil:
		f.Quality = fd.Unscanned.Quality
	case fd.Risk != nil:
		r := fd.Risk
		f.RuleSetVersion, f.MessageIndex = r.RuleSetVersion, ptr(r.MessageIndex)
		for _, fr := range r.Rules {
			if fr.ID != "" {
				f.Rules = append(f.Rules, FiredRule{ID: fr.ID, Category: fr.Category, Severity: fr.Severity,
					FirstAt: ptr(fr.FirstAt), Shadow: fr.Shadow})
			}
		}
		for _, s := range r.Signals {
			if s.Name != "" {
				f.Signals = append(f.Signals, Signal{Name: s.Name, MessageIndex: ptr(s.MessageIndex)})
			}
		}
	case fd.URL != nil:
		f.List = fd.URL.List.Name
		f.ListEntry = string(fd.URL.Entry.Kind)
		if fd.URL.Entry.Line > 0 {
			f.ListEntry = fmt.Sprintf("%s, line %d", fd.URL.Entry.Kind, fd.URL.Entry.Line)
		}
	case fd.Report != nil:
		f.Reason, f.ReporterBand = fd.Report.Reason, fd.Report.ReporterBand
		names(fd.Report.Signals)
	case fd.Verified != nil:
		f.Reason, f.ReporterBand, f.VerifiedBy = fd.Verified.Reason, fd.Verified.ReporterBand, fd.Verified.VerifiedBy
		names(fd.Verified.Signals)
	case fd.Nudity != nil:
		f.Nudity = fd.Nudity
		names(fd.Nudity.Signals)
		names(fd.Nudity.RiskRules)
	}
	return f
}
