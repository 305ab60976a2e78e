package client

import "time"

// The v1 wire types: what the HTTP API at /api/v1 takes and returns, as JSON.
// docs/api.md documents each endpoint with these shapes.

// ErrorBody is the body of every error response: {"error":{"code","message"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable code and a sentence safe to show the user.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// SignUpRequest creates an account. The server makes its handle from the
// nickname, a dot and digits it picks ("leo" becomes "leo.37"); the answer's
// Handle is what the account logs in with and others reach it by.
type SignUpRequest struct {
	Nickname string `json:"nickname"`
	// Handle is the former name of Nickname, still read when Nickname is
	// empty: a whole handle ("leo.37") is refused like any nickname that
	// ends in digits after a dot.
	Handle         string `json:"handle,omitempty"`
	Password       string `json:"password"`
	BirthDate      string `json:"birth_date"` // YYYY-MM-DD
	App            string `json:"app,omitempty"`
	LocalAuthority string `json:"local_authority,omitempty"` // ONS code or name
}

// Account is an account as its holder, a guardian or the operator sees it.
type Account struct {
	ID             int64     `json:"id"`
	Handle         string    `json:"handle"`
	AgeBand        string    `json:"age_band"`      // child, teen, adult
	AgeAssurance   string    `json:"age_assurance"` // self-declared, verified
	Status         string    `json:"status"`        // active, pending_guardian, suspended, deleted
	App            string    `json:"app"`
	LocalAuthority string    `json:"local_authority,omitempty"`
	PoliceForce    string    `json:"police_force,omitempty"` // ONS police force area code
	CreatedAt      time.Time `json:"created_at"`
	// Set on sign-up of a child under 13: the code a guardian enters to
	// approve the account, and when it expires.
	GuardianCode        string     `json:"guardian_code,omitempty"`
	GuardianCodeExpires *time.Time `json:"guardian_code_expires,omitempty"`
	Notice              *Notice    `json:"notice,omitempty"`
}

// SessionRequest logs in.
type SessionRequest struct {
	Handle   string `json:"handle"`
	Password string `json:"password"`
}

// Session is a logged-in session; send the token as "Authorization: Bearer".
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Account   Account   `json:"account"`
}

// Profile is what anyone may learn of another account: that it exists.
type Profile struct {
	Handle  string `json:"handle"`
	Contact bool   `json:"contact"`
}

// AgeAssuranceRequest sets an account's age-assurance level (operator only).
type AgeAssuranceRequest struct {
	Level string `json:"level"` // self-declared or verified
}

// BirthDateRequest corrects an account's date of birth (operator only).
type BirthDateRequest struct {
	BirthDate string `json:"birth_date"`
}

// GuardianCode is a code that links a second guardian to a child, shown
// once to the guardian who asked for it.
type GuardianCode struct {
	Child   string    `json:"child"`
	Code    string    `json:"code"`
	Expires time.Time `json:"expires_at"`
}

// GuardianLinkRequest links a guardian to a child by the child's code.
type GuardianLinkRequest struct {
	Code string `json:"code"`
}

// ContactRequest asks someone to be a contact.
type ContactRequest struct {
	To string `json:"to"` // handle
}

// Contact is a contact or contact request as one side sees it.
type Contact struct {
	ID        int64     `json:"id"`
	Handle    string    `json:"handle"`    // the other side
	Direction string    `json:"direction"` // incoming or outgoing
	State     string    `json:"state"`     // awaiting_guardian, pending, accepted, declined
	CreatedAt time.Time `json:"created_at"`
	Notices   []Notice  `json:"notices,omitempty"`
}

// Contacts is an account's contacts, open requests and blocks.
type Contacts struct {
	Contacts []Contact `json:"contacts"`
	Incoming []Contact `json:"incoming"`
	Outgoing []Contact `json:"outgoing"`
	Blocked  []string  `json:"blocked"`
}

// GuardianRequest is a contact request of a guardian's child that waits for
// the guardian.
type GuardianRequest struct {
	ID        int64  `json:"id"`
	Child     string `json:"child"`
	Other     string `json:"other"`
	Direction string `json:"direction"` // incoming: someone asked the child; outgoing: the child asked
	// OtherAdult is true when the other account is an adult's (by its
	// date of birth, verified or not), so the guardian knows who is asking.
	OtherAdult bool      `json:"other_adult"`
	CreatedAt  time.Time `json:"created_at"`
}

// GuardianContact is one accepted contact of a guardian's child.
type GuardianContact struct {
	Child  string    `json:"child"`
	Handle string    `json:"handle"`
	Adult  bool      `json:"adult"` // by the date of birth, verified or not
	Since  time.Time `json:"since"`
}

// BlockRequest blocks an account.
type BlockRequest struct {
	Handle string `json:"handle"`
}

// Notices is a response that carries only notices to show.
type Notices struct {
	Notices []Notice `json:"notices"`
}

// Notice is a text the client must show, with where to get help.
type Notice struct {
	Code    string   `json:"code"`
	Title   string   `json:"title,omitempty"`
	Text    string   `json:"text"`
	Links   []Link   `json:"links,omitempty"`
	Actions []string `json:"actions,omitempty"`
}

// Link is a place to get help.
type Link struct {
	Label string `json:"label"`
	Phone string `json:"phone,omitempty"`
	URL   string `json:"url,omitempty"`
}

// ConversationRequest starts a conversation.
type ConversationRequest struct {
	Members []string `json:"members"` // handles; one and no title is a one-to-one chat
	E2EE    bool     `json:"e2ee"`
	Title   string   `json:"title,omitempty"`
}

