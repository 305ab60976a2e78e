package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SessionInfo is one logged-in session of an account.
type SessionInfo struct {
	ID         int64      `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // null when not used since login
	ExpiresAt  time.Time  `json:"expires_at"`
	App        string     `json:"app"`
	Address    string     `json:"address"` // the client address it was opened from
	Current    bool       `json:"current"` // the session of this request
}

// SessionList is an account's sessions that have not expired.
type SessionList struct {
	Sessions []SessionInfo `json:"sessions"`
}

// Retained is one kind of thing account deletion keeps (what, why, until
// when) or deletes (what).
type Retained struct {
	What  string `json:"what"`
	Why   string `json:"why,omitempty"`
	Until string `json:"until,omitempty"`
}

// Deletion is what deleting an account keeps and deletes.
type Deletion struct {
	Kept    []Retained `json:"kept"`
	Deleted []Retained `json:"deleted"`
}

// DeleteAccountRequest deletes the caller's own account.
type DeleteAccountRequest struct {
	Password string `json:"password"`
	Confirm  bool   `json:"confirm"`
}

// PasswordResetRequest redeems a one-time password reset code.
type PasswordResetRequest struct {
	Handle string `json:"handle"`
	// Code is a reset code from an operator or a guardian; RecoveryCode
	// one of the account's own recovery codes. Give one of the two.
	Code         string `json:"code,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
	NewPassword  string `json:"new_password"`
}

// RecoveryCodesRequest asks for a new set of recovery codes, with the
// account's password.
type RecoveryCodesRequest struct {
	Password string `json:"password"`
}

// RecoveryCodeSet is a new set of recovery codes, shown once; the codes of
// any earlier set no longer work.
type RecoveryCodeSet struct {
	Codes []string `json:"codes"`
}

// PreservationRequest records a police preservation request (operator
// only): the agency's reference, its name, the days to hold the data, and
// the operator who records it. Extending one (PATCH) takes Days and By.
type PreservationRequest struct {
	Reference string `json:"reference,omitempty"`
	Agency    string `json:"agency,omitempty"`
	Days      int    `json:"days"`
	By        string `json:"by"`
}

