package client

import (
	"context"
	"encoding/json"
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

// AdminCases lists the review queue (operator token). The cases are raw
// JSON objects, as in docs/api.md.
func (c *Client) AdminCases(ctx context.Context) ([]json.RawMessage, error) {
	var out struct {
		Cases []json.RawMessage `json:"cases"`
	}
	return out.Cases, c.do(ctx, "GET", "/api/v1/admin/cases", nil, &out)
}

// AdminCase returns one case with its timeline, occurrences and evidence.
func (c *Client) AdminCase(ctx context.Context, n int64) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, "GET", "/api/v1/admin/cases/"+id(n), nil, &out)
}

// AdminCaseAction posts a moderator action on a case: "claim", "decide",
// "close", "legal-hold", "export"; body is its JSON body.
func (c *Client) AdminCaseAction(ctx context.Context, n int64, action string, body any) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, "POST", "/api/v1/admin/cases/"+id(n)+"/"+action, body, &out)
}

// AdminDecideAppeal decides an appeal.
func (c *Client) AdminDecideAppeal(ctx context.Context, n int64, body any) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, "POST", "/api/v1/admin/appeals/"+id(n)+"/decide", body, &out)
}
