package client

import (
	"context"
	"net/url"
	"time"
)

// ReportRequest reports a message, a conversation or an account (a handle):
// exactly one of them, with a reason code and an optional note.
type ReportRequest struct {
	MessageID      int64  `json:"message_id,omitempty"`
	ConversationID int64  `json:"conversation_id,omitempty"`
	Account        string `json:"account,omitempty"`
	Reason         string `json:"reason"`
	Note           string `json:"note,omitempty"`
}

// ReportReceipt is the answer to a report.
type ReportReceipt struct {
	ID          int64     `json:"id"`
	ReceivedAt  time.Time `json:"received_at"`
	Notices     []Notice  `json:"notices"`
	BlockHandle string    `json:"block_handle,omitempty"`
}

// ReportReason is one reason a report can give.
type ReportReason struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// AppealRequest appeals a decision (case_id) or contests a hold of one's own
// message (message_id).
type AppealRequest struct {
	CaseID    int64  `json:"case_id,omitempty"`
	MessageID int64  `json:"message_id,omitempty"`
	Text      string `json:"text"`
}

// AppealReceipt is the answer to an appeal.
type AppealReceipt struct {
	ID         int64     `json:"id"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"received_at"`
}

// Report files a report.
func (c *Client) Report(ctx context.Context, req ReportRequest) (*ReportReceipt, error) {
	var out ReportReceipt
	return &out, c.do(ctx, "POST", "/api/v1/reports", req, &out)
}

// ReportReasons lists the reasons a report can give.
func (c *Client) ReportReasons(ctx context.Context) ([]ReportReason, error) {
	var out struct {
		Reasons []ReportReason `json:"reasons"`
	}
	return out.Reasons, c.do(ctx, "GET", "/api/v1/reports/reasons", nil, &out)
}

// Appeal files an appeal.
func (c *Client) Appeal(ctx context.Context, req AppealRequest) (*AppealReceipt, error) {
	var out AppealReceipt
	return &out, c.do(ctx, "POST", "/api/v1/appeals", req, &out)
}

// The moderators' case API. A case carries references to evidence, never
// content: content is revealed one item at a time (AdminReveal), with who
// and why recorded.

