package safeguard

import "time"

// HashBank is a named list of hashes of known images, with where it came
// from. A positive bank's entries are known abuse images: a match holds the
// message and opens a case. A negative bank's entries are known false
// positives: an image near one of them is not reported as a match of any
// positive bank. A disabled bank matches and suppresses nothing.
type HashBank struct {
	ID          int64
	Name        string // unique; letters, digits, '-', '_' and '.'
	Source      string // who supplied it: "IWF", "NCMEC", "own moderators", …
	Description string
	Version     string // the list's own version or date, as its source gives it
	Negative    bool
	Enabled     bool
	Entries     int       // live entries
	CreatedAt   time.Time // when the bank was created
	UpdatedAt   time.Time // the last change of any kind
	ImportedAt  time.Time // the last import or addition of entries; zero if none
}

// BankImport is one batch of entries added to a bank: a list imported from a
// file, or hashes and images added by hand. Its entries become part of the
// bank all at once, when the import is committed at a bank generation.
type BankImport struct {
	ID         int64
	BankID     int64
	Generation uint64 // the bank generation at which it was committed; 0 while pending
	Replaced   uint64 // the generation at which a later import replaced it; 0 if live
	Format     string // "text", "csv", "pdq-hasher", "hma-json", or "manual"
	SHA256     string // hex SHA-256 of the imported file, if any
	Entries    int
	By         string // who imported it
	At         time.Time
}

// BankEntry is one item of a hash bank: the hashes of one known image.
// Absent hashes are nil.
type BankEntry struct {
	ID         int64
	BankID     int64
	ImportID   int64
	Generation uint64 // of its import
	ExternalID string // the list's own id for the item, if any
	PDQ        []byte // 32 bytes
	MD5        []byte // 16 bytes
	SHA256     []byte // 32 bytes
	Quality    int    // PDQ quality 0–100, or -1 if the list did not say
	AddedAt    time.Time
}

// MediaHashes are the hashes of one uploaded image, kept for a while so that
// hashes added to a bank later can be checked against recent media
// (retroactive matching). Generation is the bank generation the image has
// been checked against so far: 0 if it could not be checked when it arrived.
type MediaHashes struct {
	MediaID        int64
	MessageID      int64
	ConversationID int64
	SenderID       int64
	MD5            []byte // 16 bytes
	SHA256         []byte // 32 bytes
	PDQ            []byte // 32 bytes; nil if the image could not be decoded
	// Dihedral holds the PDQ hashes of the image's eight rotations and
	// flips, 8 × 32 bytes in pdq.Transform order; nil if not computed.
	Dihedral   []byte
	Quality    int // PDQ quality 0–100; 0 if not decoded
	Generation uint64
	At         time.Time
}
