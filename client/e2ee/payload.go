package e2ee

import (
	"fmt"
	"unicode/utf8"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
)

// The plaintexts inside the ciphertexts are JSON objects with a version.
const (
	payloadVersion  = 1
	maxPayloadBytes = MaxEnvelopeBytes
	// MaxAttachmentsPerMessage caps the attachments of one message.
	MaxAttachmentsPerMessage = 16
)

// deviceJSON is a DeviceID inside a payload.
type deviceJSON struct {
	Account int64  `json:"account"`
	Device  string `json:"device"`
}

func toJSON(d DeviceID) deviceJSON             { return deviceJSON(d) }
func (d deviceJSON) id() DeviceID              { return DeviceID(d) }
func sameDevice(a deviceJSON, b DeviceID) bool { return a.id() == b }

// groupContent is the plaintext of a group message. The conversation and
// sender repeat the envelope's header, so a ciphertext cannot be replayed
// under another header; the franking key lets the recipient check the
// envelope's commitment.
type groupContent struct {
	Version      int          `json:"v"`
	Conversation int64        `json:"conversation"`
	Sender       deviceJSON   `json:"sender"`
	Text         string       `json:"text,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"`
	FrankingKey  []byte       `json:"franking_key"`
}

func (c *groupContent) validate() error {
	switch {
	case c.Version != payloadVersion:
		return fmt.Errorf("version %d, want %d", c.Version, payloadVersion)
	case len(c.Text) > safeguard.MaxTextBytes:
		return fmt.Errorf("text: %d bytes, at most %d allowed", len(c.Text), safeguard.MaxTextBytes)
	case !utf8.ValidString(c.Text):
		return fmt.Errorf("text: not valid UTF-8")
	case c.Text == "" && len(c.Attachments) == 0:
		return fmt.Errorf("no text and no attachment")
	case len(c.Attachments) > MaxAttachmentsPerMessage:
		return fmt.Errorf("%d attachments, at most %d allowed", len(c.Attachments), MaxAttachmentsPerMessage)
	case len(c.FrankingKey) != franking.KeySize:
		return fmt.Errorf("franking key: %d bytes, want %d", len(c.FrankingKey), franking.KeySize)
	}
	if err := c.Sender.id().Validate(); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	for i, a := range c.Attachments {
		if err := a.validate(); err != nil {
			return fmt.Errorf("attachment %d: %w", i, err)
		}
	}
	return nil
}

// frankingMessage is M for the content.
func (c *groupContent) frankingMessage() franking.Message {
	m := franking.Message{Text: c.Text}
	for _, a := range c.Attachments {
		m.Attachments = append(m.Attachments, a.franking())
	}
	return m
}

func parseGroupContent(b []byte) (*groupContent, error) {
	var c groupContent
	if err := strictJSON(b, &c, maxPayloadBytes); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// The types of direct payload.
const (
	directGroupKey = "group_key" // a Megolm session key for a conversation
	directMessage  = "message"   // an application's own bytes
)

// directPayload is the plaintext of a direct (Olm) message. Sender and
// recipient, with their Ed25519 keys, are inside the ciphertext so that a
// message cannot be passed off as coming from, or meant for, another device.
type directPayload struct {
	Version          int        `json:"v"`
	Type             string     `json:"type"`
	Sender           deviceJSON `json:"sender"`
	SenderEd25519    string     `json:"sender_ed25519"`
	Recipient        deviceJSON `json:"recipient"`
	RecipientEd25519 string     `json:"recipient_ed25519"`

	// group_key
	Conversation int64  `json:"conversation,omitempty"`
	SessionID    string `json:"session_id,omitempty"`
	SessionKey   string `json:"session_key,omitempty"`

	// message
	Body []byte `json:"body,omitempty"`
}

func parseDirectPayload(b []byte) (*directPayload, error) {
	var p directPayload
	if err := strictJSON(b, &p, maxPayloadBytes); err != nil {
		return nil, err
	}
	if p.Version != payloadVersion {
		return nil, fmt.Errorf("version %d, want %d", p.Version, payloadVersion)
	}
	if err := p.Sender.id().Validate(); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	if err := p.Recipient.id().Validate(); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	switch p.Type {
	case directGroupKey:
		if _, err := decodeKey("session_id", p.SessionID); err != nil {
			return nil, err
		}
		if p.SessionKey == "" {
			return nil, fmt.Errorf("session_key: missing")
		}
	case directMessage:
		if len(p.Body) == 0 {
			return nil, fmt.Errorf("body: missing")
		}
	default:
		return nil, fmt.Errorf("type %q unknown", p.Type)
	}
	return &p, nil
}