// Case is a case in the review queue.
type Case struct {
	ID              int64     `json:"id"`
	Status          string    `json:"status"`
	Priority        int       `json:"priority"`
	Reasons         []string  `json:"reasons"`
	Signals         []string  `json:"signals"`
	Source          string    `json:"source"`
	Category        string    `json:"category"`
	SenderID        int64     `json:"sender_id"`
	ContentKey      string    `json:"content_key"`
	ConversationID  int64     `json:"conversation_id"`
	MinorSender     bool      `json:"minor_sender"`
	SeniorReview    bool      `json:"senior_review"`
	Assignee        string    `json:"assignee,omitempty"`
	Decision        string    `json:"decision,omitempty"`
	DecisionReason  string    `json:"decision_reason,omitempty"`
	DecidedBy       string    `json:"decided_by,omitempty"`
	ReportReference string    `json:"report_reference,omitempty"`
	LegalHold       bool      `json:"legal_hold"`
	Occurrences     int       `json:"occurrences"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// CaseView is one case with its sender, timeline, occurrences, evidence
// references and who read them, reports and appeals.
type CaseView struct {
	Case          Case             `json:"case"`
	Sender        *CaseSender      `json:"sender,omitempty"` // absent when the account is gone
	Timeline      []CaseEvent      `json:"timeline"`
	Occurrences   []CaseOccurrence `json:"occurrences"`
	Evidence      []EvidenceItem   `json:"evidence"`
	EvidenceReads []EvidenceRead   `json:"evidence_reads"`
	Reports       []CaseReport     `json:"reports"`
	Appeals       []CaseAppeal     `json:"appeals"`
	// ReportFailure says why the report failed (status "report_failed");
	// ReportPackage is where the package awaiting submission by hand is
	// (status "awaiting_submission").
	ReportFailure string `json:"report_failure,omitempty"`
	ReportPackage string `json:"report_package,omitempty"`
}

// CaseSender is the account a case is about.
type CaseSender struct {
	ID     int64  `json:"id"`
	Handle string `json:"handle"`
	Status string `json:"status"`
}

// CaseEvent is one entry of a case's timeline.
type CaseEvent struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // a moderator's name, "system", or "account:ID"
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
}

// CaseOccurrence is one detection a case gathered.
type CaseOccurrence struct {
	ID              int64     `json:"id"`
	DetectionID     int64     `json:"detection_id"`
	Source          string    `json:"source"`
	At              time.Time `json:"at"`
	MessageID       int64     `json:"message_id"`
	ConversationID  int64     `json:"conversation_id"`
	Recipients      []int64   `json:"recipients"`
	Held            bool      `json:"held"`
	ReportReference string    `json:"report_reference"`
}

// EvidenceItem is an entry of a case's evidence log: a reference to an item
// (or a tombstone of one), never its content.
type EvidenceItem struct {
	Seq      int64     `json:"seq"`
	Kind     string    `json:"kind"`
	ItemKind string    `json:"item_kind"`
	Ref      string    `json:"ref"`
	Class    string    `json:"class"`
	Size     int64     `json:"size"`
	Digest   string    `json:"digest"` // SHA-256 of the item, base64
	Target   int64     `json:"target"` // for a tombstone: the Seq of the deleted item
	At       time.Time `json:"at"`
}

// EvidenceRead records that someone read an evidence item, and why.
type EvidenceRead struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	Who string    `json:"who"`
	Why string    `json:"why"`
	// Covers lists the other items the same read opened: a case's
	// conversation is revealed as one thread, in one read.
	Covers []int64 `json:"covers,omitempty"`
}

// CaseReport is a report of a case to law enforcement.
type CaseReport struct {
	Reference   string    `json:"reference"`
	FollowUpOf  string    `json:"follow_up_of"`
	Destination string    `json:"destination"`
	ReceiptID   string    `json:"receipt_id"`
	Priority    int       `json:"priority"`
	Test        bool      `json:"test"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// CaseAppeal is an appeal against a case's decision or a hold.
type CaseAppeal struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	AccountID int64     `json:"account_id"`
	CreatedAt time.Time `json:"created_at"`
	DecidedBy string    `json:"decided_by"`
	Reason    string    `json:"reason"`
}

