package safeguard

import "time"

// Event is something that happened. An outbox event is written in the same
// transaction as the change it describes, so that no consumer misses it
// after a crash; the types a consumer must handle exactly once are also
// queued for it in that transaction, and it claims them from its queue
// (EventDetection for the cases service; see store.Queues). A live-only
// event travels as a notification to the live streams and is never stored.
type Event struct {
	ID             int64
	Type           string // "message.created", "contact.requested", …
	At             time.Time
	AccountID      int64  // the account the event is about or addressed to; 0 if none
	ConversationID int64  // 0 if none
	MessageID      int64  // 0 if none
	Payload        []byte // JSON, never message text or media
}

// Outbox event types: written with AppendEvent in the transaction of the
// change they describe, so that they survive a crash. The messaging core
// writes these; EventDetection and EventSafetyNotice (detection.go) are
// outbox events too.
const (
	EventContactRequested  = "contact.requested"
	EventContactAccepted   = "contact.accepted"
	EventContactGuardian   = "contact.awaiting_guardian"
	EventConversationAdded = "conversation.added"
	EventMemberChanged     = "conversation.member"
	// EventConversationChanged: a group's title changed.
	EventConversationChanged = "conversation.changed"
	EventPolicyRefusal       = "policy.refused"
	// EventGuardianChanged tells a child and the child's guardians that a
	// guardian joined or left (Payload: {"notice","guardian"}); live too.
	EventGuardianChanged = "guardian.changed"
	// EventAgeChanged tells an account that its age band changed (a
	// birthday, or an operator's correction of the date of birth) and what
	// followed (Payload: {"notice","from","to","cause"}); live too. A young
	// person whose contact ended because the other side's age was corrected
	// gets it with the notice contact_ended_age.
	EventAgeChanged = "account.age_changed"
	// EventE2EEEnded tells each member of an end-to-end encrypted
	// conversation that it takes no more messages, because someone in it
	// is no longer a verified adult (Payload: {"notice"}); live too.
	EventE2EEEnded = "conversation.e2ee_ended"
)

// Live-only event types: sent to the live event streams of the accounts
// concerned after the change is committed, and never written to the outbox.
// A client that was not connected reads the change from the API instead.
// EventDeviceChanged (device.go) is live-only too.
const (
	EventMessageCreated = "message.created"
	EventAccountChanged = "account.changed"
	EventRead           = "conversation.read"
	// EventGuardianChildDeleted tells a guardian that their child under 13
	// deleted her account: the event's account is the child's (its handle).
	EventGuardianChildDeleted = "guardian.child_deleted"
)