// Preservation is a recorded preservation request; Active while it holds
// the account's data.
type Preservation struct {
	ID         int64     `json:"id"`
	Handle     string    `json:"handle"`
	Reference  string    `json:"reference"`
	Agency     string    `json:"agency"`
	RecordedBy string    `json:"recorded_by"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Active     bool      `json:"active"`
}

// PreservationList is an account's preservation requests, oldest first.
type PreservationList struct {
	Handle        string         `json:"handle"`
	Preservations []Preservation `json:"preservations"`
}

// OperatorChange is the body of an operator's change to an account; By,
// who makes it, is required.
type OperatorChange struct {
	Method    string `json:"method,omitempty"`     // verify, birth-date: how the age was checked
	Note      string `json:"note,omitempty"`       // verify
	Reason    string `json:"reason,omitempty"`     // unverify, birth-date, suspend, unsuspend, delete
	BirthDate string `json:"birth_date,omitempty"` // birth-date: YYYY-MM-DD
	By        string `json:"by"`
}

// GuardianChange is an operator's change of a child's guardians: Remove
// alone unlinks, Add alone links a verified adult, both replace.
type GuardianChange struct {
	Remove string `json:"remove,omitempty"` // handle or ID
	Add    string `json:"add,omitempty"`    // handle or ID
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// ResetCode is a one-time password reset code, shown once.
type ResetCode struct {
	Handle    string    `json:"handle"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AccountPage is a page of accounts found by an operator; Next, when not 0,
// is the "after" of the next page.
type AccountPage struct {
	Accounts []Account `json:"accounts"`
	Next     int64     `json:"next,omitempty"`
}

// AccountCounts is how much an account has.
type AccountCounts struct {
	Contacts      int `json:"contacts"`
	Blocks        int `json:"blocks"`
	Conversations int `json:"conversations"`
	MessagesSent  int `json:"messages_sent"`
	Sessions      int `json:"sessions"` // live sessions
	Cases         int `json:"cases"`
	Reports       int `json:"reports"`
}

// AssuranceChange is one change of an account's age assurance.
type AssuranceChange struct {
	At     time.Time `json:"at"`
	Level  string    `json:"level"`
	From   string    `json:"from,omitempty"`
	Method string    `json:"method,omitempty"`
	Note   string    `json:"note,omitempty"`
	By     string    `json:"by,omitempty"`
}

// AccountDetail is an account as an operator sees it: the account's own
// fields, its guardian links, what it has, and its age-assurance history.
type AccountDetail struct {
	Account
	Guardian         string            `json:"guardian,omitempty"` // handle of the verified adult who approved it
	Guardians        []string          `json:"guardians"`          // handles of all its guardians (at most two), first first
	Children         []string          `json:"children"`           // handles of the children it is guardian of
	Counts           AccountCounts     `json:"counts"`
	AssuranceHistory []AssuranceChange `json:"assurance_history"`
	// BirthDate is the date of birth held (YYYY-MM-DD), shown to operators
	// only; empty once a deleted account's is erased.
	BirthDate string `json:"birth_date,omitempty"`
	// BirthDateCorrected is the last correction of the date of birth, from
	// the audit log; absent when it was never corrected.
	BirthDateCorrected *BirthDateCorrection `json:"birth_date_corrected,omitempty"`
}

// BirthDateCorrection is an operator's correction of a date of birth.
type BirthDateCorrection struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"` // YYYY-MM-DD
	To     string    `json:"to"`
	Method string    `json:"method"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

// AccountDeleted is the answer to an operator's deletion.
type AccountDeleted struct {
	Account Account `json:"account"`
	Deletion
}

// AccountSessions is the answer to an operator's listing of sessions.
type AccountSessions struct {
	Handle   string        `json:"handle"`
	Sessions []SessionInfo `json:"sessions"`
}

// Sessions lists the caller's sessions.
func (c *Client) Sessions(ctx context.Context) ([]SessionInfo, error) {
	var out SessionList
	err := c.do(ctx, http.MethodGet, "/api/v1/sessions", nil, &out)
	return out.Sessions, err
}

// LogoutEverywhere ends every session of the caller's account.
func (c *Client) LogoutEverywhere(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/sessions", nil, nil)
}

// EndSession ends one of the caller's sessions.
func (c *Client) EndSession(ctx context.Context, sessionID int64) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/sessions/"+id(sessionID), nil, nil)
}

// DeletionPlan says what deleting the caller's account keeps and deletes.
func (c *Client) DeletionPlan(ctx context.Context) (*Deletion, error) {
	var out Deletion
	return &out, c.do(ctx, http.MethodGet, "/api/v1/me/deletion", nil, &out)
}

// DeleteAccount deletes the caller's account.
func (c *Client) DeleteAccount(ctx context.Context, password string) (*Deletion, error) {
	var out Deletion
	return &out, c.do(ctx, http.MethodDelete, "/api/v1/me", DeleteAccountRequest{Password: password, Confirm: true}, &out)
}

// ResetPassword redeems a one-time reset code; it needs no session.
func (c *Client) ResetPassword(ctx context.Context, req PasswordResetRequest) error {
	return c.do(ctx, http.MethodPost, "/api/v1/password-resets", req, nil)
}

// NewRecoveryCodes makes a new set of recovery codes for the caller, who
// gives their password; the old codes stop working.
func (c *Client) NewRecoveryCodes(ctx context.Context, password string) (*RecoveryCodeSet, error) {
	var out RecoveryCodeSet
	return &out, c.do(ctx, http.MethodPost, "/api/v1/me/recovery-codes", RecoveryCodesRequest{Password: password}, &out)
}

// AdminPreserve records a preservation request for an account (operator
// only).
func (c *Client) AdminPreserve(ctx context.Context, ref string, req PreservationRequest) (*Preservation, error) {
	var out Preservation
	return &out, c.do(ctx, http.MethodPost, "/api/v1/admin/accounts/"+url.PathEscape(ref)+"/preservations", req, &out)
}

// AdminPreservations lists an account's preservation requests (operator
// only).
func (c *Client) AdminPreservations(ctx context.Context, ref string) (*PreservationList, error) {
	var out PreservationList
	return &out, c.do(ctx, http.MethodGet, "/api/v1/admin/accounts/"+url.PathEscape(ref)+"/preservations", nil, &out)
}

// AdminExtendPreservation extends preservation id of an account by days
// (operator only).
func (c *Client) AdminExtendPreservation(ctx context.Context, ref string, id int64, days int, by string) (*Preservation, error) {
	var out Preservation
	return &out, c.do(ctx, http.MethodPatch, "/api/v1/admin/accounts/"+url.PathEscape(ref)+"/preservations/"+strconv.FormatInt(id, 10),
		PreservationRequest{Days: days, By: by}, &out)
}

// AccountFilter selects accounts for AdminFindAccounts.
type AccountFilter struct {
	Pattern, Band, Status, Assurance string
	Limit                            int
	After                            int64
}

// AdminFindAccounts finds accounts (operator only).
func (c *Client) AdminFindAccounts(ctx context.Context, f AccountFilter) (*AccountPage, error) {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Pattern, "band": f.Band, "status": f.Status, "assurance": f.Assurance} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.After > 0 {
		q.Set("after", id(f.After))
	}
	var out AccountPage
	return &out, c.do(ctx, http.MethodGet, "/api/v1/admin/accounts?"+q.Encode(), nil, &out)
}

// AdminAccountDetail shows an account by handle or numeric ID (operator only).
func (c *Client) AdminAccountDetail(ctx context.Context, ref string) (*AccountDetail, error) {
	var out AccountDetail
	return &out, c.do(ctx, http.MethodGet, "/api/v1/admin/accounts/"+url.PathEscape(ref), nil, &out)
}

// AdminGuardians unlinks, links or replaces a child's guardian (operator
// only) and answers the child's account view.
func (c *Client) AdminGuardians(ctx context.Context, child string, ch GuardianChange) (*AccountDetail, error) {
	var out AccountDetail
	return &out, c.do(ctx, "POST", "/api/v1/admin/accounts/"+url.PathEscape(child)+"/guardians", ch, &out)
}

// AdminAccountChange makes an operator change: action is verify,
// unverify, suspend or unsuspend.
func (c *Client) AdminAccountChange(ctx context.Context, ref, action string, body OperatorChange) (*Account, error) {
	var out Account
	return &out, c.do(ctx, http.MethodPost, "/api/v1/admin/accounts/"+url.PathEscape(ref)+"/"+action, body, &out)
}

// AdminResetPassword gives an account a one-time reset code (operator only).
func (c *Client) AdminResetPassword(ctx context.Context, ref, by string) (*ResetCode, error) {
	var out ResetCode
	return &out, c.do(ctx, http.MethodPost, "/api/v1/admin/accounts/"+url.PathEscape(ref)+"/reset-password", OperatorChange{By: by}, &out)
}

// AdminDeleteAccount deletes an account (operator only).
func (c *Client) AdminDeleteAccount(ctx context.Context, ref, reason, by string) (*AccountDeleted, error) {
	var out AccountDeleted
	return &out, c.do(ctx, http.MethodDelete, "/api/v1/admin/accounts/"+url.PathEscape(ref), OperatorChange{Reason: reason, By: by}, &out)
}

// AdminSessions lists an account's sessions (operator only).
func (c *Client) AdminSessions(ctx context.Context, ref string) (*AccountSessions, error) {
	var out AccountSessions
	return &out, c.do(ctx, http.MethodGet, "/api/v1/admin/accounts/"+url.PathEscape(ref)+"/sessions", nil, &out)
}

// AdminLogout ends every session of an account (operator only).
func (c *Client) AdminLogout(ctx context.Context, ref, by string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/admin/accounts/"+url.PathEscape(ref)+"/sessions", OperatorChange{By: by}, nil)
}
