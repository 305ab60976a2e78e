package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// Client calls the API of one Safeguard server as one account (or, with the
// operator token, as the operator). Its zero value is not usable; set BaseURL.
type Client struct {
	BaseURL string       // e.g. "http://127.0.0.1:8080"
	Token   string       // session token, or the operator token for admin calls
	HTTP    *http.Client // http.DefaultClient if nil
	// App names the app the calls come through, when one server serves
	// several; empty means the account's own app.
	App string
	// Handle is the handle of the account Login logged in, like "leo.37".
	Handle string

	lastEvent atomic.Uint64 // the ID of the last live event read, for Events to resume from
}

// New returns a client for the server at baseURL.
func New(baseURL string) *Client { return &Client{BaseURL: strings.TrimRight(baseURL, "/")} }

// APIError is an error answer of the API.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// ErrorCode returns the API error code of err, or "" if err is not an API
// error.
func ErrorCode(err error) string {
	var e *APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// do sends a request with a JSON body (if in is not nil) and decodes a JSON
// answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

func (c *Client) send(req *http.Request, out any) error {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.App != "" {
		req.Header.Set("X-Safeguard-App", c.App)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return decodeError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

func decodeError(resp *http.Response) error {
	var eb ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &eb) != nil || eb.Error.Code == "" {
		return &APIError{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(b))}
	}
	return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Accounts and sessions.

// SignUp creates an account. The account's Handle, assigned by the server,
// is what Login takes.
func (c *Client) SignUp(ctx context.Context, req SignUpRequest) (*Account, error) {
	var out Account
	return &out, c.do(ctx, "POST", "/api/v1/accounts", req, &out)
}

// Login starts a session and keeps its token in the client.
func (c *Client) Login(ctx context.Context, handle, password string) (*Session, error) {
	var out Session
	if err := c.do(ctx, "POST", "/api/v1/sessions", SessionRequest{Handle: handle, Password: password}, &out); err != nil {
		return nil, err
	}
	c.Token, c.Handle = out.Token, out.Account.Handle
	c.lastEvent.Store(0) // event IDs are the account's
	return &out, nil
}

// Logout ends the client's session.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, "DELETE", "/api/v1/sessions/current", nil, nil)
}

// Me returns the client's account.
func (c *Client) Me(ctx context.Context) (*Account, error) {
	var out Account
	return &out, c.do(ctx, "GET", "/api/v1/me", nil, &out)
}

// Lookup asks whether an account with handle exists for the caller.
func (c *Client) Lookup(ctx context.Context, handle string) (*Profile, error) {
	var out Profile
	return &out, c.do(ctx, "GET", "/api/v1/accounts/"+url.PathEscape(handle), nil, &out)
}

// Guardians.

// LinkGuardian approves a child's account with the code the child was given.
func (c *Client) LinkGuardian(ctx context.Context, code string) (*Account, error) {
	var out Account
	return &out, c.do(ctx, "POST", "/api/v1/guardian/link", GuardianLinkRequest{Code: code}, &out)
}

// NewGuardianCode gives the caller, a child waiting for a guardian, a new
// code in place of the one they had.
func (c *Client) NewGuardianCode(ctx context.Context) (*Account, error) {
	var out Account
	return &out, c.do(ctx, "POST", "/api/v1/guardian/code", nil, &out)
}

// SecondGuardianCode gives the caller, a guardian of the child with handle,
// a code for the child's second guardian.
func (c *Client) SecondGuardianCode(ctx context.Context, child string) (*GuardianCode, error) {
	var out GuardianCode
	return &out, c.do(ctx, "POST", "/api/v1/guardian/children/"+url.PathEscape(child)+"/code", nil, &out)
}

// ChildResetCode gives the caller, a guardian, a one-time password reset
// code for their child under 13 with handle.
func (c *Client) ChildResetCode(ctx context.Context, child string) (*ResetCode, error) {
	var out ResetCode
	return &out, c.do(ctx, "POST", "/api/v1/guardian/children/"+url.PathEscape(child)+"/reset-code", nil, &out)
}

// StepDown ends the caller's guardianship of the child with handle.
func (c *Client) StepDown(ctx context.Context, child string) error {
	return c.do(ctx, "DELETE", "/api/v1/guardian/children/"+url.PathEscape(child), nil, nil)
}

// Children lists the children the caller is guardian of.
func (c *Client) Children(ctx context.Context) ([]Account, error) {
	var out struct {
		Children []Account `json:"children"`
	}
	return out.Children, c.do(ctx, "GET", "/api/v1/guardian/children", nil, &out)
}

// GuardianRequests lists contact requests of the caller's children waiting
// for the caller.
func (c *Client) GuardianRequests(ctx context.Context) ([]GuardianRequest, error) {
	var out struct {
		Requests []GuardianRequest `json:"requests"`
	}
	return out.Requests, c.do(ctx, "GET", "/api/v1/guardian/requests", nil, &out)
}

// GuardianContacts lists the contacts of the caller's children (who they
// are, never what they say).
func (c *Client) GuardianContacts(ctx context.Context) ([]GuardianContact, error) {
	var out struct {
		Contacts []GuardianContact `json:"contacts"`
	}
	return out.Contacts, c.do(ctx, "GET", "/api/v1/guardian/contacts", nil, &out)
}

// GuardianDecide approves or declines a child's contact request.
func (c *Client) GuardianDecide(ctx context.Context, requestID int64, approve bool) error {
	verb := "decline"
	if approve {
		verb = "approve"
	}
	return c.do(ctx, "POST", "/api/v1/guardian/requests/"+id(requestID)+"/"+verb, nil, nil)
}

// Contacts and blocks.

// RequestContact asks the account with handle to be a contact.
func (c *Client) RequestContact(ctx context.Context, handle string) (*Contact, error) {
	var out Contact
	return &out, c.do(ctx, "POST", "/api/v1/contacts", ContactRequest{To: handle}, &out)
}

// AcceptContact accepts a request made to the caller.
func (c *Client) AcceptContact(ctx context.Context, contactID int64) (*Contact, error) {
	var out Contact
	return &out, c.do(ctx, "POST", "/api/v1/contacts/"+id(contactID)+"/accept", nil, &out)
}

// DeclineContact declines a request made to the caller.
func (c *Client) DeclineContact(ctx context.Context, contactID int64) (*Contact, error) {
	var out Contact
	return &out, c.do(ctx, "POST", "/api/v1/contacts/"+id(contactID)+"/decline", nil, &out)
}

// BlockContact blocks the other side of a contact or request.
func (c *Client) BlockContact(ctx context.Context, contactID int64) ([]Notice, error) {
	var out Notices
	return out.Notices, c.do(ctx, "POST", "/api/v1/contacts/"+id(contactID)+"/block", nil, &out)
}

// Block blocks the account with handle.
func (c *Client) Block(ctx context.Context, handle string) ([]Notice, error) {
	var out Notices
	return out.Notices, c.do(ctx, "POST", "/api/v1/blocks", BlockRequest{Handle: handle}, &out)
}

// Unblock lifts a block.
func (c *Client) Unblock(ctx context.Context, handle string) error {
	return c.do(ctx, "DELETE", "/api/v1/blocks/"+url.PathEscape(handle), nil, nil)
}

// Contacts lists the caller's contacts, requests and blocks.
func (c *Client) Contacts(ctx context.Context) (*Contacts, error) {
	var out Contacts
	return &out, c.do(ctx, "GET", "/api/v1/contacts", nil, &out)
}

// Conversations.

// CreateConversation starts a conversation.
func (c *Client) CreateConversation(ctx context.Context, req ConversationRequest) (*Conversation, error) {
	var out Conversation
	return &out, c.do(ctx, "POST", "/api/v1/conversations", req, &out)
}

// Conversation returns one conversation.
func (c *Client) Conversation(ctx context.Context, conversationID int64) (*Conversation, error) {
	var out Conversation
	return &out, c.do(ctx, "GET", "/api/v1/conversations/"+id(conversationID), nil, &out)
}

// Conversations lists the caller's conversations and invitations.
func (c *Client) Conversations(ctx context.Context) ([]Conversation, error) {
	var out struct {
		Conversations []Conversation `json:"conversations"`
	}
	return out.Conversations, c.do(ctx, "GET", "/api/v1/conversations", nil, &out)
}

// AddMember adds someone to a group.
func (c *Client) AddMember(ctx context.Context, conversationID int64, handle string) (*Conversation, error) {
	var out Conversation
	return &out, c.do(ctx, "POST", "/api/v1/conversations/"+id(conversationID)+"/members", MemberRequest{Handle: handle}, &out)
}

// RemoveMember removes someone from a group the caller started.
func (c *Client) RemoveMember(ctx context.Context, conversationID int64, handle string) (*Conversation, error) {
	var out Conversation
	return &out, c.do(ctx, "DELETE", "/api/v1/conversations/"+id(conversationID)+"/members/"+url.PathEscape(handle), nil, &out)
}

// AcceptInvitation joins a group the caller was invited to.
func (c *Client) AcceptInvitation(ctx context.Context, conversationID int64) (*Conversation, error) {
	var out Conversation
	return &out, c.do(ctx, "POST", "/api/v1/conversations/"+id(conversationID)+"/accept", nil, &out)
}

// Leave leaves a conversation or declines an invitation.
func (c *Client) Leave(ctx context.Context, conversationID int64) (*Conversation, error) {
	var out Conversation
	return &out, c.do(ctx, "POST", "/api/v1/conversations/"+id(conversationID)+"/leave", nil, &out)
}

// Messages.

// SendText sends a text message.
func (c *Client) SendText(ctx context.Context, conversationID int64, text string) (*Message, error) {
	var out Message
	return &out, c.do(ctx, "POST", "/api/v1/conversations/"+id(conversationID)+"/messages", MessageRequest{Text: text}, &out)
}

// SendEnvelope sends an end-to-end encrypted envelope.
func (c *Client) SendEnvelope(ctx context.Context, conversationID int64, envelope, frankingTag []byte) (*Message, error) {
	var out Message
	return &out, c.do(ctx, "POST", "/api/v1/conversations/"+id(conversationID)+"/messages",
		MessageRequest{Envelope: envelope, FrankingTag: frankingTag}, &out)
}

// CodeConfirmImage is the error code of the answer (409) to a young
// person's image that may show nudity, sent to another young person: nothing
// was stored or sent. The error's message asks them to think first, in plain
// words; to send it all the same, send the same image again with
// SendImageConfirmed.
const CodeConfirmImage = "confirm_image"

// SendImage uploads an image with an optional caption. When a young person
// sends another young person an image that may show nudity, the answer is an
// *APIError with code CodeConfirmImage and nothing is sent: show its
// message, and call SendImageConfirmed if they still want to send it.
func (c *Client) SendImage(ctx context.Context, conversationID int64, filename, contentType string, data []byte, caption string) (*Message, error) {
	return c.Upload(ctx, conversationID, ImageUpload{Filename: filename, ContentType: contentType, Data: data, Caption: caption})
}

// SendImageConfirmed sends an image the sender was asked about
// (CodeConfirmImage) and chose to send: the form carries confirm=true.
func (c *Client) SendImageConfirmed(ctx context.Context, conversationID int64, filename, contentType string, data []byte, caption string) (*Message, error) {
	return c.Upload(ctx, conversationID, ImageUpload{Filename: filename, ContentType: contentType, Data: data, Caption: caption, Confirm: true})
}

// ImageUpload is an image message to send.
type ImageUpload struct {
	Filename, ContentType string
	Data                  []byte
	Caption               string
	// Confirm answers CodeConfirmImage: the sender was asked to think
	// first and chose to send it (form field confirm=true).
	Confirm bool
}

// Upload sends an image message as a multipart form: a file part "image",
// and the fields "text" (the caption) and "confirm".
func (c *Client) Upload(ctx context.Context, conversationID int64, u ImageUpload) (*Message, error) {
	filename, contentType, data, caption := u.Filename, u.ContentType, u.Data, u.Caption
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="image"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		return nil, err
	}
	part.Write(data)
	if caption != "" {
		mw.WriteField("text", caption)
	}
	if u.Confirm {
		mw.WriteField("confirm", "true")
	}
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, "POST", c.BaseURL+"/api/v1/conversations/"+id(conversationID)+"/messages", &buf)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var out Message
	return &out, c.send(req, &out)
}