// CaseAction is the body of a moderator's action on a case or an appeal;
// each action reads the fields it needs (docs/api.md).
type CaseAction struct {
	Moderator string   `json:"moderator"`
	Senior    bool     `json:"senior,omitempty"`
	Decision  string   `json:"decision,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Signals   []string `json:"signals,omitempty"`
	On        *bool    `json:"on,omitempty"`  // legal hold: set (the default) or lift
	Why       string   `json:"why,omitempty"` // reveal: why the moderator reads the item
	Overturn  bool     `json:"overturn,omitempty"`
	// Reference: report-submitted, the reference the receiving body gave
	// the report submitted by hand.
	Reference string `json:"reference,omitempty"`
}

// RevealedEvidence is an evidence item's content, revealed to a moderator.
type RevealedEvidence struct {
	Seq         int64  `json:"seq"`
	Ref         string `json:"ref"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// AppealDecision is the answer to deciding an appeal.
type AppealDecision struct {
	ID        int64  `json:"id"`
	Status    string `json:"status"`
	DecidedBy string `json:"decided_by"`
	Reason    string `json:"reason"`
}

// AppealableDecision is a decision about one's own account that can be
// appealed.
type AppealableDecision struct {
	CaseID    int64     `json:"case_id"`
	Decision  string    `json:"decision"`
	DecidedAt time.Time `json:"decided_at"`
}

// Suspension is what a suspended account is told about its suspension.
type Suspension struct {
	By         string `json:"by"`     // operator or moderator
	Reason     string `json:"reason"` // in words, for the account holder
	Appealable bool   `json:"appealable"`
	CaseID     int64  `json:"case_id,omitempty"` // the decision to appeal, when Appealable
	// HowToContest says, in words, how to ask for the decision to be looked
	// at again: the appeal below, or the operator's support contact.
	HowToContest string `json:"how_to_contest"`
	Contact      string `json:"contact,omitempty"` // the operator's support contact
}

// Appeals is GET /api/v1/appeals: the decisions that can be appealed, and
// for a suspended account, its suspension.
type Appeals struct {
	Decisions  []AppealableDecision `json:"decisions"`
	Suspension *Suspension          `json:"suspension,omitempty"`
}

// Appeals returns the decisions that can be appealed and, for a suspended
// account, why it is suspended and how to contest it.
func (c *Client) Appeals(ctx context.Context) (*Appeals, error) {
	var out Appeals
	return &out, c.do(ctx, "GET", "/api/v1/appeals", nil, &out)
}

// About is GET /api/v1/about: what the app shows about this service.
type About struct {
	SupportContact string `json:"support_contact,omitempty"`
}

// About returns what the app shows about this service; it needs no session.
func (c *Client) About(ctx context.Context) (*About, error) {
	var out About
	return &out, c.do(ctx, "GET", "/api/v1/about", nil, &out)
}

// Appealable lists the decisions about one's own account that can be
// appealed; a suspended account may call it.
func (c *Client) Appealable(ctx context.Context) ([]AppealableDecision, error) {
	var out struct {
		Decisions []AppealableDecision `json:"decisions"`
	}
	return out.Decisions, c.do(ctx, "GET", "/api/v1/appeals", nil, &out)
}

// AdminCases lists the review queue (operator token).
func (c *Client) AdminCases(ctx context.Context) ([]Case, error) {
	var out struct {
		Cases []Case `json:"cases"`
	}
	return out.Cases, c.do(ctx, "GET", "/api/v1/admin/cases", nil, &out)
}

// AdminSearchCases lists the cases of the review queue that q names: a
// case ID, part of a handle (the sender's or the young person's) or a
// category (operator token).
func (c *Client) AdminSearchCases(ctx context.Context, q string) ([]Case, error) {
	var out struct {
		Cases []Case `json:"cases"`
	}
	return out.Cases, c.do(ctx, "GET", "/api/v1/admin/cases?q="+url.QueryEscape(q), nil, &out)
}

// AdminCase returns one case with its timeline, occurrences and evidence.
func (c *Client) AdminCase(ctx context.Context, n int64) (*CaseView, error) {
	var out CaseView
	return &out, c.do(ctx, "GET", "/api/v1/admin/cases/"+id(n), nil, &out)
}

// AdminCaseAction posts a moderator's action on a case: "claim", "decide",
// "close", "legal-hold", "report-retry" or "report-submitted", and returns
// the case after it.
func (c *Client) AdminCaseAction(ctx context.Context, n int64, action string, body CaseAction) (*CaseView, error) {
	var out CaseView
	return &out, c.do(ctx, "POST", "/api/v1/admin/cases/"+id(n)+"/"+action, body, &out)
}

// AdminReveal reveals evidence item seq of case n to a moderator, who says
// why (body.Moderator, body.Why); the read is recorded.
func (c *Client) AdminReveal(ctx context.Context, n, seq int64, body CaseAction) (*RevealedEvidence, error) {
	var out RevealedEvidence
	return &out, c.do(ctx, "POST", "/api/v1/admin/cases/"+id(n)+"/evidence/"+id(seq)+"/reveal", body, &out)
}

// AdminDecideAppeal decides an appeal.
func (c *Client) AdminDecideAppeal(ctx context.Context, n int64, body CaseAction) (*AppealDecision, error) {
	var out AppealDecision
	return &out, c.do(ctx, "POST", "/api/v1/admin/appeals/"+id(n)+"/decide", body, &out)
}
