package safeguard

import (
	"encoding/json"
	"fmt"
	"time"
)

// Category names what a detection is about. Risk rules and report reasons
// may name categories of their own (a lower-case word); the ones below are
// those the platform acts on by name.
type Category string

// The detection categories the platform acts on.
const (
	CategoryKnownImage     Category = "csam_known"     // an image on a hash bank
	CategorySuspectedImage Category = "csam_suspected" // an image someone reported as abuse
	CategoryGrooming       Category = "grooming"
	CategorySextortion     Category = "sextortion"
	CategoryMeeting        Category = "meeting" // a meeting proposed or arranged
	CategoryAgeDeception   Category = "age_deception"
	CategorySelfHarm       Category = "self_harm"
	CategoryURL            Category = "url"       // a link on a URL list
	CategoryUnscanned      Category = "unscanned" // content toward a minor that could not be checked
	CategoryNudity         Category = "nudity"    // an image the nudity classifier found may show nudity
	CategoryHarassment     Category = "harassment"
)

// Severity is how serious a finding is.
type Severity string

// The severities, from least to most serious.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: 0 for none or unknown, 4 for critical.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// BankMatch is one hash bank entry that an image matched.
type BankMatch struct {
	Bank      string `json:"bank"`
	BankID    int64  `json:"bank_id"`
	Entry     string `json:"entry"` // the list's own id for the entry, if it gave one
	EntryID   int64  `json:"entry_id"`
	Kind      string `json:"kind"`                // pdq, md5 or sha256
	Distance  int    `json:"distance"`            // PDQ Hamming distance; 0 for exact hashes
	Transform string `json:"transform,omitempty"` // which rotation or flip of the image matched (PDQ)
}

// Finding is what a detection's source found, in the form each source
// writes. Exactly one part is set, the one of the detection's source; a
// detection without detail (a message held because its check failed, say)
// has none. EncodeFinding and DecodeFinding are the only code that writes
// and reads Detection.Detail.
type Finding struct {
	KnownImage *KnownImage     // hash_match
	Unscanned  *Unscanned      // scan_failed
	Risk       *RiskAlert      // risk_rule
	URL        *URLFinding     // url_match
	Report     *ReportFinding  // user_report
	Verified   *VerifiedReport // franking_report
	Nudity     *NudityFinding  // new_image
}

// KnownImage is the finding of a hash_match detection: the nearest match,
// the others, and the image's hashes.
type KnownImage struct {
	BankMatch               // the nearest match
	Radius      int         `json:"radius"`
	Generation  uint64      `json:"generation"` // the bank generation that answered
	PDQ         string      `json:"pdq,omitempty"`
	Quality     int         `json:"pdq_quality"`
	MD5         string      `json:"md5"`
	SHA256      string      `json:"sha256"`
	Matches     []BankMatch `json:"matches,omitempty"` // the other matches, nearest first
	Suppressed  int         `json:"suppressed,omitempty"`
	Retroactive bool        `json:"retroactive,omitempty"` // delivered earlier, matched later
}

// All returns every bank entry the image matched, nearest first.
func (k *KnownImage) All() []BankMatch {
	out := make([]BankMatch, 0, 1+len(k.Matches))
	if k.Bank != "" {
		out = append(out, k.BankMatch)
	}
	for _, m := range k.Matches {
		if m.Bank != "" {
			out = append(out, m)
		}
	}
	return out
}

// Unscanned is the finding of an image held toward a minor because it could
// not be checked.
type Unscanned struct {
	Reason  string `json:"reason"`
	Quality int    `json:"pdq_quality"`
	MD5     string `json:"md5"`
	SHA256  string `json:"sha256"`
	PDQ     string `json:"pdq,omitempty"`
}

// NudityScores are the nudity classifier's five class probabilities for one
// image (they sum to about 1).
type NudityScores struct {
	Drawing float64 `json:"drawing"`
	Hentai  float64 `json:"hentai"`
	Neutral float64 `json:"neutral"`
	Porn    float64 `json:"porn"`
	Sexy    float64 `json:"sexy"`
}

// NudityThresholds are when scores count as nudity: porn or hentai at or
// above their threshold, or porn, hentai and sexy together at or above
// Combined (internal/nudity explains the defaults).
type NudityThresholds struct {
	Porn     float64 `json:"porn"`
	Hentai   float64 `json:"hentai"`
	Combined float64 `json:"combined"`
}

// Nudity reports whether s counts as nudity under t.
func (t NudityThresholds) Nudity(s NudityScores) bool {
	return s.Porn >= t.Porn || s.Hentai >= t.Hentai || s.Porn+s.Hentai+s.Sexy >= t.Combined
}

