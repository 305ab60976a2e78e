// Package evidence is the evidence vault: what a case preserves (messages,
// media, the conversation around them, account data, connections) kept apart
// from the database and encrypted at rest, and an append-only log in the
// database that makes any change to it evident.
//
// Each log entry carries the SHA-256 of the entry before it and, for an item,
// the digest of the item's bytes. Checkpoints — the number of entries and the
// hash of the last — are signed with an ed25519 key kept outside the database,
// whose public key is pinned in configuration, so that someone who can write
// to the database cannot rewrite the log and sign it again. Retention deletes
// an item's bytes and appends a signed tombstone; the chain is never edited.
// Verify checks all of it and names the first entry that does not hold.
//
// See docs/evidence.md for the format, checkpoints, verification and the
// retention settings with their legal basis.
package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// The domains of what is hashed and signed, so that no signature or hash
// of one kind can pass for another.
const (
	entryDomain      = "safeguard evidence entry v1"
	tombstoneDomain  = "safeguard evidence tombstone v1"
	checkpointDomain = "safeguard evidence checkpoint v1"
)

// KindReportedText is the item kind of the text of an end-to-end encrypted
// message that a recipient reported and the server verified (franking). The
// text exists nowhere else on the server: the detection names it by digest.
const KindReportedText = "reported_text"

// ReportedTextType is the content type of a reported text.
const ReportedTextType = "text/plain; charset=utf-8"

// Item is one thing to preserve.
type Item struct {
	Kind        string // "message", "media", "context", "account", "connections", "detection", "report", …
	Ref         string // what it is of: "message:12", "account:7"
	ContentType string
	Class       safeguard.RetentionClass
	Data        []byte
}

// Staged is an item whose bytes are already stored apart, ready for its log
// entry. Item.Data may be empty once staged: Size is the size of the bytes
// stored. Bytes staged by another service before the case that logs them
// exists (a verified report's text, say) come back as a Staged made from
// the digest, storage key and size it kept.
type Staged struct {
	Item       Item
	Digest     []byte
	StorageKey string
	Size       int64
}

// Vault preserves items and keeps the log. Items hold the encrypted bytes;
// the key signs tombstones and checkpoints (it may be nil for a vault that
// only reads and verifies).
type Vault struct {
	items media.Store
	key   ed25519.PrivateKey
	now   func() time.Time
}

// New returns a Vault over items, signing with key. now is time.Now if nil.
func New(items media.Store, key ed25519.PrivateKey, now func() time.Time) *Vault {
	if now == nil {
		now = time.Now
	}
	return &Vault{items: items, key: key, now: now}
}

// PublicKey returns the public half of the vault's signing key.
func (v *Vault) PublicKey() ed25519.PublicKey {
	if v.key == nil {
		return nil
	}
	return v.key.Public().(ed25519.PublicKey)
}

// Stage stores the bytes of items apart, encrypted, in one batch of the
// item store (media.PutAll), and returns them ready for Append. It runs outside any transaction: a transaction may be run
// again, a file write may not. Discard removes what a failed transaction
// leaves behind.
func (v *Vault) Stage(ctx context.Context, items []Item) ([]Staged, error) {
	data := make([][]byte, len(items))
	for i, it := range items {
		if it.Class != safeguard.RetainContent && it.Class != safeguard.RetainReference {
			return nil, fmt.Errorf("evidence item %s: unknown retention class %q", it.Ref, it.Class)
		}
		data[i] = it.Data
	}
	keys, err := media.PutAll(ctx, v.items, data)
	if err != nil {
		return nil, fmt.Errorf("store %d evidence items: %w", len(items), err)
	}
	out := make([]Staged, len(items))
	for i, it := range items {
		sum := sha256.Sum256(it.Data)
		out[i] = Staged{Item: it, Digest: sum[:], StorageKey: keys[i], Size: int64(len(it.Data))}
	}
	return out, nil
}

// Discard deletes the stored bytes of staged items that were never logged.
func (v *Vault) Discard(ctx context.Context, staged []Staged) {
	for _, s := range staged {
		v.items.Delete(context.WithoutCancel(ctx), s.StorageKey)
	}
}

// Append logs staged items of a case in tx, each chained to the one before,
// and signs a checkpoint of the new head. It needs the signing key.
func (v *Vault) Append(ctx context.Context, tx Tx, caseID int64, staged []Staged) ([]safeguard.EvidenceEntry, error) {
	return v.AppendCases(ctx, tx, []CaseItems{{CaseID: caseID, Staged: staged}})
}

// CaseItems are the staged items of one case.
type CaseItems struct {
	CaseID int64
	Staged []Staged
}

