package safeguard

import "time"

// Device is one end-to-end encryption device of an account: the public
// identity keys it published, self-signed, to the key directory. Only
// verified adults have devices that take part; the private keys never leave
// the device.
type Device struct {
	ID        int64 // the directory's row id
	AccountID int64
	Name      string // the device id the device chose: 1–64 of [A-Za-z0-9_-]
	// The identity keys and the signature over them, in unpadded standard
	// base64, exactly as the device signed them.
	Curve25519 string
	Ed25519    string
	Signature  string
	CreatedAt  time.Time
}

// OneTimeKey is a signed Curve25519 key a device publishes for a peer to
// claim when it starts a pairwise session. A one-time key is handed out
// once, ever; the fallback key (one per device, replaced by a newer one) is
// handed out when none are left.
type OneTimeKey struct {
	DeviceID   int64 // Device.ID
	KeyID      string
	Curve25519 string
	Signature  string
	Fallback   bool
	CreatedAt  time.Time
}

// InboxKind tells what an inbox item carries.
type InboxKind string

// The inbox kinds.
const (
	// InboxDirect is a pairwise envelope from one device to another (a
	// group key share); its bytes live in the inbox item.
	InboxDirect InboxKind = "direct"
	// InboxGroup is a conversation's group envelope; its bytes live with
	// the message until every device it was for has fetched it.
	InboxGroup InboxKind = "group"
)

// InboxItem is one envelope waiting for one device. Items are deleted once
// the device has fetched them, or after the retention period.
type InboxItem struct {
	ID             int64 // increases in the order items were queued
	DeviceID       int64 // the recipient Device.ID
	Kind           InboxKind
	SenderID       int64  // sender account
	SenderDevice   string // sender device name
	ConversationID int64  // group envelopes
	MessageID      int64  // group envelopes
	// Envelope is the direct envelope; for a group item, the message's
	// envelope when read back (nil once it is no longer kept).
	Envelope  []byte
	CreatedAt time.Time
}

// Blob is an encrypted attachment of an end-to-end encrypted conversation:
// opaque bytes the server cannot read, fetchable only by members of the
// conversation it was posted in. Its bytes live in the media store.
type Blob struct {
	ID             string // random, unguessable
	ConversationID int64
	OwnerID        int64
	Size           int64
	StorageKey     string
	Origin         Origin
	CreatedAt      time.Time
}

// EventDeviceChanged is the live event that tells an account's contacts in
// end-to-end encrypted conversations that its device list changed, so their
// clients fetch it again and share new group keys.
const EventDeviceChanged = "device.changed"
