package lawreport

import (
	"io"
	"net/netip"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// IncidentType is what kind of exploitation or abuse a report is about.
type IncidentType string

// The incident types, as the NCA report names them.
const (
	CSAMKnown     IncidentType = "csam_known"     // content matched a hash bank
	CSAMSuspected IncidentType = "csam_suspected" // content a person judged to be abuse material
	Grooming      IncidentType = "grooming"
	Sextortion    IncidentType = "sextortion"
	URLIncident   IncidentType = "url" // a link matched a URL list
	OtherIncident IncidentType = "other"
)

// DetectionSource is how the platform came to know of an incident.
type DetectionSource string

// The detection sources.
const (
	HashMatch      DetectionSource = "hash_match"
	URLMatch       DetectionSource = "url_match"
	RiskRule       DetectionSource = "risk_rule"
	UserReport     DetectionSource = "user_report"
	FrankingReport DetectionSource = "franking_report" // a verified report from an E2EE conversation
	Moderator      DetectionSource = "moderator"
	// Classifier: a nudity classifier found a new image (no hash bank knew
	// it). The NCA shape's detection_source has no such value: its report
	// says risk_rule (an automated rule, here over the classifier's scores)
	// and its summary names the classifier; NCMEC's text names it.
	Classifier DetectionSource = "classifier"
)

// ncaSource is the NCA shape's detection_source for s.
func ncaSource(s DetectionSource) DetectionSource {
	if s == Classifier {
		return RiskRule
	}
	return s
}

// Signal is a fact about an incident that bears on how urgent it is. The
// cases layer sets them from the risk rules that fired and from what a
// moderator found; Assess reads them.
type Signal string

// The signals Assess knows.
const (
	// SignalSextortionOngoing: threats to share images, or demands for money
	// or more images, are still being made.
	SignalSextortionOngoing Signal = "sextortion_ongoing"
	// SignalMeetingArranged: a meeting in person with a child has been
	// arranged or proposed with a time or a place.
	SignalMeetingArranged Signal = "meeting_arranged"
	// SignalOngoingContact: the reported user is still in contact with the
	// child (contacts, or messages in the last days).
	SignalOngoingContact Signal = "ongoing_contact"
	// SignalSelfHarm: a child has spoken of self-harm or suicide.
	SignalSelfHarm Signal = "self_harm"
	// SignalImmediateDanger: a moderator judged that a child is in danger now.
	SignalImmediateDanger Signal = "immediate_danger"
	// SignalImageRequest: the reported user asked a child for images.
	SignalImageRequest Signal = "image_request"
	// SignalAgeDeception: an adult presented as a younger person.
	SignalAgeDeception Signal = "age_deception"
	// SignalNudeImageToChild: an adult sent a child an image the nudity
	// classifier found may show nudity.
	SignalNudeImageToChild Signal = "nude_image_to_child"
	// SignalChildNudeImageToAdult: a child sent an adult an image the
	// nudity classifier found may show nudity.
	SignalChildNudeImageToAdult Signal = "child_nude_image_to_adult"
)

// ContentKind is what a piece of reported content is.
type ContentKind string

// The content kinds.
const (
	KindImage ContentKind = "image"
	KindVideo ContentKind = "video"
	KindText  ContentKind = "text"
	KindURL   ContentKind = "url"
	KindFile  ContentKind = "file"
)

// Incident is everything a law-enforcement report is made from: the facts of
// one case as the cases layer and the evidence vault hold them. Build turns it
// into a Package; nothing in it is fetched again.
type Incident struct {
	// Reference is the service's own reference for the report, kept five
	// years (S.I. 2026/268). It names the export directory and keys the
	// idempotence of every Submitter: one reference is filed once.
	Reference string
	// Test marks a report made by a test or a demo. Every document of its
	// package says so, and a Submitter never sends it to a live service.
	Test bool
	// Draft marks the package of a case not decided for a report, made for
	// a person to review: every document of it says DRAFT, and no
	// Submitter but the file export takes it.
	Draft bool
	// FollowUpOf is the reference of the earlier report this one adds to.
	FollowUpOf string

	Service string // the service's name, e.g. "Safeguard"
	App     string // the app or surface where the content was found

	Type            IncidentType
	DetectionSource DetectionSource
	DetectedAt      time.Time
	// ConversationE2EE reports whether the conversation was end-to-end
	// encrypted (the content then came from a verified franking report).
	ConversationE2EE bool
	Summary          string // plain words, for the reader of the report
	Signals          []Signal

	Content       []Content
	ReportedUsers []User // at least one
	Children      []User // children involved, where known
	Declaration   Declaration

	// AlreadyReported lists bodies (NCMEC, or another with corresponding
	// functions) to which this incident was already reported. A report
	// already made to NCMEC is not made to it again.
	AlreadyReported []PriorReport
	// Thread is the message thread around the content, for thread.csv.
	Thread []ThreadMessage
}

// Content is one piece of reported content and what is known about it.
type Content struct {
	Kind     ContentKind
	FileName string    // the name the sender gave the file, if any
	URL      string    // for KindURL: the link
	SentAt   time.Time // when the sender sent or uploaded it

	MD5        string // lower-case hex
	SHA256     string // lower-case hex
	PDQ        string // 64 hex digits
	PDQQuality int    // 0–100

	MatchedBanks []safeguard.BankMatch
	EXIF         map[string]string
	// ViewedByPerson reports whether someone at the service looked at the
	// content itself (not only its hash). NCMEC asks for it per file.
	ViewedByPerson bool
	// Classification is the industry classification (A1, A2, B1, B2) when
	// the operator takes part in the industry hash-sharing scheme; empty
	// otherwise.
	Classification string
	EvidenceID     string // the evidence vault entry that preserves it

	// Upload is the connection the file came from, when known.
	Upload *Connection

	// The file itself, for the export and the NCMEC upload: Data, or Open
	// for content too large to hold. Neither set means no file is attached
	// (the evidence may be gone); the hashes still are.
	ContentType string
	Data        []byte
	Open        func() (io.ReadCloser, error)

	// AlreadyReported lists bodies to which this very content was already
	// reported. Such content is named in already_reported_to and left out of
	// the content of the new report.
	AlreadyReported []PriorReport
}

// HasFile reports whether c carries a file to export or upload.
func (c *Content) HasFile() bool { return c.Data != nil || c.Open != nil }

// AccountStatus is where an account stands, in the words of the NCA report.
type AccountStatus string

// The account statuses a report names.
const (
	StatusActive    AccountStatus = "active"
	StatusSuspended AccountStatus = "suspended"
	StatusBanned    AccountStatus = "banned"
	StatusDeleted   AccountStatus = "deleted"
)

// User is an account named in a report: a reported user or a child.
type User struct {
	AccountID    string
	Handle       string
	DisplayName  string
	AgeBand      safeguard.AgeBand // empty: computed from DateOfBirth at DetectedAt, or unknown
	DateOfBirth  safeguard.Date    // zero if not held
	AgeAssurance safeguard.Assurance
	Email        string
	Phone        string
	// IdentityDocumentsHeld reports whether the service holds identity
	// documents for the account (from an age check).
	IdentityDocumentsHeld bool
	CreatedAt             time.Time
	Status                AccountStatus

	// LocalAuthority is the ONS code or name of the local authority where
	// the account holder lives. Build routes the user to a police force
	// area from it unless PoliceForce is already set.
	LocalAuthority string
	PoliceForce    Force

	// Connections are the IP addresses, source ports and times of logins
	// and of sending the content: at least the two weeks before detection.
	Connections       []Connection
	ConnectedAccounts []ConnectedAccount
}

// Force is a police force area: its ONS code and the force's name.
type Force struct {
	Code string // e.g. E23000026
	Name string // e.g. Bedfordshire Police
}

// ConnectionEvent is what the user was doing when a connection was recorded.
type ConnectionEvent string

// The connection events.
const (
	EventLogin  ConnectionEvent = "login"
	EventSend   ConnectionEvent = "send"
	EventUpload ConnectionEvent = "upload"
	EventOther  ConnectionEvent = "other"
)

// Connection is one recorded connection of a user: address, source port and
// time. Port 0 means the port was not recorded.
type Connection struct {
	IP     netip.Addr
	Port   uint16
	At     time.Time
	Event  ConnectionEvent
	Device string // a short description of the client, e.g. "android 3.2"
}

// ConnectedAccount is another account linked to a user (a second account, a
// guardian).
type ConnectedAccount struct {
	AccountID string
	Handle    string
	Relation  string // e.g. "linked", "guardian", "same_device"
}

// Declaration is the statement by an authorised person that the report is
// true to the best of the service's knowledge.
type Declaration struct {
	By        string
	Role      string
	Statement string
	MadeAt    time.Time
}

// PriorReport is a report already made to another body.
type PriorReport struct {
	Body      string // e.g. BodyNCMEC
	Reference string // that body's reference, e.g. the CyberTipline report id
}

// Bodies a report can already have been made to.
const (
	BodyNCMEC = "NCMEC"
	BodyNCA   = "NCA"
)

// ThreadMessage is one message of the thread around the reported content,
// as written to thread.csv.
type ThreadMessage struct {
	ID           string
	SentAt       time.Time
	SenderID     string
	SenderHandle string
	Kind         string // text, image, envelope
	Text         string
	// ContentIndex is the 1-based index in Incident.Content of the content
	// this message carries; 0 if none.
	ContentIndex int
	Held         bool // held back from delivery
}