// AppendCases logs the staged items of several cases in tx, in order, each
// chained to the one before, and signs one checkpoint of the new head: the
// log is one chain, so appending much at once holds it for less time than
// appending each case's items on its own. It needs the signing key.
func (v *Vault) AppendCases(ctx context.Context, tx Tx, cases []CaseItems) ([]safeguard.EvidenceEntry, error) {
	var n int
	for _, c := range cases {
		n += len(c.Staged)
	}
	if n == 0 {
		return nil, nil
	}
	if v.key == nil {
		return nil, errors.New("evidence: no signing key")
	}
	prev, seq, err := head(ctx, tx)
	if err != nil {
		return nil, err
	}
	now := v.now().UTC()
	out := make([]safeguard.EvidenceEntry, 0, n)
	for _, c := range cases {
		for _, s := range c.Staged {
			seq++
			e := safeguard.EvidenceEntry{
				Seq: seq, At: now, CaseID: c.CaseID, Kind: safeguard.EvidenceItem, ItemKind: s.Item.Kind, Ref: s.Item.Ref,
				ContentType: s.Item.ContentType, Class: s.Item.Class, Digest: s.Digest, Size: s.Size,
				StorageKey: s.StorageKey, PrevHash: prev,
			}
			e.Hash = EntryHash(&e)
			prev = e.Hash
			out = append(out, e)
		}
	}
	es := make([]*safeguard.EvidenceEntry, len(out))
	for i := range out {
		es[i] = &out[i]
	}
	if err := tx.AppendEvidence(ctx, es...); err != nil {
		return nil, fmt.Errorf("append evidence: %w", err)
	}
	return out, v.checkpoint(ctx, tx, seq, prev, now)
}

// head returns the hash and Seq of the log's last entry (zeros for an empty
// log).
func head(ctx context.Context, tx Tx) ([]byte, int64, error) {
	h, err := tx.EvidenceHead(ctx)
	if errors.Is(err, safeguard.ErrNotFound) {
		return make([]byte, sha256.Size), 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return h.Hash, h.Seq, nil
}

func (v *Vault) checkpoint(ctx context.Context, tx Tx, count int64, headHash []byte, at time.Time) error {
	c := &safeguard.EvidenceCheckpoint{At: at, Count: count, Head: headHash, PublicKey: v.PublicKey()}
	c.Signature = ed25519.Sign(v.key, CheckpointMessage(c))
	if err := tx.AddEvidenceCheckpoint(ctx, c); err != nil {
		return fmt.Errorf("evidence checkpoint: %w", err)
	}
	return nil
}

// errTombstoned is tombstone's answer for an item that has one already.
var errTombstoned = errors.New("evidence: item tombstoned already")

// tombstone logs the deletion of item's bytes, signed, and checkpoints, or
// answers errTombstoned if the item has a tombstone already. It looks after
// taking the head, which waits for every other transaction appending to the
// log: a tombstone another writer stored, however recently, is seen, so
// retention run by several servers and commands at once writes one.
func (v *Vault) tombstone(ctx context.Context, tx Tx, item *safeguard.EvidenceEntry, reason string) (*safeguard.EvidenceEntry, error) {
	if v.key == nil {
		return nil, errors.New("evidence: no signing key")
	}
	prev, seq, err := head(ctx, tx)
	if err != nil {
		return nil, err
	}
	switch _, err := tx.EvidenceTombstone(ctx, item.Seq); {
	case err == nil:
		return nil, errTombstoned
	case !errors.Is(err, safeguard.ErrNotFound):
		return nil, err
	}
	now := v.now().UTC()
	e := &safeguard.EvidenceEntry{
		Seq: seq + 1, At: now, CaseID: item.CaseID, Kind: safeguard.EvidenceTombstone, Ref: item.Ref,
		Class: item.Class, Target: item.Seq, Reason: reason, PrevHash: prev,
	}
	e.Signature = ed25519.Sign(v.key, TombstoneMessage(e, item.Hash))
	e.Hash = EntryHash(e)
	if err := tx.AppendEvidence(ctx, e); err != nil {
		return nil, fmt.Errorf("append tombstone: %w", err)
	}
	return e, v.checkpoint(ctx, tx, e.Seq, e.Hash, now)
}

// Read returns the bytes of a case's item after recording who reads it and
// why; the record is written before the bytes are read, so no read goes
// unrecorded. The bytes are checked against the logged digest.
func (v *Vault) Read(ctx context.Context, st store.Store, caseID, seq int64, who, why string) (*safeguard.EvidenceEntry, []byte, error) {
	if who == "" || why == "" {
		return nil, nil, safeguard.Invalid("reason_required", "Say who is reading the evidence and why.")
	}
	var e *safeguard.EvidenceEntry
	err := updateTx(ctx, st, func(tx Tx) error {
		var err error
		if e, err = tx.EvidenceEntry(ctx, seq); err != nil {
			return err
		}
		if e.CaseID != caseID || e.Kind != safeguard.EvidenceItem {
			return safeguard.NotFound
		}
		return tx.RecordEvidenceRead(ctx, &safeguard.EvidenceRead{Seq: seq, CaseID: caseID, At: v.now().UTC(), Who: who, Why: why})
	})
	if err != nil {
		return nil, nil, err
	}
	data, err := v.items.Get(ctx, e.StorageKey)
	if errors.Is(err, safeguard.ErrNotFound) {
		return e, nil, safeguard.Errorf(safeguard.ErrNotFound, "evidence_deleted", "This evidence has been deleted.")
	}
	if err != nil {
		return nil, nil, err
	}
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], e.Digest) {
		return nil, nil, fmt.Errorf("evidence entry %d: bytes do not match the logged digest", seq)
	}
	return e, data, nil
}

