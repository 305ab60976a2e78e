package safeguard

import "time"

// EvidenceKind tells an entry that preserves an item from a tombstone that
// records its deletion.
type EvidenceKind string

// The evidence entry kinds.
const (
	EvidenceItem      EvidenceKind = "item"
	EvidenceTombstone EvidenceKind = "tombstone"
)

// RetentionClass says how long a preserved item is kept.
type RetentionClass string

// The retention classes: content and related data (one year), and report
// references (five years). docs/evidence.md gives the legal basis.
const (
	RetainContent   RetentionClass = "content"
	RetainReference RetentionClass = "reference"
)

// EvidenceEntry is one entry of the evidence log, an append-only chain: each
// entry carries the SHA-256 of the one before (PrevHash) and its own (Hash),
// and, for an item, the digest of the bytes preserved, which are stored apart
// and encrypted. A tombstone records that an item's bytes were deleted, signed
// with the evidence key, without touching the chain.
type EvidenceEntry struct {
	Seq         int64 // 1, 2, 3, … without gaps
	At          time.Time
	CaseID      int64
	Kind        EvidenceKind
	ItemKind    string // "message", "media", "context", "account", …
	Ref         string // what the item is of: "message:12", "account:7"
	ContentType string
	Class       RetentionClass
	Digest      []byte // SHA-256 of the item's bytes
	Size        int64
	StorageKey  string
	Target      int64  // for a tombstone: the Seq of the deleted item
	Reason      string // for a tombstone: why it was deleted
	Signature   []byte // for a tombstone: ed25519, by the evidence key
	PrevHash    []byte
	Hash        []byte
}

// EvidenceCheckpoint is the head of the evidence log at a moment, signed with
// the evidence key: Count entries whose last has hash Head.
type EvidenceCheckpoint struct {
	ID        int64
	At        time.Time
	Count     int64
	Head      []byte
	PublicKey []byte
	Signature []byte
}

// EvidenceRead records one read of a preserved item: who, when and why.
// A read that opened several items at once (a case's conversation, shown
// as one thread) names the first in Seq and the others in Covers.
type EvidenceRead struct {
	ID     int64
	Seq    int64
	CaseID int64
	At     time.Time
	Who    string
	Why    string
	Covers []int64
}
