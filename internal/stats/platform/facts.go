package platform

import (
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Case is what the statistics know of one case: facts the platform
// recorded, never content, names or handles.
type Case struct {
	ID       int64
	Opened   time.Time // when the case was opened
	Detected time.Time // the earliest of its detections
	// Source is the case's detection source (a known image counts before
	// anything else found in the same content).
	Source      safeguard.DetectionSource
	Priority    int
	MinorSender bool
	// Area is the police force area the case is counted in, and AreaOf
	// whose area it is.
	Area   Area
	AreaOf AreaOf
	// App is the app of the conversation where the content was found (for
	// a report of an account, the reporter's app).
	App string

	Status      safeguard.CaseStatus
	Decision    safeguard.Decision
	DecidedAt   time.Time
	FirstReview time.Time // when a moderator first took it up; zero if none has
	ReportedAt  time.Time // when its first law-enforcement report was filed
	Reports     []Report
	Appeals     []Appeal
	Detections  []Detection
}

// Area is a police force area: its ONS code and name. The zero Area is an
// area not recorded (the account gave no local authority).
type Area struct {
	Code string // ONS police force area code, e.g. E23000026
	Name string // e.g. "Bedfordshire"
}

// NotRecorded is how an area that was not recorded is named.
const NotRecorded = "not recorded"

// Label names the area, or NotRecorded.
func (a Area) Label() string {
	if a.Name == "" {
		return NotRecorded
	}
	return a.Name
}

// AreaOf says whose police force area a case is counted in.
type AreaOf string

// Whose area a case is counted in: the child's when it involves one (a
// minor recipient, a minor who reported, or a minor sender), otherwise the
// reported user's.
const (
	AreaOfChild        AreaOf = "child"
	AreaOfReportedUser AreaOf = "reported_user"
	AreaOfNobody       AreaOf = "" // no account to place the case by
)

// Report is one law-enforcement report filed for a case.
type Report struct {
	Reference   string
	FollowUp    bool   // a follow-up of the case's first report
	Destination string // "file-export" (for the NCA), "ncmec"
	Priority    int
	Test        bool
	SubmittedAt time.Time
}

// ToNCA reports whether the report went to the National Crime Agency: the
// NCA takes reports through its portal, so they are exported as files for a
// person to upload.
func (r Report) ToNCA() bool { return r.Destination == "file-export" }

// Appeal is an appeal about a case.
type Appeal struct {
	Kind      safeguard.AppealKind
	Status    safeguard.AppealStatus
	CreatedAt time.Time
	DecidedAt time.Time
}

// Detection is what one detection of a case recorded when it was made.
type Detection struct {
	Source         safeguard.DetectionSource
	At             time.Time
	ConversationID int64 // 0 for a report of an account
	SenderID       int64
	// ConversationE2EE and Members are as they stood at detection time:
	// whether the conversation was end-to-end encrypted, and each member's
	// age band and assurance.
	ConversationE2EE bool
	Members          []safeguard.MemberFacts
}

// ServerSide reports whether the detection came from the server reading
// content — a hash, URL or risk match, the nudity classifier on a new image,
// or content toward a minor that could not be checked — rather than from a
// person's report. End-to-end
// encryption takes that reading away; a person can still report what they
// received (a franking report).
func (d Detection) ServerSide() bool {
	switch d.Source {
	case safeguard.HashMatch, safeguard.URLMatch, safeguard.RiskRule, safeguard.ScanFailure, safeguard.NewImage:
		return true
	}
	return false
}

// FirstReport returns the case's first law-enforcement report, if any.
func (c *Case) FirstReport() (Report, bool) {
	for _, r := range c.Reports {
		if !r.FollowUp {
			return r, true
		}
	}
	return Report{}, false
}

// SourceLabel is a detection source and the words it is shown under.
type SourceLabel struct {
	Source safeguard.DetectionSource
	Words  string
}

// Sources lists the detection sources in the order tables show them.
var Sources = []SourceLabel{
	{safeguard.HashMatch, "image match"},
	{safeguard.URLMatch, "URL match"},
	{safeguard.RiskRule, "risk alert"},
	{safeguard.UserReport, "user report"},
	{safeguard.FrankingReport, "franking report"},
	{safeguard.ScanFailure, "scan failure"},
	{safeguard.NewImage, "new image"},
}

// knownSourceWords reports whether w are the words of one of Sources.
func knownSourceWords(w string) bool {
	for _, s := range Sources {
		if s.Words == w {
			return true
		}
	}
	return false
}

// SourceWords returns the words a detection source is shown under.
func SourceWords(s safeguard.DetectionSource) string {
	for _, x := range Sources {
		if x.Source == s {
			return x.Words
		}
	}
	if s == "" {
		return NotRecorded
	}
	return string(s)
}
