package safeguard

import "time"

// Event is something that happened, written in the same transaction as the
// change it describes (an outbox), so that no consumer misses it after a
// crash. Consumers (live delivery, the safety pipeline, cases) read events in
// ID order and keep their own cursor.
type Event struct {
	ID             int64
	Type           string // "message.created", "contact.requested", …
	At             time.Time
	AccountID      int64  // the account the event is about or addressed to; 0 if none
	ConversationID int64  // 0 if none
	MessageID      int64  // 0 if none
	Payload        []byte // JSON, never message text or media
}

// Event types written by the messaging core.
const (
	EventMessageCreated    = "message.created"
	EventContactRequested  = "contact.requested"
	EventContactAccepted   = "contact.accepted"
	EventContactGuardian   = "contact.awaiting_guardian"
	EventConversationAdded = "conversation.added"
	EventMemberChanged     = "conversation.member"
	EventAccountChanged    = "account.changed"
	EventPolicyRefusal     = "policy.refused"
	EventRead              = "conversation.read"
)
