package safeguard

import "time"

// MessageKind tells text, images and end-to-end encrypted envelopes apart.
type MessageKind string

// The message kinds. An envelope is opaque ciphertext that only the members'
// devices can read; the server stores and relays it.
const (
	TextMessage     MessageKind = "text"
	ImageMessage    MessageKind = "image"
	EnvelopeMessage MessageKind = "envelope"
)

// MessageStatus is what happened to a message on the server. The sender always
// sees a held message as sent: a sender is never told that content was held.
type MessageStatus string

// The message statuses.
const (
	Delivered MessageStatus = "delivered"
	Held      MessageStatus = "held"
)

// Limits on message content.
const (
	MaxTextBytes     = 16 << 10
	MaxEnvelopeBytes = 64 << 10
)

// Message is one message in a conversation.
type Message struct {
	ID             int64
	ConversationID int64
	SenderID       int64
	App            string
	Kind           MessageKind
	Text           string // text messages and image captions
	MediaID        int64  // image messages
	Envelope       []byte // E2EE messages: opaque ciphertext
	FrankingTag    []byte // E2EE messages: the sender's commitment, for reports
	Status         MessageStatus
	Origin         Origin
	CreatedAt      time.Time
}

// Media is an uploaded file. Its bytes live in a media store, encrypted at
// rest; the database keeps what describes it.
type Media struct {
	ID          int64
	OwnerID     int64
	ContentType string
	Size        int64
	SHA256      []byte
	Width       int
	Height      int
	StorageKey  string
	Origin      Origin
	CreatedAt   time.Time
}