// NudityFinding is the finding of a new_image detection: what the nudity
// classifier scored, against which thresholds, and what the platform did.
type NudityFinding struct {
	Model  string       `json:"model"`
	Scores NudityScores `json:"scores"`
	// Frame and Frames, for an animated GIF, whose every frame is
	// classified: the frame whose scores are Scores (the worst, counted
	// from 1), and how many frames were classified. Both 0 for a still
	// image.
	Frame      int              `json:"frame,omitempty"`
	Frames     int              `json:"frames,omitempty"`
	Thresholds NudityThresholds `json:"thresholds"`
	Nudity     bool             `json:"nudity"`
	// Branch is who sent it to whom: adult_to_minor, minor_to_adult or
	// minor_to_minor (internal/nudity).
	Branch string `json:"branch"`
	// Action is what was done: held, delivered_blurred, or, in shadow
	// mode, none.
	Action string `json:"action"`
	Shadow bool   `json:"shadow,omitempty"` // decided and recorded, not acted on
	// Confirmed: a young sender, asked to think first, chose to send it.
	Confirmed bool `json:"confirmed,omitempty"`
	// RiskRules are the risk rules that had fired in the conversation
	// before the image (its risk context).
	RiskRules []string `json:"risk_rules,omitempty"`
	// Repeats counts the sender's images found to show nudity in the
	// window before this one (minor_to_minor).
	Repeats int `json:"repeats,omitempty"`
	// CaseReason says why a case opens, "" when none does.
	CaseReason string `json:"case_reason,omitempty"`
	// Signals are the law-enforcement priority signals it names.
	Signals []string `json:"signals,omitempty"`
	SHA256  string   `json:"sha256"`
}

// FiredRule is one risk rule that fired on a message.
type FiredRule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	Shadow   bool     `json:"shadow,omitempty"` // counted only: no alert, no notice
	FirstAt  int      `json:"first_at"`         // index of the first message it fired at in the conversation
}

// RiskSignal is one signal a risk rule used, at a message of the
// conversation. Evidence is the excerpt that matched; it is message text,
// and is never shown outside the case.
type RiskSignal struct {
	Name         string `json:"name"`
	MessageIndex int    `json:"message_index"`
	Pattern      string `json:"pattern,omitempty"`
	Evidence     string `json:"evidence,omitempty"`
}

// RiskMember is what a risk alert records of one member: the facts the
// rules saw.
type RiskMember struct {
	AccountID            int64     `json:"account_id"`
	Role                 string    `json:"role"` // sender, recipient (the youngest other member) or member
	Band                 AgeBand   `json:"band"`
	DeclaredAge          int       `json:"declared_age"`
	Assurance            Assurance `json:"assurance"`
	AccountAgeDays       int       `json:"account_age_days"`
	Connected            *bool     `json:"connected,omitempty"`
	ContactOrigin        string    `json:"contact_origin,omitempty"`
	RefusedMinorAttempts *int      `json:"refused_minor_attempts,omitempty"`
}

// RiskAlert is the finding of a risk_rule detection: everything the alert
// rests on, so that it explains itself without the conversation.
type RiskAlert struct {
	RuleSetVersion string       `json:"rule_set_version"`
	MessageIndex   int          `json:"message_index"`
	Rules          []FiredRule  `json:"rules"`                 // enforced rules firing for the first time here
	AlsoFiring     []FiredRule  `json:"also_firing,omitempty"` // rules that fired before, and shadow rules
	Signals        []RiskSignal `json:"signals"`
	Notice         string       `json:"notice,omitempty"` // shown to the minors who received the message
	NoticeTo       []int64      `json:"notice_to,omitempty"`
	Members        []RiskMember `json:"members"`
}

// URLListRef names the URL list a link matched.
type URLListRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
}

// URLEntryRef names the list entry a link matched.
type URLEntryRef struct {
	Kind URLEntryKind `json:"kind"`
	Key  string       `json:"key"`
	Line int          `json:"line"`
}

// URLFinding is the finding of a url_match detection.
type URLFinding struct {
	URL   string      `json:"url"` // the normalised link
	List  URLListRef  `json:"list"`
	Entry URLEntryRef `json:"entry"`
}

// ReportFinding is the finding of a member's report.
type ReportFinding struct {
	Reason       string   `json:"reason"` // the report reason's code
	ReporterID   int64    `json:"reporter_id"`
	ReporterBand AgeBand  `json:"reporter_band"`
	Signals      []string `json:"signals"`
}

// VerifiedReport is the finding of a franking report: what the reporter
// revealed of an end-to-end encrypted message and the server verified. The
// message's text is not here: it is kept in the evidence vault, encrypted,
// and Text names it there.
type VerifiedReport struct {
	VerifiedBy   string               `json:"verified_by"` // "franking"
	Reason       string               `json:"reason"`
	ReporterID   int64                `json:"reporter_id"`
	ReporterBand AgeBand              `json:"reporter_band"`
	Signals      []string             `json:"signals,omitempty"`
	Text         *VaultRef            `json:"text,omitempty"` // the revealed text, in the evidence vault
	Attachments  []VerifiedAttachment `json:"attachments,omitempty"`
	Delivery     VerifiedDelivery     `json:"delivery"`
	Commitment   string               `json:"commitment"` // hex franking commitment
	ReceiptKey   uint32               `json:"receipt_key_id"`
}

