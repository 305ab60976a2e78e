// Package store is the storage contract of Safeguard: one interface that the
// use cases depend on, implemented by SQLite (internal/store/sqlite, the
// embedded default) and PostgreSQL (internal/store/postgres, for scale), and
// checked by one conformance suite (internal/store/storetest) run against both.
//
// Every change happens inside Update, in a transaction; a change is durable
// when Update returns nil. Errors are the kinds of the root package: a missing
// row is safeguard.ErrNotFound, a unique violation safeguard.ErrConflict.
package store

import (
	"context"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Store opens transactions.
type Store interface {
	// Update runs fn in a read-write transaction and commits it. An
	// implementation may run several Update calls in one database
	// transaction (group commit), each in its own savepoint: fn's changes
	// are undone if fn returns an error, and are durable — on disk, synced —
	// when Update returns nil. fn must do nothing but database work through
	// tx, since it may be run again or alongside others.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error

	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error

	Close() error
}

// Tx is one transaction. Its methods are grouped by what they store.
type Tx interface {
	AccountTx
	ContactTx
	ConversationTx
	MessageTx
	RecordTx
	DetectionTx
	BankTx
	RiskTx
	URLListTx
	E2EETx
	CaseTx
	EvidenceTx
	DatasetTx
	ModeratorTx
	RateTx
	IdempotencyTx
	KeyringTx
	ClusterTx
}

// AccountTx stores accounts, guardian link codes, sessions and logins.
type AccountTx interface {
	// CreateAccount stores a and sets a.ID. A handle already taken (handles
	// compare case-insensitively), or one whose safeguard.HandleSkeleton
	// another account's handle has, is ErrConflict with code "handle_taken".
	CreateAccount(ctx context.Context, a *safeguard.Account, passwordHash string) error
	// LookalikeNickname reports whether an account has a nickname
	// (safeguard.Nickname of its handle) with the skeleton of nickname but
	// spelled otherwise, letter case aside. With bornBy not zero, only
	// accounts born on or before it count, and of the deleted accounts
	// whose date of birth is erased, those that were adults when deleted.
	LookalikeNickname(ctx context.Context, nickname string, bornBy safeguard.Date) (bool, error)
	// NicknameHolders counts the accounts whose nickname has the skeleton of
	// nickname (the same nickname in any letter case, and its lookalikes):
	// the handles that compete with it for discriminators. With bornBy not
	// zero, only accounts born on or before it count, and of the deleted
	// accounts whose date of birth is erased, those that were adults when
	// deleted.
	NicknameHolders(ctx context.Context, nickname string, bornBy safeguard.Date) (int, error)
	Account(ctx context.Context, id int64) (*safeguard.Account, error)
	AccountByHandle(ctx context.Context, handle string) (*safeguard.Account, error)
	// AccountsByID returns the accounts that exist among ids.
	AccountsByID(ctx context.Context, ids []int64) (map[int64]*safeguard.Account, error)
	PasswordHash(ctx context.Context, accountID int64) (string, error)
	// UpdateAccount writes a's assurance, status, birth date, guardians,
	// local authority and acted band.
	UpdateAccount(ctx context.Context, a *safeguard.Account) error
	// Wards returns the children of whom guardianID is a guardian, first or
	// second.
	Wards(ctx context.Context, guardianID int64) ([]*safeguard.Account, error)

	// CreateGuardianCode stores the hash of a code that links a child to a
	// guardian, replacing any earlier code of the child.
	CreateGuardianCode(ctx context.Context, childID int64, codeHash []byte, expires time.Time) error
	// GuardianCode returns the child of a code and when the code expires.
	GuardianCode(ctx context.Context, codeHash []byte) (childID int64, expires time.Time, err error)
	DeleteGuardianCode(ctx context.Context, childID int64) error

	CreateSession(ctx context.Context, s *safeguard.Session) error
	// Session returns the session with the token hash, expired or not.
	Session(ctx context.Context, tokenHash []byte) (*safeguard.Session, error)
	// AccountBySession returns the account of the session with the token
	// hash and when the session expires, in one lookup: every
	// authenticated request asks it.
	AccountBySession(ctx context.Context, tokenHash []byte) (*safeguard.Account, time.Time, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	DeleteSessions(ctx context.Context, accountID int64) error
	// Sessions returns an account's sessions, expired or not, oldest
	// first.
	Sessions(ctx context.Context, accountID int64) ([]safeguard.Session, error)
	// DeleteSessionByID ends the session id of accountID; a session of
	// another account, or none, is ErrNotFound.
	DeleteSessionByID(ctx context.Context, accountID, id int64) error
	// TouchSession sets the LastUsedAt of the session with the token hash;
	// it never moves back.
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error

	// FindAccounts returns the accounts that match q, by ID.
	FindAccounts(ctx context.Context, q AccountQuery) ([]*safeguard.Account, error)
	// BandChanged returns, by ID and at most limit of them after afterID,
	// the accounts not deleted whose acted band is not the band their date
	// of birth gives: an adult is born by adultBy, a teen after adultBy and
	// by teenBy, a child after teenBy.
	BandChanged(ctx context.Context, teenBy, adultBy safeguard.Date, afterID int64, limit int) ([]*safeguard.Account, error)
	// AccountCounts counts what an account has, for operators.
	AccountCounts(ctx context.Context, accountID int64) (AccountCounts, error)
	// SetPasswordHash replaces an account's password hash; "" leaves the
	// account with no password that any login can match.
	SetPasswordHash(ctx context.Context, accountID int64, hash string) error
	// CreatePasswordReset stores the hash of a one-time reset code,
	// replacing any earlier code of the account; issuedBy is the guardian
	// who asked for it, 0 for an operator.
	CreatePasswordReset(ctx context.Context, accountID, issuedBy int64, codeHash []byte, created, expires time.Time) error
	// PasswordReset returns the code hash of an account's reset code, when
	// it expires and who issued it (0: an operator); none is ErrNotFound.
	PasswordReset(ctx context.Context, accountID int64) ([]byte, time.Time, int64, error)
	// DeletePasswordReset removes an account's reset code; none is
	// ErrNotFound, so that of two redeeming the same code only one wins.
	DeletePasswordReset(ctx context.Context, accountID int64) error
	// EraseAccountData deletes what an account has that nothing must keep:
	// its sessions, reset code, guardian code, contacts and blocks it made,
	// its memberships and read markers, its end-to-end encryption devices
	// and the keys and envelopes waiting for them, and its refusals; and
	// its logins (all of them unless keep.Logins, but for the last
	// successful one if keep.LastLogin); and the messages it sent that were
	// never delivered, unless a detection or case refers to them. Children
	// it was guardian of lose the link. The account row, the messages it
	// delivered, cases, reports, appeals, evidence and the audit log are
	// not touched, but for the age band it keeps: band, the one it had
	// when deleted, which LookalikeNickname and NicknameHolders go by once
	// its date of birth is erased.
	//
	// keep says what stays beyond that: with keep.Held, contacts and the
	// undelivered messages too (a preservation holds them). The account is
	// marked deleted at keep.At (kept if it was set before) and as
	// retaining data while any of keep is set; erasing again with none set
	// clears the mark (see RetainedDeleted).
	EraseAccountData(ctx context.Context, accountID int64, keep Keep, band safeguard.AgeBand) error
	// RetainedDeleted returns deleted accounts that still keep data beyond
	// their tombstone, with IDs above afterID, by ID, at most limit.
	RetainedDeleted(ctx context.Context, afterID int64, limit int) ([]DeletedAccount, error)
	// LockAccount locks account id against every other transaction that
	// locks it or changes it, until this one ends (retention passes run at
	// once on several servers take turns on one account); a missing account
	// is ErrNotFound.
	LockAccount(ctx context.Context, id int64) error

	// SetRecoveryCodes replaces an account's recovery codes by the hashes.
	SetRecoveryCodes(ctx context.Context, accountID int64, hashes [][]byte, at time.Time) error
	// RecoveryCodeUnused reports whether hash is one of the account's
	// recovery codes, not yet used.
	RecoveryCodeUnused(ctx context.Context, accountID int64, hash []byte) (bool, error)
	// UseRecoveryCode marks the account's recovery code of hash used at at;
	// a code that is not the account's, or was used, is ErrNotFound, so
	// that of two spending one code only one wins.
	UseRecoveryCode(ctx context.Context, accountID int64, hash []byte, at time.Time) error

	// CreatePreservation stores p and sets p.ID.
	CreatePreservation(ctx context.Context, p *safeguard.Preservation) error
	// Preservations returns an account's preservations, oldest first.
	Preservations(ctx context.Context, accountID int64) ([]*safeguard.Preservation, error)
	// ExtendPreservation sets when preservation id of accountID ends; one
	// of another account, or none, is ErrNotFound.
	ExtendPreservation(ctx context.Context, accountID, id int64, expires time.Time) error
	// HeldConversationIDs returns the conversations an account is a member
	// of or has sent a message in, by ID.
	HeldConversationIDs(ctx context.Context, accountID int64) ([]int64, error)
	// DeleteOtherSessions deletes every session of an account but the one
	// with the token hash keep, and returns the IDs of those it deleted.
	DeleteOtherSessions(ctx context.Context, accountID int64, keep []byte) ([]int64, error)

	RecordLogin(ctx context.Context, l *safeguard.Login) error
	// Logins returns an account's login attempts since a time, newest first.
	Logins(ctx context.Context, accountID int64, since time.Time) ([]safeguard.Login, error)
}

// Keep is what erasing an account's data leaves (AccountTx.EraseAccountData).
type Keep struct {
	Logins    bool      // every login (a case or a preservation needs them)
	LastLogin bool      // the last successful login, with its address and port
	Held      bool      // contacts and undelivered messages: a preservation holds them
	At        time.Time // when the account was deleted
}

// Any reports whether anything is kept.
func (k Keep) Any() bool { return k.Logins || k.LastLogin || k.Held }

// DeletedAccount is a deleted account that still keeps data: Held when it
// keeps more than its last login (kept for a case or a preservation).
type DeletedAccount struct {
	ID        int64
	DeletedAt time.Time
	Held      bool
}

// AccountQuery selects accounts for operators. Zero fields match every
// account.
type AccountQuery struct {
	// Pattern matches handles that contain it, letter case aside.
	Pattern   string
	Status    safeguard.AccountStatus
	Assurance safeguard.Assurance
	// BornAfter and BornBy bound the date of birth: after BornAfter (not
	// on it) and on or before BornBy. Either leaves out accounts with no
	// date of birth (deleted ones).
	BornAfter, BornBy safeguard.Date
	AfterID           int64 // only IDs greater than this
	Limit             int   // 0 means 50; at most 500
}

// AccountCounts is how much an account has.
type AccountCounts struct {
	Contacts      int // contact requests in any state, either way
	Blocks        int // accounts it blocked
	Conversations int // conversations it is a member of, in any state
	MessagesSent  int
	Sessions      int // sessions stored, expired or not
	Cases         int // cases of which it is the sender
	Reports       int // member reports it made
}

// ContactTx stores contact requests and blocks.
type ContactTx interface {
	// CreateContact stores c and sets c.ID. A request between two accounts
	// that already have one (either direction) is ErrConflict.
	CreateContact(ctx context.Context, c *safeguard.Contact) error
	Contact(ctx context.Context, id int64) (*safeguard.Contact, error)
	// ContactBetween returns the request between a and b in either
	// direction.
	ContactBetween(ctx context.Context, a, b int64) (*safeguard.Contact, error)
	// UpdateContact writes c's state, guardian approvals and UpdatedAt.
	UpdateContact(ctx context.Context, c *safeguard.Contact) error
	DeleteContact(ctx context.Context, id int64) error
	// Contacts returns every request to or from accountID, newest first.
	Contacts(ctx context.Context, accountID int64) ([]*safeguard.Contact, error)
	// AwaitingGuardian returns the requests in state awaiting_guardian that
	// involve any of the children.
	AwaitingGuardian(ctx context.Context, childIDs []int64) ([]*safeguard.Contact, error)
	// ContactPairs returns the accepted contacts among ids, each pair once.
	ContactPairs(ctx context.Context, ids []int64) ([][2]int64, error)

	// CreateBlock stores b; blocking twice is not an error.
	CreateBlock(ctx context.Context, b safeguard.Block) error
	DeleteBlock(ctx context.Context, blockerID, blockedID int64) error
	// Blocks returns the blocks among ids (both ends in ids).
	Blocks(ctx context.Context, ids []int64) ([]safeguard.Block, error)
	// BlocksBy returns the blocks made by blockerID.
	BlocksBy(ctx context.Context, blockerID int64) ([]safeguard.Block, error)
}

// ConversationTx stores conversations and their members.
type ConversationTx interface {
	// CreateConversation stores c with its members and sets c.ID.
	CreateConversation(ctx context.Context, c *safeguard.Conversation) error
	// Conversation returns c with every member, whatever their state.
	Conversation(ctx context.Context, id int64) (*safeguard.Conversation, error)
	// ConversationAccounts returns the conversation as Conversation does,
	// with the accounts of its members, in one lookup: the message path
	// asks it for every message.
	ConversationAccounts(ctx context.Context, id int64) (*safeguard.Conversation, map[int64]*safeguard.Account, error)
	// Conversations returns the conversations where accountID is joined or
	// invited, most recently created first.
	Conversations(ctx context.Context, accountID int64) ([]*safeguard.Conversation, error)
	// DirectConversation returns the one-to-one conversation of a and b.
	DirectConversation(ctx context.Context, a, b int64) (*safeguard.Conversation, error)
	// ReleaseDirect makes a one-to-one conversation no longer the one of its
	// pair, so that a new one can be started; it keeps its members and
	// messages.
	ReleaseDirect(ctx context.Context, conversationID int64) error
	// AccountConversationIDs returns the IDs of every conversation where
	// accountID has a membership in any state (joined, invited, left or
	// removed), in ascending order.
	AccountConversationIDs(ctx context.Context, accountID int64) ([]int64, error)
	// SetConversationTitle changes a conversation's title; a missing
	// conversation is ErrNotFound.
	SetConversationTitle(ctx context.Context, id int64, title string) error
	// SetMember adds m to the conversation or updates its state.
	SetMember(ctx context.Context, conversationID int64, m safeguard.Member) error
	// LockConversation locks conversation id against every other
	// transaction that locks it, until this one ends, so that a message
	// stored and a membership changed in the same conversation happen one
	// after the other; a missing conversation is ErrNotFound.
	LockConversation(ctx context.Context, id int64) error
	// MemberConversations returns the IDs of conversations where accountID
	// is joined or invited and whose E2EE flag is e2ee.
	MemberConversations(ctx context.Context, accountID int64, e2ee bool) ([]int64, error)
}

// MessageQuery selects messages of a conversation, by ID cursor. With Before
// set, the newest messages older than Before come back, newest first; with
// After set, the oldest newer than After, oldest first; with neither, the
// newest first.
type MessageQuery struct {
	ConversationID int64
	Before, After  int64
	Limit          int
	// Viewer, if not zero, hides held messages of other senders: a sender
	// sees its own held messages as sent, no one else sees them.
	Viewer int64
	// Sender, if not zero, selects that account's messages only.
	Sender int64
	// Oldest, with no Before, gives the oldest messages first, as After
	// does: an After of 0 that starts at the beginning.
	Oldest bool
}

// MessageTx stores messages, media and read markers.
type MessageTx interface {
	// CreateMessage stores m and sets m.ID.
	CreateMessage(ctx context.Context, m *safeguard.Message) error
	Message(ctx context.Context, id int64) (*safeguard.Message, error)
	Messages(ctx context.Context, q MessageQuery) ([]*safeguard.Message, error)
	// SetMessageStatus changes a message's status (a hold, a release).
	SetMessageStatus(ctx context.Context, id int64, status safeguard.MessageStatus) error

	CreateMedia(ctx context.Context, m *safeguard.Media) error
	Media(ctx context.Context, id int64) (*safeguard.Media, error)
	// MediaMessages returns the IDs of messages that carry the media.
	MediaMessages(ctx context.Context, mediaID int64) ([]int64, error)

	// SetReadMarker moves an account's read marker forward; it never moves
	// back.
	SetReadMarker(ctx context.Context, r safeguard.ReadMarker) error
	ReadMarkers(ctx context.Context, conversationID int64) ([]safeguard.ReadMarker, error)
}

// RecordTx stores what the platform keeps about itself: the audit log, the
// policy's refusals, and the event outbox.
type RecordTx interface {
	Audit(ctx context.Context, e *safeguard.AuditEntry) error
	// AuditEntries returns entries about targetID (0 for all), newest
	// first, at most limit.
	AuditEntries(ctx context.Context, targetID int64, limit int) ([]safeguard.AuditEntry, error)

	RecordRefusal(ctx context.Context, r *safeguard.Refusal) error
	// RefusedMinors counts the distinct minors fromID tried to reach and was
	// refused since a time: the risk signal of an adult seeking children.
	RefusedMinors(ctx context.Context, fromID int64, since time.Time) (int, error)
	Refusals(ctx context.Context, fromID int64, limit int) ([]safeguard.Refusal, error)

	// AppendEvent writes e to the outbox, sets e.ID, and queues e for each
	// consumer Queues(e.Type) names. IDs are unique and increase, but
	// concurrent transactions may commit them out of order: a reader of
	// Events may see an ID before a smaller one commits, so consumers that
	// must see every event use their queue instead.
	AppendEvent(ctx context.Context, e *safeguard.Event) error
	// Events returns committed events with ID > after, in ID order, at most
	// limit.
	Events(ctx context.Context, after int64, limit int) ([]safeguard.Event, error)
	// ClaimEvents claims for consumer, until until, up to limit events of
	// its queue that no one holds a claim on at now, oldest first, and
	// returns them. On PostgreSQL it skips the rows another transaction is
	// claiming at that moment, so concurrent claimants get different
	// events.
	ClaimEvents(ctx context.Context, consumer string, now, until time.Time, limit int) ([]safeguard.Event, error)
	// ReleaseEvents ends the claim on the queued events ids of consumer, so
	// that the next ClaimEvents returns them again.
	ReleaseEvents(ctx context.Context, consumer string, ids []int64) error
	// DoneEvent takes event id out of consumer's queue, whoever claimed it;
	// it reports whether it was still there.
	DoneEvent(ctx context.Context, consumer string, id int64) (bool, error)
}

// DetectionQuery selects detections, newest first.
type DetectionQuery struct {
	MessageID      int64 // 0 for any
	ConversationID int64 // 0 for any
	SenderID       int64 // 0 for any
	Source         safeguard.DetectionSource
	Since          time.Time // zero for any
	Limit          int       // 0 means 100
}

// DetectionTx stores what the safety checks and people found.
type DetectionTx interface {
	// CreateDetection stores d and sets d.ID.
	CreateDetection(ctx context.Context, d *safeguard.Detection) error
	Detection(ctx context.Context, id int64) (*safeguard.Detection, error)
	Detections(ctx context.Context, q DetectionQuery) ([]*safeguard.Detection, error)
}

// BankEntryQuery selects the live entries of hash banks: those of committed
// imports that no later import replaced.
type BankEntryQuery struct {
	BankID    int64   // 0 for every bank
	ImportIDs []int64 // if set, only these imports (if live)
	// HashesOnly leaves ExternalID, Quality and AddedAt unset: what an index
	// needs, read faster.
	HashesOnly bool
}

// BankEntryFind finds live entries of one bank by any of their keys.
type BankEntryFind struct {
	BankID      int64
	IDs         []int64
	ExternalIDs []string
	PDQ         [][]byte
	MD5         [][]byte
	SHA256      [][]byte
}

// BankTx stores hash banks of known images: the banks and their provenance,
// the imports that add entries to them, the entries, single removals, and the
// bank generation, a counter that every change bumps in its own transaction
// so that an index built from the banks knows when and what to catch up. It
// also keeps the hashes of recent media, for retroactive matching.
type BankTx interface {
	// CreateHashBank stores b and sets b.ID. A name already taken is
	// ErrConflict.
	CreateHashBank(ctx context.Context, b *safeguard.HashBank) error
	HashBank(ctx context.Context, id int64) (*safeguard.HashBank, error)
	HashBankByName(ctx context.Context, name string) (*safeguard.HashBank, error)
	// HashBanks returns every bank, by name.
	HashBanks(ctx context.Context) ([]*safeguard.HashBank, error)
	// UpdateHashBank writes b's source, description, version, negative and
	// enabled flags, and its update and import times.
	UpdateHashBank(ctx context.Context, b *safeguard.HashBank) error
	// DeleteHashBank deletes a bank that has no imports (a bank whose first
	// import failed); a bank with imports is ErrInvalid.
	DeleteHashBank(ctx context.Context, id int64) error

	// BankGeneration returns the bank generation: 0 before any change.
	BankGeneration(ctx context.Context) (uint64, error)
	// BumpBankGeneration adds one to the bank generation and returns the new
	// value. Every change to banks or entries calls it in its transaction;
	// concurrent changes take their generations in commit order.
	BumpBankGeneration(ctx context.Context) (uint64, error)

	// CreateBankImport stores a pending import (Generation 0) and sets
	// im.ID.
	CreateBankImport(ctx context.Context, im *safeguard.BankImport) error
	// AddBankEntries stores entries of a pending import, which are not part
	// of the bank until the import is committed. Their BankID and ImportID
	// are taken from the import.
	AddBankEntries(ctx context.Context, importID int64, entries []safeguard.BankEntry) error
	// CommitBankImport makes a pending import's entries part of its bank at
	// generation gen and counts them in the bank. With replace, the bank's
	// other live imports are replaced at gen: their entries leave the bank.
	// A missing or already committed import is ErrNotFound.
	CommitBankImport(ctx context.Context, importID int64, gen uint64, replace bool, at time.Time) (*safeguard.BankImport, error)
	// PurgeBankImport deletes up to limit entries of an import that is
	// pending or replaced, and a pending import's row once it has none left;
	// it reports whether none are left. A live import is ErrInvalid.
	PurgeBankImport(ctx context.Context, importID int64, limit int) (done bool, err error)
	// BankImports returns the imports of a bank (0: every bank), in ID
	// order: pending, live and replaced.
	BankImports(ctx context.Context, bankID int64) ([]*safeguard.BankImport, error)
	// BankImportsSince returns the imports committed or replaced after
	// generation after, in ID order.
	BankImportsSince(ctx context.Context, after uint64) ([]*safeguard.BankImport, error)

	// EachBankEntry calls fn with each live entry q selects, in import then
	// ID order. The entry and its byte slices are valid only during the
	// call, and fn must not use the transaction.
	EachBankEntry(ctx context.Context, q BankEntryQuery, fn func(*safeguard.BankEntry) error) error
	// FindBankEntries returns the live entries of a bank that match any of
	// f's keys, in ID order.
	FindBankEntries(ctx context.Context, f BankEntryFind) ([]*safeguard.BankEntry, error)
	// BankEntriesByID returns the live entries among ids, of any bank.
	BankEntriesByID(ctx context.Context, ids []int64) (map[int64]*safeguard.BankEntry, error)
	// RemoveBankEntries deletes live entries of a bank and records their
	// removal at generation gen. It returns how many it removed; ids that
	// are not live entries of the bank are skipped.
	RemoveBankEntries(ctx context.Context, bankID int64, ids []int64, gen uint64) (int, error)
	// BankRemovals returns the ids of entries removed one by one after
	// generation after.
	BankRemovals(ctx context.Context, after uint64) ([]int64, error)

	// CreateMediaHashes stores the hashes of an image. A media ID already
	// stored is ErrConflict.
	CreateMediaHashes(ctx context.Context, h *safeguard.MediaHashes) error
	// StaleMediaHashes returns the media hashes with At >= since whose
	// Generation is below gen, in media ID order after afterMediaID, at most
	// limit (0 means 100, at most 1000).
	StaleMediaHashes(ctx context.Context, since time.Time, gen uint64, afterMediaID int64, limit int) ([]*safeguard.MediaHashes, error)
	// AdvanceMediaHashes sets the generation of those of the media whose
	// generation is still from to to, and returns how many it changed: a
	// pass that finds another process got there first changes nothing.
	AdvanceMediaHashes(ctx context.Context, mediaIDs []int64, from, to uint64) (int, error)
	// PurgeMediaHashes deletes the hashes of media that arrived before
	// before, and returns how many.
	PurgeMediaHashes(ctx context.Context, before time.Time) (int, error)
}

// RiskTx stores the risk scorer's state of each conversation (a serialized
// risk.Conversation) with a version, an opaque number the writer chooses for
// each write, so that two messages scored at once in one conversation cannot
// both write over the same state unseen.
type RiskTx interface {
	// RiskState returns a conversation's stored state and its version;
	// ErrNotFound if none is stored.
	RiskState(ctx context.Context, conversationID int64) (state []byte, version int64, err error)
	// SaveRiskState stores state as version (not 0) if the stored version is
	// still prev (0: none stored yet). Otherwise it changes nothing and returns
	// ErrConflict: the caller reloads the state and scores again.
	SaveRiskState(ctx context.Context, conversationID, prev, version int64, state []byte, at time.Time) error
	// AddSafetyNotice keeps a support notice a young person was shown and
	// sets n.ID.
	AddSafetyNotice(ctx context.Context, n *safeguard.SafetyNotice) error
	// SafetyNotices returns the notices account was shown, in ID order: in
	// one conversation, or in every conversation when conversationID is 0.
	SafetyNotices(ctx context.Context, accountID, conversationID int64) ([]*safeguard.SafetyNotice, error)
}

// URLListTx stores URL lists (IWF URL-list shape) and matches links against
// them.
type URLListTx interface {
	// CreateURLList stores l with its entries and sets l.ID and l.Entries
	// (duplicate entries count once). A name already taken is ErrConflict.
	CreateURLList(ctx context.Context, l *safeguard.URLList, entries []safeguard.URLEntry) error
	// URLLists returns every list, by name.
	URLLists(ctx context.Context) ([]*safeguard.URLList, error)
	URLListByName(ctx context.Context, name string) (*safeguard.URLList, error)
	// DeleteURLList removes a list and its entries.
	DeleteURLList(ctx context.Context, id int64) error
	// URLEntries returns every entry of a list, ordered by key.
	URLEntries(ctx context.Context, listID int64) ([]safeguard.URLEntry, error)
	// URLEntriesByKey returns the entries of any list whose key is one of
	// keys, ordered by list and key.
	URLEntriesByKey(ctx context.Context, keys []string) ([]safeguard.URLEntry, error)
}

// E2EEPurge is what PurgeE2EE deleted.
type E2EEPurge struct {
	Inbox     int      // inbox items past retention
	Envelopes int      // group envelopes dropped from their messages
	Blobs     []string // storage keys of the blobs deleted, for the caller to delete their bytes
	Reports   int      // report records past their expiry
}

// E2EETx stores what end-to-end encryption needs of the server: the key
// directory (devices, one-time and fallback keys), each device's inbox of
// envelopes, the encrypted blobs of attachments, and which receipts have
// been reported. It never holds a private key or a plaintext.
type E2EETx interface {
	// CreateDevice stores d and sets d.ID. A name the account already uses
	// for a device is ErrConflict.
	CreateDevice(ctx context.Context, d *safeguard.Device) error
	// Device returns the account's device with the name.
	Device(ctx context.Context, accountID int64, name string) (*safeguard.Device, error)
	// Devices returns the devices of the accounts, by account and name.
	Devices(ctx context.Context, accountIDs []int64) ([]*safeguard.Device, error)
	// DeleteDevice deletes a device with its keys and its inbox.
	DeleteDevice(ctx context.Context, id int64) error

	// AddOneTimeKeys stores one-time keys and a fallback key of a device.
	// A key id the device has used before is skipped if the key is the
	// same (an upload retried, even of a key already claimed: it is never
	// handed out again) and is ErrConflict if not. A fallback key replaces
	// the device's previous one.
	AddOneTimeKeys(ctx context.Context, deviceID int64, keys []safeguard.OneTimeKey) error
	// ClaimOneTimeKey hands out an unclaimed one-time key of a device and
	// marks it claimed at at, so that no one gets it again; when none is
	// left, the device's fallback key. ErrNotFound if it has neither.
	ClaimOneTimeKey(ctx context.Context, deviceID int64, at time.Time) (*safeguard.OneTimeKey, error)
	// OneTimeKeyCount returns how many one-time keys of a device are
	// unclaimed, and whether it has a fallback key.
	OneTimeKeyCount(ctx context.Context, deviceID int64) (unclaimed int, fallback bool, err error)

	// AppendInbox queues items and sets their IDs.
	AppendInbox(ctx context.Context, items []*safeguard.InboxItem) error
	// Inbox returns a device's items with ID > after, oldest first, at most
	// limit. A group item carries its message's envelope.
	Inbox(ctx context.Context, deviceID, after int64, limit int) ([]*safeguard.InboxItem, error)
	// AckInbox deletes a device's items with ID <= upTo and returns how
	// many. The envelope of a message no device waits for any longer is
	// dropped from the message.
	AckInbox(ctx context.Context, deviceID, upTo int64) (int, error)
	// ReleaseEnvelopes drops the envelopes (and franking tags) of those of
	// the messages that no inbox item waits for.
	ReleaseEnvelopes(ctx context.Context, messageIDs []int64) error

	// CreateBlob stores b; an ID already taken is ErrConflict.
	CreateBlob(ctx context.Context, b *safeguard.Blob) error
	Blob(ctx context.Context, id string) (*safeguard.Blob, error)

	// MarkReported records that a recipient reported a message and
	// reports whether that is new. The record may be purged after expires.
	MarkReported(ctx context.Context, messageID, recipientID int64, expires time.Time) (bool, error)

	// PurgeE2EE deletes inbox items queued before before (dropping the
	// envelopes nobody waits for any longer), blobs created before before,
	// and report records that expired before now.
	PurgeE2EE(ctx context.Context, before, now time.Time) (E2EEPurge, error)
}

// CaseQuery selects cases. Without ByID they come most urgent first:
// priority 1 before 2 before 3, then oldest first.
type CaseQuery struct {
	Statuses []safeguard.CaseStatus // empty for any
	SenderID int64                  // 0 for any
	ByID     bool                   // in ID order, after AfterID
	AfterID  int64
	Limit    int // 0 means 100
}

// AppealQuery selects appeals, oldest first.
type AppealQuery struct {
	CaseID    int64 // 0 for any
	AccountID int64 // 0 for any
	Statuses  []safeguard.AppealStatus
	Limit     int
}

// CaseTx stores cases, their occurrences and timelines, appeals, user
// reports and the law-enforcement reports filed.
type CaseTx interface {
	// CreateCase stores c and sets c.ID. A case for the same sender and
	// content key is ErrConflict.
	CreateCase(ctx context.Context, c *safeguard.Case) error
	Case(ctx context.Context, id int64) (*safeguard.Case, error)
	// CaseByKey returns the case of a sender's content.
	CaseByKey(ctx context.Context, senderID int64, contentKey string) (*safeguard.Case, error)
	// UpdateCase writes every field of c but ID, the key and CreatedAt.
	UpdateCase(ctx context.Context, c *safeguard.Case) error
	Cases(ctx context.Context, q CaseQuery) ([]*safeguard.Case, error)

	// AddOccurrence stores o, sets o.ID and counts it in its case. A
	// detection already in a case is ErrConflict.
	AddOccurrence(ctx context.Context, o *safeguard.Occurrence) error
	// Occurrences returns a case's occurrences, oldest first.
	Occurrences(ctx context.Context, caseID int64) ([]safeguard.Occurrence, error)
	// MessageOccurrences returns the occurrences of a message, in any case.
	MessageOccurrences(ctx context.Context, messageID int64) ([]safeguard.Occurrence, error)
	// SetOccurrenceReport records that a report included the occurrences.
	SetOccurrenceReport(ctx context.Context, ids []int64, reference string) error

	// AddCaseEvent appends e to its case's timeline and sets e.ID.
	AddCaseEvent(ctx context.Context, e *safeguard.CaseEvent) error
	// CaseEvents returns a case's timeline, oldest first.
	CaseEvents(ctx context.Context, caseID int64) ([]safeguard.CaseEvent, error)

	CreateAppeal(ctx context.Context, a *safeguard.Appeal) error
	Appeal(ctx context.Context, id int64) (*safeguard.Appeal, error)
	Appeals(ctx context.Context, q AppealQuery) ([]*safeguard.Appeal, error)
	// UpdateAppeal writes a's status, decision, decider and reason.
	UpdateAppeal(ctx context.Context, a *safeguard.Appeal) error

	CreateUserReport(ctx context.Context, r *safeguard.MemberReport) error
	// RecentUserReport returns the newest report by reporterID of target made
	// at or after since. It first locks the pair until the transaction
	// ends, so that the same report sent twice
	// at once (to two servers) is stored once: the second waits, then
	// finds the first.
	RecentUserReport(ctx context.Context, reporterID int64, target string, since time.Time) (*safeguard.MemberReport, error)

	// AddCaseReport stores a filed report and sets r.ID. A reference filed
	// twice is ErrConflict.
	AddCaseReport(ctx context.Context, r *safeguard.CaseReport) error
	// CaseReports returns the reports of a case, oldest first.
	CaseReports(ctx context.Context, caseID int64) ([]safeguard.CaseReport, error)
	// RealReports counts the reports filed that are not TEST.
	RealReports(ctx context.Context) (int, error)
}

// EvidenceTx stores the evidence log, its signed checkpoints and the record
// of every read. The log is append-only: there is no method to change or
// remove an entry.
type EvidenceTx interface {
	// AppendEvidence stores es in order. The first Seq must be one more
	// than the head's (1 for the first entry), and each next one more than
	// the one before; another Seq is ErrConflict, so two writers can never
	// fork the chain. A tombstone of an item that has one already is
	// ErrConflict too, whoever stored the first.
	AppendEvidence(ctx context.Context, es ...*safeguard.EvidenceEntry) error
	// EvidenceHead returns the last entry, or ErrNotFound for an empty log.
	// It first waits for any other transaction that read the head to end,
	// and holds the next one back until this one ends: transactions that
	// append to the log take turns instead of failing on each other's
	// entries. What the transaction reads after it sees every entry those
	// it waited for appended.
	EvidenceHead(ctx context.Context) (*safeguard.EvidenceEntry, error)
	EvidenceEntry(ctx context.Context, seq int64) (*safeguard.EvidenceEntry, error)
	// EvidenceTombstone returns the tombstone of the item whose Seq is
	// target, or ErrNotFound if its bytes were not deleted.
	EvidenceTombstone(ctx context.Context, target int64) (*safeguard.EvidenceEntry, error)
	// EvidenceEntries returns entries with Seq > after in Seq order, at most
	// limit (0 means 100, at most 1000).
	EvidenceEntries(ctx context.Context, after int64, limit int) ([]safeguard.EvidenceEntry, error)
	// CaseEvidence returns the entries of a case (items and tombstones) in
	// Seq order.
	CaseEvidence(ctx context.Context, caseID int64) ([]safeguard.EvidenceEntry, error)

	AddEvidenceCheckpoint(ctx context.Context, c *safeguard.EvidenceCheckpoint) error
	// EvidenceCheckpoints returns checkpoints with ID > after, oldest first.
	EvidenceCheckpoints(ctx context.Context, after int64, limit int) ([]safeguard.EvidenceCheckpoint, error)

	RecordEvidenceRead(ctx context.Context, r *safeguard.EvidenceRead) error
	// EvidenceReads returns the reads of a case's evidence, oldest first.
	EvidenceReads(ctx context.Context, caseID int64) ([]safeguard.EvidenceRead, error)
}

// DatasetInfo describes a stored statistics dataset without its rows.
type DatasetInfo struct {
	Name       string
	Period     string
	Source     string
	ImportedAt time.Time
	Layout     safeguard.DatasetLayout
	Measure    string
	Columns    int // number columns
	Rows       int // force rows
}

// DatasetTx stores statistics datasets — police returns, imported and
// aggregated — by name. A dataset is the aggregate (a row per force), so it
// is small whatever the size of the file it came from.
type DatasetTx interface {
	// CreateDataset stores d under d.Name. A name already stored is
	// ErrConflict with code "dataset_exists".
	CreateDataset(ctx context.Context, d *safeguard.Dataset) error
	// Dataset returns the dataset stored under name, as it was stored.
	Dataset(ctx context.Context, name string) (*safeguard.Dataset, error)
	// Datasets lists the stored datasets in name order.
	Datasets(ctx context.Context) ([]DatasetInfo, error)
	// DeleteDataset removes the dataset stored under name; a name not
	// stored is ErrNotFound.
	DeleteDataset(ctx context.Context, name string) error
}

// ModeratorTx stores the moderators of the console and their sessions.
// Moderators are apart from chat accounts.
type ModeratorTx interface {
	// CreateModerator stores m with its password hash and sets m.ID. A name
	// already taken (names compare case-insensitively) is ErrConflict with
	// code "name_taken".
	CreateModerator(ctx context.Context, m *safeguard.Moderator, passwordHash string) error
	Moderator(ctx context.Context, id int64) (*safeguard.Moderator, error)
	ModeratorByName(ctx context.Context, name string) (*safeguard.Moderator, error)
	// Moderators returns every moderator, by name.
	Moderators(ctx context.Context) ([]*safeguard.Moderator, error)
	// UpdateModerator writes m's role, disabled state and DisabledAt.
	UpdateModerator(ctx context.Context, m *safeguard.Moderator) error
	ModeratorPasswordHash(ctx context.Context, id int64) (string, error)
	SetModeratorPassword(ctx context.Context, id int64, passwordHash string) error

	// CreateModeratorSession stores s. A token hash already stored is
	// ErrConflict.
	CreateModeratorSession(ctx context.Context, s *safeguard.ModeratorSession) error
	// ModeratorSession returns the session with the token hash, expired or
	// not.
	ModeratorSession(ctx context.Context, tokenHash []byte) (*safeguard.ModeratorSession, error)
	// TouchModeratorSession sets the session's LastSeen; it never moves
	// back.
	TouchModeratorSession(ctx context.Context, tokenHash []byte, at time.Time) error
	DeleteModeratorSession(ctx context.Context, tokenHash []byte) error
	// DeleteModeratorSessions ends every session of a moderator.
	DeleteModeratorSessions(ctx context.Context, moderatorID int64) error
	// PruneModeratorSessions deletes the sessions that expired before
	// expiredBefore or were last seen before idleBefore, and returns how many.
	PruneModeratorSessions(ctx context.Context, expiredBefore, idleBefore time.Time) (int, error)
}

// RateKey names a rate-limit bucket: the limit and the key in it.
type RateKey struct{ Name, Key string }

// RateBucket is a rate-limit bucket as stored: the events it has to give
// (fractions count) as of At. At zero is a bucket never stored, or one to
// forget: full.
type RateBucket struct {
	RateKey
	Tokens float64
	At     time.Time
}

// RateTx keeps the rate-limit buckets that the servers of a cluster share.
type RateTx interface {
	// RateBuckets returns the buckets of keys, in their order, locked
	// against every other transaction that asks for one of them until
	// this one ends (at most one of each key).
	RateBuckets(ctx context.Context, keys []RateKey) ([]RateBucket, error)
	// PutRateBuckets stores the buckets; one with At zero is forgotten.
	PutRateBuckets(ctx context.Context, bs []RateBucket) error
	// PruneRateBuckets forgets the buckets of the limit name last stored
	// before before (full again by now), and returns how many.
	PruneRateBuckets(ctx context.Context, name string, before time.Time) (int64, error)
}

// IdempotencyTx keeps the idempotency keys of message sends.
type IdempotencyTx interface {
	// IdempotentMessage returns the ID of the message an account stored
	// with key at since or later; ErrNotFound if none.
	IdempotentMessage(ctx context.Context, accountID int64, key string, since time.Time) (int64, error)
	// PutIdempotencyKey records that key of an account stored message
	// messageID at at. A key the account used at since or later is
	// ErrConflict; an older use of it is replaced.
	PutIdempotencyKey(ctx context.Context, accountID int64, key string, messageID int64, at, since time.Time) error
	// PruneIdempotencyKeys forgets the keys used before before, and returns
	// how many.
	PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)
}

// SealedKey is one key of the keyring as stored: sealed (encrypted and
// authenticated) under the key-encryption key, which the store never sees.
type SealedKey struct {
	Name    string // "media", "franking/<kid>", …; the associated data of the seal
	Created time.Time
	Sealed  []byte
}

// KeyringTx keeps the keyring: the keys the servers of a cluster share.
type KeyringTx interface {
	// Keyring returns the keys whose names start with prefix ("" for all),
	// by name. With lock, the rows read are locked against every other
	// transaction that locks them until this one ends.
	Keyring(ctx context.Context, prefix string, lock bool) ([]SealedKey, error)
	// AddToKeyring stores the keys whose names are not taken, leaving a
	// key already stored under a name as it is, and returns how many it
	// stored.
	AddToKeyring(ctx context.Context, keys []SealedKey) (int64, error)
	// ResealKeyring replaces the sealed bytes of keys stored under the
	// names of keys; a name not stored is ErrNotFound.
	ResealKeyring(ctx context.Context, keys []SealedKey) error
	// DeleteFromKeyring deletes the keys of names, and returns how many
	// there were.
	DeleteFromKeyring(ctx context.Context, names []string) (int64, error)
}

// RiskRuleSet is one generation of the risk rules in force: the rule and
// lexicon files a server read, as the risk scanner encodes them.
type RiskRuleSet struct {
	Generation int64 // numbers the sets stored: a later one is larger
	Version    string
	Sources    []byte
	Node       string // the server that read the files
	CreatedAt  time.Time
}

// RuleCount is a risk rule's counts: one server's, or summed.
type RuleCount struct {
	Rule                     string
	Evaluated, Fired, Errors int64
}

// OpenStream is a live event stream open on one server of a cluster, as
// the caps on streams per account and per address count it. It counts
// until ExpiresAt, which its server moves on while the stream is open.
type OpenStream struct {
	ID        int64 // numbers the streams in the order they were stored
	Node      string
	AccountID int64
	Address   string // the client address as the caps key it: an IPv4 address, an IPv6 /64
	OpenedAt  time.Time
	ExpiresAt time.Time
}

// ClusterTx keeps what the servers of a cluster share of their own work:
// leases on background jobs, the risk rules in force, each server's counts
// of the rules, the state of NCMEC filings, and the live event streams
// open on each server.
type ClusterTx interface {
	// TakeLease gives the lease name to holder until until if it is free
	// at now (never taken, released, or expired before now) or holder has
	// it already, and reports whether holder has it.
	TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease frees the lease name if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
	// HoldsFiles reports whether the database names any stored file: an
	// upload, an end-to-end encrypted attachment or an evidence entry,
	// whose bytes are in the cluster's object store.
	HoldsFiles(ctx context.Context) (bool, error)

	// AddRiskRuleSet stores rs as the newest generation and sets its
	// Generation.
	AddRiskRuleSet(ctx context.Context, rs *RiskRuleSet) error
	// LatestRiskRuleSet returns the newest generation; ErrNotFound if
	// none was stored.
	LatestRiskRuleSet(ctx context.Context) (*RiskRuleSet, error)

	// PutRuleCounts stores node's counts of the rules, replacing those it
	// stored before.
	PutRuleCounts(ctx context.Context, node string, at time.Time, counts []RuleCount) error
	// RuleCounts returns each rule's counts summed over every server, by
	// rule.
	RuleCounts(ctx context.Context) ([]RuleCount, error)

	// NCMECFiling returns the state stored for a report reference;
	// ErrNotFound if none.
	NCMECFiling(ctx context.Context, reference string) ([]byte, error)
	// PutNCMECFiling stores the state of a report reference.
	PutNCMECFiling(ctx context.Context, reference string, state []byte, at time.Time) error

	// OpenStreams locks the streams of accountID and those at address
	// against every other transaction that asks for either until this one
	// ends, and returns those that count at now (expiring after now), in
	// the order they were stored: those at address, then those of
	// accountID.
	OpenStreams(ctx context.Context, accountID int64, address string, now time.Time) (atAddress, ofAccount []OpenStream, err error)
	// AddStream stores s and sets its ID.
	AddStream(ctx context.Context, s *OpenStream) error
	// DeleteStreams deletes the streams of ids; one already gone is no
	// error.
	DeleteStreams(ctx context.Context, ids []int64) error
	// RenewStreams moves the expiry of the streams of ids still stored
	// (expired or not) to until, and returns their IDs.
	RenewStreams(ctx context.Context, ids []int64, until time.Time) ([]int64, error)
	// PruneStreams deletes the streams of every server expired before
	// before, and returns how many.
	PruneStreams(ctx context.Context, before time.Time) (int64, error)
}