// SendDirect sends a text to someone by handle, in their one-to-one chat.
func (c *Client) SendDirect(ctx context.Context, handle, text string) (*Message, error) {
	var out Message
	return &out, c.do(ctx, "POST", "/api/v1/messages", DirectMessageRequest{To: handle, Text: text}, &out)
}

// HistoryQuery selects a page of history. Zero values mean the newest page.
type HistoryQuery struct {
	Before, After int64
	Limit         int
}

// History returns a page of a conversation's messages.
func (c *Client) History(ctx context.Context, conversationID int64, q HistoryQuery) (*MessagePage, error) {
	v := url.Values{}
	if q.Before > 0 {
		v.Set("before", id(q.Before))
	}
	if q.After > 0 {
		v.Set("after", id(q.After))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/api/v1/conversations/" + id(conversationID) + "/messages"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out MessagePage
	return &out, c.do(ctx, "GET", path, nil, &out)
}

// MarkRead moves the caller's read marker.
func (c *Client) MarkRead(ctx context.Context, conversationID, messageID int64) error {
	return c.do(ctx, "POST", "/api/v1/conversations/"+id(conversationID)+"/read", ReadRequest{MessageID: messageID}, nil)
}

// ReadMarkers returns how far each member has read.
func (c *Client) ReadMarkers(ctx context.Context, conversationID int64) ([]ReadMarker, error) {
	var out struct {
		Read []ReadMarker `json:"read"`
	}
	return out.Read, c.do(ctx, "GET", "/api/v1/conversations/"+id(conversationID)+"/read", nil, &out)
}

// Media downloads an image.
func (c *Client) Media(ctx context.Context, mediaID int64) (data []byte, contentType string, err error) {
	return c.getRaw(ctx, "/api/v1/media/"+id(mediaID))
}

// getRaw fetches path as bytes, with the document's media type: for what is
// not JSON (media, blobs, rendered reports).
func (c *Client) getRaw(ctx context.Context, path string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.BaseURL+path, nil)
	if err != nil {
		return nil, "", err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.App != "" {
		req.Header.Set("X-Safeguard-App", c.App)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, "", decodeError(resp)
	}
	data, err := io.ReadAll(resp.Body)
	return data, resp.Header.Get("Content-Type"), err
}

// Events opens the live event stream. Events arrive on the channel until ctx
// ends or the stream closes. The client remembers the ID of the last event
// it read and sends it (Last-Event-ID) when Events is called again, so that
// the server replays what was missed in between; when it no longer can, the
// new stream begins with "resync", and the caller fetches its conversations
// and history. The server's last event says why a stream closed: after
// "resync" the caller calls Events again; after "session.ended" it logs in
// again; after "stream.replaced" (a newer stream of the account took its
// place) it calls Events again only when its user comes back.
func (c *Client) Events(ctx context.Context) (<-chan Event, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.BaseURL+"/api/v1/events", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if id := c.lastEvent.Load(); id != 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(id, 10))
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	ch := make(chan Event, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		c.readEvents(ctx, resp.Body, ch)
	}()
	return ch, nil
}