// VaultRef names bytes kept in the evidence vault before the case that logs
// them exists: their SHA-256, which the log entry will carry, and where the
// vault stores them, encrypted.
type VaultRef struct {
	Digest     string `json:"digest"` // hex SHA-256 of the bytes
	StorageKey string `json:"storage_key"`
	Size       int64  `json:"size"`
}

// VerifiedAttachment is one image of a franking report.
type VerifiedAttachment struct {
	BlobID string `json:"blob_id"`
	SHA256 string `json:"sha256"`
	// MediaID is the decrypted image, kept in the media store as evidence;
	// 0 when the blob was no longer held or did not match its hash.
	MediaID int64  `json:"media_id,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// VerifiedDelivery is how the server delivered a reported message.
type VerifiedDelivery struct {
	SenderAccount    int64     `json:"sender_account"`
	SenderDevice     string    `json:"sender_device"`
	RecipientAccount int64     `json:"recipient_account"`
	ConversationID   int64     `json:"conversation_id"`
	ServerTime       time.Time `json:"server_time"`
	MessageID        int64     `json:"message_id"`
}

// part returns the part set (the last, if several) and how many are set.
func (f Finding) part() (any, int) {
	var p any
	n := 0
	set := func(v any, ok bool) {
		if ok {
			p, n = v, n+1
		}
	}
	set(f.KnownImage, f.KnownImage != nil)
	set(f.Unscanned, f.Unscanned != nil)
	set(f.Risk, f.Risk != nil)
	set(f.URL, f.URL != nil)
	set(f.Report, f.Report != nil)
	set(f.Verified, f.Verified != nil)
	set(f.Nudity, f.Nudity != nil)
	return p, n
}

// EncodeFinding returns the Detail of a detection that found f: nil if f has
// no part, an error if it has more than one.
func EncodeFinding(f Finding) ([]byte, error) {
	p, n := f.part()
	switch n {
	case 0:
		return nil, nil
	case 1:
		return json.Marshal(p)
	}
	return nil, fmt.Errorf("finding with %d parts, want one", n)
}

// DecodeFinding reads the Detail of a detection from source. Empty detail is
// the finding with no part. Fields it does not know are ignored, so that
// rows written by other versions still read; detail that is not the source's
// shape is ErrInvalid.
func DecodeFinding(source DetectionSource, detail []byte) (Finding, error) {
	var f Finding
	if len(detail) == 0 || string(detail) == "null" {
		return f, nil
	}
	var p any
	switch source {
	case HashMatch:
		f.KnownImage = &KnownImage{}
		p = f.KnownImage
	case ScanFailure:
		f.Unscanned = &Unscanned{}
		p = f.Unscanned
	case RiskRule:
		f.Risk = &RiskAlert{}
		p = f.Risk
	case URLMatch:
		f.URL = &URLFinding{}
		p = f.URL
	case UserReport:
		f.Report = &ReportFinding{}
		p = f.Report
	case FrankingReport:
		f.Verified = &VerifiedReport{}
		p = f.Verified
	case NewImage:
		f.Nudity = &NudityFinding{}
		p = f.Nudity
	default:
		return Finding{}, Invalid("invalid_detail", "A detection from %q has no known detail.", string(source))
	}
	if err := json.Unmarshal(detail, p); err != nil {
		return Finding{}, Invalid("invalid_detail", "The detection's detail does not read: %v", err)
	}
	return f, nil
}

// Finding reads d's Detail.
func (d *Detection) Finding() (Finding, error) { return DecodeFinding(d.Source, d.Detail) }

// SetFinding writes f into d's Detail.
func (d *Detection) SetFinding(f Finding) error {
	b, err := EncodeFinding(f)
	if err != nil {
		return err
	}
	d.Detail = b
	return nil
}

// Matches returns the bank entries a finding names, nearest first.
func (f Finding) Matches() []BankMatch {
	if f.KnownImage == nil {
		return nil
	}
	return f.KnownImage.All()
}

// Signals returns the names of the signals a finding names, and the ids of
// the rules that fired, in that order.
func (f Finding) Signals() []string {
	var out []string
	switch {
	case f.Risk != nil:
		for _, s := range f.Risk.Signals {
			out = append(out, s.Name)
		}
		for _, r := range f.Risk.Rules {
			out = append(out, r.ID)
		}
	case f.Report != nil:
		out = append(out, f.Report.Signals...)
	case f.Verified != nil:
		out = append(out, f.Verified.Signals...)
	case f.Nudity != nil:
		out = append(out, f.Nudity.Signals...)
		out = append(out, f.Nudity.RiskRules...)
	}
	return out
}
