package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The wire types and calls of end-to-end encryption: the key directory,
// device inboxes, direct (to-device) envelopes, encrypted blobs and franking
// reports. Package client/secure puts them together with client/e2ee.

// DeviceKeys is a device's self-signed identity document; the same JSON as
// client/e2ee's DeviceKeys.
type DeviceKeys struct {
	Account    int64  `json:"account"`
	Device     string `json:"device"`
	Curve25519 string `json:"curve25519"`
	Ed25519    string `json:"ed25519"`
	Signature  string `json:"signature"`
}

// OneTimeKey is a signed one-time or fallback key; the same JSON as
// client/e2ee's OneTimeKey.
type OneTimeKey struct {
	Account    int64  `json:"account"`
	Device     string `json:"device"`
	KeyID      string `json:"key_id"`
	Curve25519 string `json:"curve25519"`
	Fallback   bool   `json:"fallback,omitempty"`
	Signature  string `json:"signature"`
}

// DeviceRegistration registers a device with its first keys.
type DeviceRegistration struct {
	Keys        DeviceKeys   `json:"keys"`
	OneTimeKeys []OneTimeKey `json:"one_time_keys,omitempty"`
	FallbackKey *OneTimeKey  `json:"fallback_key,omitempty"`
}

// KeyUpload adds one-time keys and a fallback key to a device.
type KeyUpload struct {
	OneTimeKeys []OneTimeKey `json:"one_time_keys,omitempty"`
	FallbackKey *OneTimeKey  `json:"fallback_key,omitempty"`
}

// KeyCount is how many unclaimed one-time keys the directory holds for a
// device, and whether it holds a fallback key.
type KeyCount struct {
	OneTimeKeys int  `json:"one_time_keys"`
	FallbackKey bool `json:"fallback_key"`
}

// Device is one of the caller's devices in the key directory.
type Device struct {
	Keys      DeviceKeys `json:"keys"`
	KeyCount  KeyCount   `json:"key_count"`
	CreatedAt time.Time  `json:"created_at"`
}

// MemberKeys is a member of a conversation and the keys of its devices.
type MemberKeys struct {
	Handle  string       `json:"handle"`
	Account int64        `json:"account"`
	Devices []DeviceKeys `json:"devices"`
}

// ConversationKeys are the devices of an end-to-end encrypted
// conversation's members: the devices to encrypt for, and the only ones
// whose key shares to accept for it.
type ConversationKeys struct {
	ConversationID int64        `json:"conversation_id"`
	Members        []MemberKeys `json:"members"`
}

// DeviceRef names a device of an account.
type DeviceRef struct {
	Account int64  `json:"account"`
	Device  string `json:"device"`
}

// ClaimRequest asks for a one-time key of each device.
type ClaimRequest struct {
	Devices []DeviceRef `json:"devices"`
}

// ClaimResult is the keys handed out, and the devices none could be handed
// out for (no key left, or not a device the caller may reach).
type ClaimResult struct {
	Keys    []OneTimeKey `json:"keys"`
	Missing []DeviceRef  `json:"missing"`
}

// ToDeviceRequest sends direct envelopes from one of the caller's devices.
type ToDeviceRequest struct {
	Device   string            `json:"device"`
	Messages []ToDeviceMessage `json:"messages"`
}

// ToDeviceMessage is one direct envelope and the device it is for.
type ToDeviceMessage struct {
	Account  int64  `json:"account"`
	Device   string `json:"device"`
	Envelope []byte `json:"envelope"`
}

// ToDeviceResult says how many envelopes were queued.
type ToDeviceResult struct {
	Queued int `json:"queued"`
}

// InboxItem is one envelope waiting for a device. A group item carries the
// franking receipt made for this recipient and the delivery context it
// covers (both canonical encodings, kept to report the message); a direct
// item carries the sending device's keys.
type InboxItem struct {
	ID             int64       `json:"id"`
	Kind           string      `json:"kind"` // direct or group
	Sender         string      `json:"sender"`
	SenderAccount  int64       `json:"sender_account"`
	SenderDevice   string      `json:"sender_device"`
	SenderKeys     *DeviceKeys `json:"sender_keys,omitempty"`
	ConversationID int64       `json:"conversation_id,omitempty"`
	MessageID      int64       `json:"message_id,omitempty"`
	Envelope       []byte      `json:"envelope"`
	Receipt        []byte      `json:"receipt,omitempty"`
	Context        []byte      `json:"context,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
}

// Inbox is a page of a device's inbox. Pass Next as after on the next
// fetch: that acknowledges, and deletes, everything up to it.
type Inbox struct {
	Items    []InboxItem `json:"items"`
	Next     int64       `json:"next"`
	KeyCount KeyCount    `json:"key_count"`
}

// Blob is an encrypted attachment stored for a conversation.
type Blob struct {
	ID             string    `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Size           int64     `json:"size"`
	CreatedAt      time.Time `json:"created_at"`
}

