package console

import (
	"encoding/json"
	"fmt"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Findings is what a detection's Detail says fired, read for people: the
// rules and signals of a risk alert (each with the index of the message in
// the conversation), the hash bank entries of a known image with their
// distance, the list entry of a link, the reason of a member's report.
// Message text never appears: a signal's evidence excerpt is left out.
type Findings struct {
	RuleSetVersion string
	MessageIndex   *int
	Rules          []FiredRule
	Signals        []Signal
	Matches        []BankMatch
	List           string // a URL list's name
	ListEntry      string // the entry's kind and line
	Reason         string // a member's report reason, in their words
	ReporterBand   safeguard.AgeBand
	VerifiedBy     string // "franking": an end-to-end encrypted message the server verified
	Quality        int    // PDQ quality, when given
}

// FiredRule is one risk rule that fired.
type FiredRule struct {
	ID, Category, Severity string
	FirstAt                *int // index of the first message it fired at
	Shadow                 bool
}

// Signal is one signal found, at a message.
type Signal struct {
	Name         string
	MessageIndex *int
}

// BankMatch is one hash bank entry an image matched.
type BankMatch struct {
	Bank, Entry string
	Distance    int
}

// Empty reports whether nothing was found to show.
func (f Findings) Empty() bool {
	return f.RuleSetVersion == "" && f.MessageIndex == nil && len(f.Rules) == 0 && len(f.Signals) == 0 &&
		len(f.Matches) == 0 && f.List == "" && f.Reason == "" && f.VerifiedBy == ""
}

// ParseFindings reads a detection's Detail, leniently: the sources write
// different shapes, and a field of an unexpected type is skipped, not fatal.
// Only Detail that is not a JSON object at all is an error.
func ParseFindings(detail []byte) (Findings, error) {
	var f Findings
	if len(detail) == 0 {
		return f, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(detail, &raw); err != nil {
		return f, safeguard.Invalid("invalid_detail", "The detection's detail is not a JSON object: %v", err)
	}
	str := func(m map[string]json.RawMessage, k string) string {
		var s string
		if json.Unmarshal(m[k], &s) != nil {
			return ""
		}
		return s
	}
	num := func(m map[string]json.RawMessage, k string) *int {
		var n int
		if _, ok := m[k]; !ok || json.Unmarshal(m[k], &n) != nil {
			return nil
		}
		return &n
	}
	objects := func(k string) []map[string]json.RawMessage {
		var list []json.RawMessage
		if json.Unmarshal(raw[k], &list) != nil {
			return nil
		}
		var out []map[string]json.RawMessage
		for _, item := range list {
			var s string
			if json.Unmarshal(item, &s) == nil {
				b, _ := json.Marshal(s)
				out = append(out, map[string]json.RawMessage{"name": b, "id": b})
				continue
			}
			var m map[string]json.RawMessage
			if json.Unmarshal(item, &m) == nil {
				out = append(out, m)
			}
		}
		return out
	}

	f.RuleSetVersion = str(raw, "rule_set_version")
	f.MessageIndex = num(raw, "message_index")
	for _, m := range objects("rules") {
		var shadow bool
		json.Unmarshal(m["shadow"], &shadow)
		if id := str(m, "id"); id != "" {
			f.Rules = append(f.Rules, FiredRule{ID: id, Category: str(m, "category"), Severity: str(m, "severity"),
				FirstAt: num(m, "first_at"), Shadow: shadow})
		}
	}
	for _, m := range objects("signals") {
		if name := str(m, "name"); name != "" {
			f.Signals = append(f.Signals, Signal{Name: name, MessageIndex: num(m, "message_index")})
		}
	}
	addMatch := func(m map[string]json.RawMessage) {
		if bank := str(m, "bank"); bank != "" {
			d := 0
			if p := num(m, "distance"); p != nil && *p > 0 {
				d = *p
			}
			f.Matches = append(f.Matches, BankMatch{Bank: bank, Entry: str(m, "entry"), Distance: d})
		}
	}
	addMatch(raw)
	for _, m := range objects("matches") {
		addMatch(m)
	}
	if q := num(raw, "pdq_quality"); q != nil {
		f.Quality = *q
	}
	var list, entry map[string]json.RawMessage
	if json.Unmarshal(raw["list"], &list) == nil {
		f.List = str(list, "name")
	}
	if json.Unmarshal(raw["entry"], &entry) == nil {
		kind := str(entry, "kind")
		if line := num(entry, "line"); line != nil {
			f.ListEntry = strings.TrimSpace(fmt.Sprintf("%s, line %d", kind, *line))
		} else {
			f.ListEntry = kind
		}
	}
	f.Reason = str(raw, "reason")
	f.ReporterBand = safeguard.AgeBand(str(raw, "reporter_band"))
	f.VerifiedBy = str(raw, "verified_by")
	return f, nil
}
