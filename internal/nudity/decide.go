package nudity

import (
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Branch is who sends an image to whom, as far as new images go.
type Branch string

// The branches. Any adult among the sender and the recipients makes a
// conversation with a young person an adult branch.
const (
	// NotScanned: no young person sends or receives it (adults only): it
	// is not classified at all.
	NotScanned Branch = ""
	// AdultToMinor: an adult sends it and a young person would receive it.
	AdultToMinor Branch = "adult_to_minor"
	// MinorToAdult: a young person sends it and an adult would receive it.
	MinorToAdult Branch = "minor_to_adult"
	// MinorToMinor: a young person sends it to young people only.
	MinorToMinor Branch = "minor_to_minor"
)

// BranchOf returns the branch of an image from a sender of band from to
// recipients of bands to. A young sender with no recipient yet (alone in a
// group) is MinorToMinor: whoever joins later is asked about as they come.
func BranchOf(from safeguard.AgeBand, to []safeguard.AgeBand) Branch {
	adultTo, minorTo := false, false
	for _, b := range to {
		if b.Minor() {
			minorTo = true
		} else {
			adultTo = true
		}
	}
	switch {
	case !from.Minor() && minorTo:
		return AdultToMinor
	case from.Minor() && adultTo:
		return MinorToAdult
	case from.Minor():
		return MinorToMinor
	}
	return NotScanned
}

// Action is what is done with an image that counts as nudity.
type Action string

// The actions.
const (
	ActNone    Action = "none"              // delivered as if not found (shadow mode)
	ActHold    Action = "held"              // never delivered
	ActAsk     Action = "ask"               // not sent: the young sender is asked to think first
	ActBlur    Action = "delivered_blurred" // delivered, blurred for the recipients
	ActNothing Action = ""                  // not nudity: nothing to do
)

// Policy is how the platform answers an image found to show nudity.
type Policy struct {
	// Shadow decides and records every decision but acts on none: the
	// image goes on as if it had not been classified, no one is told, and
	// no case opens. For measuring thresholds before enforcing them.
	Shadow bool
	// RepeatLimit is how many images counting as nudity from one young
	// person to other young people, within RepeatWindow, open a case (this
	// one included); default DefaultRepeatLimit.
	RepeatLimit int
	// RepeatWindow: see RepeatLimit; default DefaultRepeatWindow.
	RepeatWindow time.Duration
}

// Defaults of Policy.
const (
	DefaultRepeatLimit  = 3
	DefaultRepeatWindow = 24 * time.Hour
)

// WithDefaults returns p with its zero fields set to the defaults.
func (p Policy) WithDefaults() Policy {
	if p.RepeatLimit <= 0 {
		p.RepeatLimit = DefaultRepeatLimit
	}
	if p.RepeatWindow <= 0 {
		p.RepeatWindow = DefaultRepeatWindow
	}
	return p
}

// Facts are what a decision about one image rests on.
type Facts struct {
	Branch Branch
	Nudity bool // the scores count as nudity under the thresholds
	// Confirmed: the young sender, asked to think first, chose to send it.
	Confirmed bool
	// RiskRules are the risk rules that have fired in the conversation
	// (its risk state is open when there is one).
	RiskRules []string
	// Earlier counts the sender's earlier images counting as nudity sent
	// to young people within the repeat window.
	Earlier int
}

// Signals a decision names for the priority of its case (internal/lawreport
// knows them by these names).
const (
	SignalNudeImageToChild      = "nude_image_to_child"
	SignalChildNudeImageToAdult = "child_nude_image_to_adult"
)

// Why a case opens: each a clause that follows "A case opened because".
const (
	CaseAdultToMinor = "an adult sent a young person an image that may show nudity"
	CaseMinorToAdult = "a young person sent an adult an image that may show nudity"
	CaseRisk         = "a young person sent an image that may show nudity in a conversation where risk rules have fired"
	CaseRepeats      = "a young person sent other young people repeated images that may show nudity"
)

// Decision is what follows a classified image.
type Decision struct {
	Action Action
	// Case opens (or adds to) a case for a moderator; CaseReason says why.
	Case       bool
	CaseReason string
	// Signals are the priority signals of the case: a sexual image sent
	// to a child, or by a child to an adult, is priority 1.
	Signals []string
}

// Decide is the policy for new images (docs/policy.md, "New images"):
//
//   - adult → young person: held, never delivered; a priority 1 case (it is
//     an offence to send a sexual image to a child);
//   - young person → adult: held; a priority 1 case carrying the
//     conversation's risk context; the young person is supported;
//   - young person → young people: the sender is asked to think first; once
//     confirmed, delivered blurred, with no case — unless the conversation's
//     risk state is open (a risk rule has fired) or this is the
//     RepeatLimit-th such image from the sender within RepeatWindow.
//
// In shadow mode the decision is the same but its action is ActNone, and no
// case opens. An image that does not count as nudity has no decision.
func (p Policy) Decide(f Facts) Decision {
	p = p.WithDefaults()
	if !f.Nudity || f.Branch == NotScanned {
		return Decision{}
	}
	var d Decision
	switch f.Branch {
	case AdultToMinor:
		d = Decision{Action: ActHold, Case: true, CaseReason: CaseAdultToMinor, Signals: []string{SignalNudeImageToChild}}
	case MinorToAdult:
		d = Decision{Action: ActHold, Case: true, CaseReason: CaseMinorToAdult, Signals: []string{SignalChildNudeImageToAdult}}
	case MinorToMinor:
		d = p.peer(f)
	}
	if p.Shadow {
		d.Action, d.Case = ActNone, false
	}
	return d
}

// peer decides an image from one young person to others.
func (p Policy) peer(f Facts) Decision {
	if !f.Confirmed {
		return Decision{Action: ActAsk}
	}
	d := Decision{Action: ActBlur}
	switch {
	case len(f.RiskRules) > 0:
		d.Case, d.CaseReason = true, CaseRisk
	case f.Earlier+1 >= p.RepeatLimit:
		d.Case, d.CaseReason = true, CaseRepeats
	}
	return d
}