// ReadAll returns the bytes of several items of one case, read as one:
// a single read is recorded, naming the first item in Seq and the others in
// Covers, before any bytes are read. Items whose bytes were deleted at the
// end of their retention come back with nil bytes; every other item is
// checked against its logged digest.
func (v *Vault) ReadAll(ctx context.Context, st store.Store, caseID int64, seqs []int64, who, why string) ([]*safeguard.EvidenceEntry, [][]byte, error) {
	if who == "" || why == "" {
		return nil, nil, safeguard.Invalid("reason_required", "Say who is reading the evidence and why.")
	}
	if len(seqs) == 0 {
		return nil, nil, safeguard.NotFound
	}
	entries := make([]*safeguard.EvidenceEntry, len(seqs))
	err := updateTx(ctx, st, func(tx Tx) error {
		for i, seq := range seqs {
			e, err := tx.EvidenceEntry(ctx, seq)
			if err != nil {
				return err
			}
			if e.CaseID != caseID || e.Kind != safeguard.EvidenceItem {
				return safeguard.NotFound
			}
			entries[i] = e
		}
		return tx.RecordEvidenceRead(ctx, &safeguard.EvidenceRead{Seq: seqs[0], CaseID: caseID, At: v.now().UTC(), Who: who, Why: why,
			Covers: append([]int64(nil), seqs[1:]...)})
	})
	if err != nil {
		return nil, nil, err
	}
	data := make([][]byte, len(seqs))
	for i, e := range entries {
		b, err := v.items.Get(ctx, e.StorageKey)
		if errors.Is(err, safeguard.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if sum := sha256.Sum256(b); !bytes.Equal(sum[:], e.Digest) {
			return nil, nil, fmt.Errorf("evidence entry %d: bytes do not match the logged digest", e.Seq)
		}
		data[i] = b
	}
	return entries, data, nil
}

// EntryHash is the SHA-256 that chains an entry: every field but Hash, each
// length-prefixed, after the entry domain.
func EntryHash(e *safeguard.EvidenceEntry) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
		h.Write(b)
	}
	str := func(s string) { field([]byte(s)) }
	num := func(i int64) { str(strconv.FormatInt(i, 10)) }
	str(entryDomain)
	num(e.Seq)
	num(e.At.UnixMicro())
	num(e.CaseID)
	str(string(e.Kind))
	str(e.ItemKind)
	str(e.Ref)
	str(e.ContentType)
	str(string(e.Class))
	field(e.Digest)
	num(e.Size)
	str(e.StorageKey)
	num(e.Target)
	str(e.Reason)
	field(e.Signature)
	field(e.PrevHash)
	return h.Sum(nil)
}

// TombstoneMessage is what a tombstone's signature covers: the deleted
// entry's Seq and hash, the tombstone's time and reason.
func TombstoneMessage(e *safeguard.EvidenceEntry, targetHash []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%d\n%x\n%d\n%d\n%s", tombstoneDomain, e.Target, targetHash, e.Seq, e.At.UnixMicro(), e.Reason)
	return b.Bytes()
}

// CheckpointMessage is what a checkpoint's signature covers.
func CheckpointMessage(c *safeguard.EvidenceCheckpoint) []byte {
	return fmt.Appendf(nil, "%s\n%d\n%x\n%d", checkpointDomain, c.Count, c.Head, c.At.UnixMicro())
}