// LastEventID returns the ID of the last live event the client read: what
// Events sends to resume from.
func (c *Client) LastEventID() uint64 { return c.lastEvent.Load() }

// SetLastEventID sets the ID Events resumes from (0: from now on, nothing
// replayed), for a client that keeps it elsewhere.
func (c *Client) SetLastEventID(id uint64) { c.lastEvent.Store(id) }

// sawEvent remembers id as the last event read, unless a later one was
// read already (by another stream of the same client).
func (c *Client) sawEvent(id uint64) {
	for {
		old := c.lastEvent.Load()
		if id <= old || c.lastEvent.CompareAndSwap(old, id) {
			return
		}
	}
}

// readEvents reads server-sent events into ch. An event's "id:" line comes
// before its "data:" line; the ID is remembered once the event is handed
// over, so that an event the caller never got is asked for again.
func (c *Client) readEvents(ctx context.Context, body io.Reader, ch chan<- Event) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id uint64
	for sc.Scan() {
		line := sc.Text()
		if line == "" { // the end of an event
			id = 0
			continue
		}
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			id, _ = strconv.ParseUint(v, 10, 64)
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev Event
		if json.Unmarshal([]byte(data), &ev) != nil {
			continue
		}
		ev.ID = id
		select {
		case ch <- ev:
			c.sawEvent(id)
		case <-ctx.Done():
			return
		}
	}
}

