package risk

import (
	"time"

	"github.com/safeguard-dev/safeguard"
)

// Member is what the scorer knows about one account in a conversation. The
// store fills it from the account, its contacts and its refused attempts.
type Member struct {
	ID           string
	AgeBand      safeguard.AgeBand   // child, teen or adult; "" if unknown
	DeclaredAge  int                 // age in years from the date of birth; 0 if unknown
	AgeAssurance safeguard.Assurance // self-declared or verified; "" if unknown
	// Connected is true when the account was a contact of the other members
	// before the conversation began.
	Connected bool
	// AccountAgeDays is how old the account is in days; nil if unknown.
	AccountAgeDays *int
	// ContactOrigin is how the contact began: "minor_requested",
	// "adult_requested", "group", or "" if unknown.
	ContactOrigin string
	// RefusedMinorAttempts counts the distinct minors this account tried to
	// reach without being their contact (the platform records each refusal).
	RefusedMinorAttempts int
	// GuardianOf lists the members (by ID) whose linked guardian this
	// account is.
	GuardianOf []string
}

// guardianOf reports whether m is the linked guardian of the member id.
func (m *Member) guardianOf(id string) bool {
	for _, g := range m.GuardianOf {
		if g == id {
			return true
		}
	}
	return false
}

// Message is one message as the scorer sees it.
type Message struct {
	From     string        // the sender's Member.ID
	T        time.Duration // time since the conversation began
	Text     string        // the text or the image caption
	HasImage bool
	// At is when the message was sent, in the time zone where the young
	// person lives: its hour says whether it came at night. Zero if
	// unknown.
	At time.Time
}

// Night is the local time, from NightFrom o'clock to NightUntil o'clock,
// at which talk between a minor and someone older raises the severity of an
// alert (see Engine.Score).
const (
	NightFrom  = 23
	NightUntil = 5
)

// atNight reports whether t, in its own location, falls at night.
func atNight(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	h := t.Hour()
	return h >= NightFrom || h < NightUntil
}

// olderWithMinor reports whether a is older than b, a minor: a is an
// adult, or three or more years older by their profiles.
func olderWithMinor(a, b *Member) bool {
	return b.AgeBand.Minor() && (a.AgeBand == safeguard.Adult ||
		a.DeclaredAge > 0 && b.DeclaredAge > 0 && a.DeclaredAge-b.DeclaredAge >= 3)
}

// nightTalk reports whether m, sent by sender, is talk at night between a
// minor and someone older: the sender and another member are such a pair.
func nightTalk(m Message, sender *Member, members []Member) bool {
	if !atNight(m.At) {
		return false
	}
	for i := range members {
		o := &members[i]
		if o.ID != sender.ID && (olderWithMinor(sender, o) || olderWithMinor(o, sender)) {
			return true
		}
	}
	return false
}

// raise returns the severity one step above s; critical stays critical.
func raise(s Severity) Severity {
	switch s {
	case Low:
		return Medium
	case Medium:
		return High
	case High, Critical:
		return Critical
	}
	return s
}

// Severity is how serious a rule's finding is: the platform's severity.
type Severity = safeguard.Severity

// The severities, from least to most serious.
const (
	Low      = safeguard.SeverityLow
	Medium   = safeguard.SeverityMedium
	High     = safeguard.SeverityHigh
	Critical = safeguard.SeverityCritical
)

// Notice is the code of the support notice a minor in the conversation should
// see. The texts live with the other safety texts; this package only names
// them.
type Notice string

// The notices. SextortionWarning says: do not pay, do not send more, it is not
// your fault, and Report Remove can help take images down.
const (
	NoNotice          Notice = ""
	RiskWarning       Notice = "risk_warning"
	SextortionWarning Notice = "sextortion_warning"
	// SextortionEmergency is for a young person whose own words show they
	// are being extorted: it is shown to the sender of the message at once,
	// with Report Remove and the link to report to CEOP, and nobody else in
	// the conversation sees anything different.
	SextortionEmergency Notice = "sextortion_emergency"
)

// rank orders notices: an emergency outranks a sextortion warning, which
// outranks a risk warning.
func (n Notice) rank() int {
	switch n {
	case RiskWarning:
		return 1
	case SextortionWarning:
		return 2
	case SextortionEmergency:
		return 3
	}
	return 0
}

// Mode says whether a rule acts.
type Mode string

// The modes. A shadow rule is evaluated and counted but never raises an
// alert, so a new rule can be measured on live traffic before it acts.
const (
	Enforce Mode = "enforce"
	Shadow  Mode = "shadow"
)
