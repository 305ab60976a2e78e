package safeguard

import "time"

// DetectionSource names what found something worth a person's attention.
type DetectionSource string

// The detection sources. The first five come from the server's own checks
// of content it can see; the last two from people.
const (
	HashMatch      DetectionSource = "hash_match"      // a known image, by PDQ or exact hash
	URLMatch       DetectionSource = "url_match"       // a link on a URL list
	RiskRule       DetectionSource = "risk_rule"       // grooming or sextortion rules
	NewImage       DetectionSource = "new_image"       // the nudity classifier, on an image toward or from a minor
	ScanFailure    DetectionSource = "scan_failed"     // content toward a minor that could not be checked
	UserReport     DetectionSource = "user_report"     // someone reported it
	FrankingReport DetectionSource = "franking_report" // a verified report of an E2EE message
)

// MemberFacts is what a detection keeps of one member of the conversation as
// it was at detection time: statistics later ask what each encryption policy
// would have made of the case.
type MemberFacts struct {
	AccountID int64     `json:"account_id"`
	Band      AgeBand   `json:"band"`
	Assurance Assurance `json:"assurance"`
}

// Detection is one finding about one message (or, for a user report, one
// account or conversation). It is written in the transaction that stores or
// holds the message, with an outbox event of type EventDetection, so that a
// case is opened for every detection even across a crash.
type Detection struct {
	ID             int64
	Source         DetectionSource
	At             time.Time
	MessageID      int64 // 0 when the detection is not about one message
	ConversationID int64
	SenderID       int64 // the account whose content it is
	MediaID        int64 // image detections
	Held           bool  // the message was held back from delivery
	// ContentKey identifies the piece of content, so that a case gathers
	// the occurrences of one piece of content from one sender: the image's
	// SHA-256, the bank entry, the normalised URL, or the conversation for
	// a risk alert.
	ContentKey string
	Severity   Severity
	Category   Category
	Summary    string // one line for moderators, never message text
	// Detail holds what the source found, encoded by EncodeFinding: read
	// it with Finding, write it with SetFinding.
	Detail []byte

	// What held at detection time.
	RecipientIDs     []int64
	ConversationE2EE bool
	Members          []MemberFacts
}

// EventDetection is the outbox event of a new detection; its DetectionID
// is in the event's payload as {"detection_id":N}.
const EventDetection = "detection.created"

// EventSafetyNotice is the live event that shows a young person a support
// notice (a risk warning, say).
const EventSafetyNotice = "safety.notice"

// SafetyNotice is a support notice a young person was shown about a message
// in a conversation (a risk warning, say), kept so that it is shown with the
// conversation to that person alone, whenever they open it.
type SafetyNotice struct {
	ID             int64
	AccountID      int64 // the young person shown it
	ConversationID int64
	MessageID      int64  // the message it is about
	Code           string // the notice's code (internal/notice)
	DetectionID    int64  // the detection that raised it, 0 if none
	At             time.Time
}