// FrankingReportRequest reports an end-to-end encrypted message: Report is
// the franking report's JSON (package franking), Reason a report reason
// code (asked_for_photos, mean_or_threatening, want_to_meet, photo_shared,
// something_else; the default).
type FrankingReportRequest struct {
	Report json.RawMessage `json:"report"`
	Reason string          `json:"reason,omitempty"`
}

// ReportResult acknowledges a verified report.
type ReportResult struct {
	DetectionID int64    `json:"detection_id"`
	Status      string   `json:"status"`
	Notices     []Notice `json:"notices,omitempty"`
}

// DeviceChange is the body of a device.changed live event: someone in an
// end-to-end encrypted conversation with the caller added or removed a
// device.
type DeviceChange struct {
	Handle  string `json:"handle"`
	Account int64  `json:"account"`
	Device  string `json:"device"`
	Change  string `json:"change"` // added or removed
}

// RegisterDevice registers a device of the caller in the key directory.
func (c *Client) RegisterDevice(ctx context.Context, req DeviceRegistration) (*Device, error) {
	var out Device
	return &out, c.do(ctx, "POST", "/api/v1/devices", req, &out)
}

// Devices lists the caller's devices.
func (c *Client) Devices(ctx context.Context) ([]Device, error) {
	var out struct {
		Devices []Device `json:"devices"`
	}
	return out.Devices, c.do(ctx, "GET", "/api/v1/devices", nil, &out)
}

// DeleteDevice removes one of the caller's devices, with its keys and inbox.
func (c *Client) DeleteDevice(ctx context.Context, device string) error {
	return c.do(ctx, "DELETE", "/api/v1/devices/"+url.PathEscape(device), nil, nil)
}

// UploadKeys adds one-time keys and a fallback key to one of the caller's
// devices.
func (c *Client) UploadKeys(ctx context.Context, device string, req KeyUpload) (*KeyCount, error) {
	var out KeyCount
	return &out, c.do(ctx, "POST", "/api/v1/devices/"+url.PathEscape(device)+"/keys", req, &out)
}

// Inbox acknowledges a device's inbox up to after and fetches what follows.
func (c *Client) Inbox(ctx context.Context, device string, after int64, limit int) (*Inbox, error) {
	v := url.Values{}
	if after > 0 {
		v.Set("after", id(after))
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	path := "/api/v1/devices/" + url.PathEscape(device) + "/inbox"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out Inbox
	return &out, c.do(ctx, "GET", path, nil, &out)
}

// ConversationKeys returns the devices of an end-to-end encrypted
// conversation's members.
func (c *Client) ConversationKeys(ctx context.Context, conversationID int64) (*ConversationKeys, error) {
	var out ConversationKeys
	return &out, c.do(ctx, "GET", "/api/v1/keys?conversation="+id(conversationID), nil, &out)
}

// ClaimKeys claims a one-time key (or the fallback key) of each device.
func (c *Client) ClaimKeys(ctx context.Context, devices []DeviceRef) (*ClaimResult, error) {
	var out ClaimResult
	return &out, c.do(ctx, "POST", "/api/v1/keys/claim", ClaimRequest{Devices: devices}, &out)
}

// SendToDevice queues direct envelopes for other devices.
func (c *Client) SendToDevice(ctx context.Context, req ToDeviceRequest) (*ToDeviceResult, error) {
	var out ToDeviceResult
	return &out, c.do(ctx, "POST", "/api/v1/to-device", req, &out)
}

// UploadBlob stores an encrypted attachment for an end-to-end encrypted
// conversation.
func (c *Client) UploadBlob(ctx context.Context, conversationID int64, data []byte) (*Blob, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.BaseURL+"/api/v1/conversations/"+id(conversationID)+"/blobs", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	var out Blob
	return &out, c.send(req, &out)
}

// Blob fetches an encrypted attachment of a conversation.
func (c *Client) Blob(ctx context.Context, conversationID int64, blobID string) ([]byte, error) {
	data, _, err := c.getRaw(ctx, "/api/v1/conversations/"+id(conversationID)+"/blobs/"+url.PathEscape(blobID))
	return data, err
}

// ReportFranking reports an end-to-end encrypted message with its franking
// report.
func (c *Client) ReportFranking(ctx context.Context, req FrankingReportRequest) (*ReportResult, error) {
	var out ReportResult
	return &out, c.do(ctx, "POST", "/api/v1/reports/franking", req, &out)
}