// The operator API (the client's Token is the operator token).

// SetAgeAssurance sets an account's age-assurance level.
func (c *Client) SetAgeAssurance(ctx context.Context, accountID int64, level string) (*Account, error) {
	var out Account
	return &out, c.do(ctx, "POST", "/api/v1/admin/accounts/"+id(accountID)+"/age-assurance", AgeAssuranceRequest{Level: level}, &out)
}

// CorrectBirthDate corrects an account's date of birth.
func (c *Client) CorrectBirthDate(ctx context.Context, accountID int64, date string) (*Account, error) {
	var out Account
	return &out, c.do(ctx, "POST", "/api/v1/admin/accounts/"+id(accountID)+"/birth-date", BirthDateRequest{BirthDate: date}, &out)
}

// AdminAccount returns any account.
func (c *Client) AdminAccount(ctx context.Context, accountID int64) (*Account, error) {
	var out Account
	return &out, c.do(ctx, "GET", "/api/v1/admin/accounts/"+id(accountID), nil, &out)
}

// AuditEntry is one entry of the audit log as the operator API returns it.
type AuditEntry struct {
	ID       int64  `json:"id"`
	At       string `json:"at"`
	Actor    string `json:"actor"`
	ActorID  int64  `json:"actor_id,omitempty"`
	Action   string `json:"action"`
	TargetID int64  `json:"target_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Audit returns audit entries about an account (0 for all), newest first.
func (c *Client) Audit(ctx context.Context, targetID int64) ([]AuditEntry, error) {
	var out struct {
		Entries []AuditEntry `json:"entries"`
	}
	path := "/api/v1/admin/audit"
	if targetID > 0 {
		path += "?target=" + id(targetID)
	}
	return out.Entries, c.do(ctx, "GET", path, nil, &out)
}
