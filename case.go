package safeguard

import "time"

// CaseStatus is where a case stands in review.
type CaseStatus string

// The case statuses. A case is open until a moderator claims it (in
// review), then decided; a decision to report moves it to reported once the
// report is filed, any other decision closes it. A report that could not be
// filed leaves the case report_failed until someone retries it; a package
// exported for a person to submit by hand (no reporting configured) leaves
// it awaiting_submission until they record its submission. A reported case
// stays reported — a law-enforcement report is open, so nothing that could
// warn the suspect is sent — until a moderator closes it.
const (
	CaseOpen               CaseStatus = "open"
	CaseInReview           CaseStatus = "in_review"
	CaseDecided            CaseStatus = "decided"
	CaseReportFailed       CaseStatus = "report_failed"
	CaseAwaitingSubmission CaseStatus = "awaiting_submission"
	CaseReported           CaseStatus = "reported"
	CaseClosed             CaseStatus = "closed"
)

// Valid reports whether s is a known status.
func (s CaseStatus) Valid() bool {
	switch s {
	case CaseOpen, CaseInReview, CaseDecided, CaseReportFailed, CaseAwaitingSubmission, CaseReported, CaseClosed:
		return true
	}
	return false
}

// Decision is what a moderator decided about a case.
type Decision string

// The decisions.
const (
	NoViolation   Decision = "no_violation"
	RemoveContent Decision = "remove"
	Warn          Decision = "warn"
	Suspend       Decision = "suspend"
	Ban           Decision = "ban"
	ReportLE      Decision = "report" // report to law enforcement
)

// Valid reports whether d is a known decision.
func (d Decision) Valid() bool {
	switch d {
	case NoViolation, RemoveContent, Warn, Suspend, Ban, ReportLE:
		return true
	}
	return false
}

// Case gathers what the platform knows about one piece of content from one
// sender (or, for risk alerts, one sender in one conversation): every
// occurrence of it, the detections and reports that found it, the decision
// and its history.
type Case struct {
	ID int64
	// SenderID is the account whose content the case is about (the
	// subject); ContentKey identifies the content (see Detection). The pair
	// is unique: a new detection of the same content from the same sender
	// joins the case.
	SenderID       int64
	ContentKey     string
	ConversationID int64 // of the first occurrence
	Source         DetectionSource
	Category       Category
	Status         CaseStatus
	// Priority is 1 (a child at immediate risk), 2 or 3, with the reasons
	// in the words of the law-enforcement report; Signals are the facts it
	// was assessed from.
	Priority int
	Reasons  []string
	Signals  []string
	// MinorSender marks a case whose sender was a minor at detection: a
	// child to safeguard first. Such a case needs a senior reviewer and
	// never suspends the sender automatically.
	MinorSender  bool
	SeniorReview bool

	Assignee       string // the moderator who claimed it
	Decision       Decision
	DecisionReason string
	DecidedBy      string
	DecidedAt      time.Time

	// ReportReference is the reference of the first law-enforcement report
	// made for the case; follow-ups refer to it. ReportedAt is when it was
	// filed.
	ReportReference string
	ReportedAt      time.Time

	// LegalHold suspends the deletion of the case's evidence.
	LegalHold  bool
	HoldReason string

	Occurrences int // how many occurrences it has
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ReportOpen reports whether a law-enforcement report about the case is
// open — filed, being filed, failed and to be retried, or awaiting its
// submission by hand: while it is, nothing that could warn the suspect is
// sent.
func (c *Case) ReportOpen() bool {
	return c.Status == CaseReported || c.ReportPending()
}

// ReportPending reports whether the case is decided for a report that is
// not filed yet: being filed, failed, or awaiting submission by hand.
func (c *Case) ReportPending() bool {
	switch c.Status {
	case CaseReportFailed, CaseAwaitingSubmission:
		return true
	case CaseDecided:
		return c.Decision == ReportLE
	}
	return false
}

// Occurrence is one time the case's content was sent, found or reported.
type Occurrence struct {
	ID             int64
	CaseID         int64
	DetectionID    int64 // unique: a detection is in one case
	Source         DetectionSource
	At             time.Time
	MessageID      int64
	ConversationID int64
	MediaID        int64
	RecipientIDs   []int64
	Held           bool
	// ReportReference names the law-enforcement report that included the
	// occurrence; empty until one did.
	ReportReference string
	// Node is the server whose case consumer recorded the occurrence (its
	// name in its logs and on /metrics, safeguard_node_info): in a cluster,
	// which server handled the detection. Empty for an occurrence recorded
	// before servers kept it.
	Node string
}

// CaseEvent is one entry of a case's timeline: every change of status,
// claim, decision, appeal, alert and report.
type CaseEvent struct {
	ID     int64
	CaseID int64
	At     time.Time
	Actor  string // a moderator's name, "system", or "account:ID"
	Action string // "opened", "occurrence", "claimed", "decided", …
	From   CaseStatus
	To     CaseStatus
	Reason string
	Detail []byte // JSON, never content
}

// AppealKind tells an appeal against a decision from a complaint about an
// automated hold.
type AppealKind string

// The appeal kinds.
const (
	AppealDecision AppealKind = "decision"
	AppealHold     AppealKind = "hold"
)

// AppealStatus is where an appeal stands.
type AppealStatus string

// The appeal statuses. A deferred appeal waits for a law-enforcement report
// to close before anyone acts on it (or answers it).
const (
	AppealOpen       AppealStatus = "open"
	AppealDeferred   AppealStatus = "deferred"
	AppealUpheld     AppealStatus = "upheld"     // the decision stands
	AppealOverturned AppealStatus = "overturned" // the decision is reversed
)

// Appeal is a request by the affected account to look again at a decision
// or at an automated hold. A moderator other than the one who decided the
// case decides it.
type Appeal struct {
	ID        int64
	CaseID    int64
	AccountID int64
	Kind      AppealKind
	MessageID int64 // for a hold
	Text      string
	Status    AppealStatus
	CreatedAt time.Time
	DecidedBy string
	DecidedAt time.Time
	Reason    string
}

// MemberReport is one report by a member about a message, a conversation or
// an account.
type MemberReport struct {
	ID         int64
	ReporterID int64
	// Target names what was reported: "message:12", "conversation:3",
	// "account:7". A second report of the same target by the same reporter
	// within a short window is the same report.
	Target      string
	Reason      string
	Note        string
	At          time.Time
	DetectionID int64
}

// CaseReport is a law-enforcement report filed for a case: its reference,
// kept five years (S.I. 2026/268), and where it went.
type CaseReport struct {
	ID          int64
	CaseID      int64
	Reference   string
	FollowUpOf  string
	Destination string // "file-export", "ncmec"
	ReceiptID   string // the export directory, or NCMEC's report id
	Priority    int
	Test        bool
	SubmittedAt time.Time
	Receipt     []byte // JSON of the receipt
}