// Conversation is a conversation as a member sees it. Notice is the sentence
// every member's client shows about its encryption.
type Conversation struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"` // direct or group
	Title  string `json:"title,omitempty"`
	E2EE   bool   `json:"e2ee"`
	Notice Notice `json:"notice"`
	// SafetyNotice is the latest safety notice the caller was shown about a
	// message of this chat (a risk warning), to flag the chat; absent if
	// none. Only the person shown it sees it.
	SafetyNotice *Notice   `json:"safety_notice,omitempty"`
	App          string    `json:"app"`
	Members      []Member  `json:"members"`
	CreatedAt    time.Time `json:"created_at"`
}

// Member is a member of a conversation.
type Member struct {
	Handle string `json:"handle"`
	State  string `json:"state"` // invited, joined, left, removed
}

// MemberRequest adds someone to a group.
type MemberRequest struct {
	Handle string `json:"handle"`
}

// MessageRequest sends a message: Text in a conversation the server can
// see; Envelope (base64 ciphertext) and FrankingTag in an E2EE one. Images
// are sent as multipart/form-data with a file part "image" and an optional
// "text" caption.
type MessageRequest struct {
	Text        string `json:"text,omitempty"`
	Envelope    []byte `json:"envelope,omitempty"`
	FrankingTag []byte `json:"franking_tag,omitempty"`
}

// DirectMessageRequest sends a text to someone by handle, in their
// one-to-one conversation.
type DirectMessageRequest struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// Message is a message in a conversation. Status is "sent" for the sender's
// own messages and "delivered" for the recipients': the sender of a message
// that safety checks held sees exactly what it sees of any other.
type Message struct {
	ID             int64  `json:"id"`
	ConversationID int64  `json:"conversation_id"`
	Sender         string `json:"sender"` // empty when SenderDeleted
	// SenderDeleted: the sender deleted their account; show the message
	// as from "a deleted account".
	SenderDeleted bool      `json:"sender_deleted,omitempty"`
	Kind          string    `json:"kind"` // text, image, envelope
	Text          string    `json:"text,omitempty"`
	MediaID       int64     `json:"media_id,omitempty"`
	Envelope      []byte    `json:"envelope,omitempty"`
	FrankingTag   []byte    `json:"franking_tag,omitempty"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	// Notice is the safety notice the caller was shown about this message
	// (a risk warning under the message it names), in history only; absent
	// for everyone else, the sender included.
	Notice *Notice `json:"notice,omitempty"`
	// Blurred: show the image blurred, behind the notice under it, until
	// the viewer chooses to see it. Set for the recipients of an image
	// from one young person to another that may show nudity; never for
	// its sender.
	Blurred bool `json:"blurred,omitempty"`
}

// MessagePage is a page of history, newest first; pass Next as "before" for
// older messages.
type MessagePage struct {
	Messages []Message `json:"messages"`
	Next     int64     `json:"next,omitempty"`
}

// ReadRequest moves the caller's read marker.
type ReadRequest struct {
	MessageID int64 `json:"message_id"`
}

// ReadMarker is how far a member has read.
type ReadMarker struct {
	Handle    string    `json:"handle"`
	MessageID int64     `json:"message_id"`
	At        time.Time `json:"at"`
}

// Event is one live event on GET /api/v1/events.
type Event struct {
	// ID is the event's SSE id, which only increases for an account; 0 for
	// an event that has none ("resync" and the events that end a stream).
	ID           uint64        `json:"-"`
	Type         string        `json:"type"`
	At           time.Time     `json:"at"`
	Message      *Message      `json:"message,omitempty"`
	Contact      *Contact      `json:"contact,omitempty"`
	Conversation *Conversation `json:"conversation,omitempty"`
	Account      *Account      `json:"account,omitempty"`
	Read         *ReadMarker   `json:"read,omitempty"`
	Device       *DeviceChange `json:"device,omitempty"`
	Notice       *Notice       `json:"notice,omitempty"`
}

// PasswordChange changes the caller's password (POST /api/v1/me/password).
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ConversationUpdate renames a group (PATCH /api/v1/conversations/{id}).
type ConversationUpdate struct {
	Title string `json:"title"`
}

// ExportFormat names the shape of Export; a later shape gets a new name.
const ExportFormat = "safeguard-export/1"

// Export is an account's own data (GET /api/v1/me/export), under UK GDPR
// articles 15 (access) and 20 (portability).
type Export struct {
	Format     string    `json:"format"` // ExportFormat
	ExportedAt time.Time `json:"exported_at"`
	// About says in words what the export holds and what it does not.
	About   string        `json:"about"`
	Account ExportAccount `json:"account"`
	// Contacts is the contact list as GET /api/v1/contacts gives it.
	Contacts      Contacts             `json:"contacts"`
	Conversations []ExportConversation `json:"conversations"`
}

// ExportAccount is the account record: Account and the date of birth it
// was made with.
type ExportAccount struct {
	Account
	BirthDate string `json:"birth_date"` // YYYY-MM-DD
}

// ExportConversation is a conversation the account is or was in, as it may
// see it, with the messages it may read, oldest first. Membership is the
// account's own state: joined, invited, left or removed. A former member
// (left, removed) gets its own membership in Members and its own messages
// only.
type ExportConversation struct {
	Conversation
	Membership string    `json:"membership"`
	Messages   []Message `json:"messages"`
}
