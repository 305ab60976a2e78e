package safeguard

import "time"

// AuditEntry records who did what to what, and why. Operator, moderator and
// policy decisions are audited; message text and media never appear here.
type AuditEntry struct {
	ID       int64
	At       time.Time
	ActorID  int64  // 0 for the operator or the system
	Actor    string // "account", "operator", "system"
	Action   string // "age_assurance.set", "policy.refused", …
	TargetID int64
	Reason   string // a stable code, e.g. "stranger_contact_minor"
	Detail   string // short, structured (JSON), never content
}

// Refusal is an attempt the policy refused: who tried to reach whom, how, and
// the precise reason. The requester is told less than this (a minor is
// indistinguishable from an account that does not exist); refusals are kept
// as the risk signal they are.
type Refusal struct {
	ID       int64
	At       time.Time
	FromID   int64
	ToID     int64
	Action   string // "contact_request", "conversation", "message", "group_add"
	Reason   string
	ToMinor  bool
	FromBand AgeBand
}
