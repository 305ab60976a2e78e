package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Problem is one thing Verify found wrong, with the entry it concerns (0 for
// the log as a whole).
type Problem struct {
	Seq  int64
	Text string
}

func (p Problem) String() string {
	if p.Seq == 0 {
		return p.Text
	}
	return fmt.Sprintf("entry %d: %s", p.Seq, p.Text)
}

// Report is what Verify found.
type Report struct {
	Entries     int64
	Items       int64
	Tombstones  int64
	Checkpoints int64
	// ItemsChecked counts items whose bytes were read and matched their
	// digest (only when Verify is given the item store).
	ItemsChecked int64
	// ItemsMissing counts the items not deleted by a tombstone that the
	// item store does not have.
	ItemsMissing int64
	// CheckpointsSigned counts the checkpoints signed by the pinned key.
	CheckpointsSigned int64
	Problems          []Problem

	// other counts the problems that are not a signature the pinned key
	// did not make (kept past maxProblems too).
	other int
}

// WrongKey reports whether the pinned key signed none of the log's
// checkpoints while the log is otherwise consistent: every problem is a
// signature the key did not make. The key pinned is most likely not this
// log's, rather than the log tampered with.
func (r *Report) WrongKey() bool {
	return r.Checkpoints > 0 && r.CheckpointsSigned == 0 && r.other == 0 && len(r.Problems) > 0
}

// OK reports whether the log verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// NoItemFound reports whether the item store held none of the log's items
// that should be there: most likely an item store that is not this log's
// (the wrong directory), rather than items deleted one by one.
func (r *Report) NoItemFound() bool {
	return r.ItemsMissing > 0 && r.ItemsChecked == 0 && r.ItemsMissing == r.Items-r.Tombstones
}

// maxProblems bounds the report: after a break, every later entry may fail
// too.
const maxProblems = 50

// pageSize is how many entries or checkpoints Verify reads at a time.
const pageSize = 1000

// Verify checks the whole log in st against the pinned public key pub: the
// entries run 1, 2, 3, … without a gap; each carries the hash of the one
// before and its own hash matches its contents; each tombstone is signed by
// pub and deletes an item that exists, once; each checkpoint is signed by pub
// and matches the chain at its count; the last checkpoint covers the last
// entry. With items, it also reads the bytes of every item not deleted by a
// tombstone and checks them against their digest. So any edit, insertion or
// deletion that is not a tombstone is found and the entry named.
func Verify(ctx context.Context, st store.Store, pub ed25519.PublicKey, items media.Store) (*Report, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("evidence verify: a pinned public key is required")
	}
	v := &verifier{r: &Report{}, pub: pub, hashes: map[int64][]byte{}, kinds: map[int64]safeguard.EvidenceKind{},
		deleted: map[int64]bool{}, prev: make([]byte, sha256.Size)}
	if err := v.log(ctx, st); err != nil {
		return nil, err
	}
	if err := v.checkpoints(ctx, st); err != nil {
		return nil, err
	}
	if items != nil {
		v.items(ctx, items)
	}
	return v.r, nil
}

// verifier is a Verify under way: the report so far, and what the log has
// shown up to its last entry read.
type verifier struct {
	r       *Report
	pub     ed25519.PublicKey
	hashes  map[int64][]byte // seq → stored hash
	kinds   map[int64]safeguard.EvidenceKind
	live    []safeguard.EvidenceEntry // items, for the byte check
	deleted map[int64]bool
	prev    []byte // the hash of the last entry read
	last    int64  // its seq
}

func (v *verifier) problem(seq int64, format string, args ...any) {
	v.r.other++
	v.unsigned(seq, format, args...)
}

// unsigned records a problem that is a signature the pinned key did not
// make (or entries no signed checkpoint covers).
func (v *verifier) unsigned(seq int64, format string, args ...any) {
	if len(v.r.Problems) < maxProblems {
		v.r.Problems = append(v.r.Problems, Problem{Seq: seq, Text: fmt.Sprintf(format, args...)})
	}
}

// log reads the whole log, a page at a time, and checks its chain.
func (v *verifier) log(ctx context.Context, st store.Store) error {
	for {
		var page []safeguard.EvidenceEntry
		err := viewTx(ctx, st, func(tx Tx) (err error) { page, err = tx.EvidenceEntries(ctx, v.last, pageSize); return })
		if err != nil {
			return fmt.Errorf("read evidence log: %w", err)
		}
		for i := range page {
			v.entry(&page[i])
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// entry checks e against the entry before it and its own hash, and a
// tombstone against the item it deletes.
func (v *verifier) entry(e *safeguard.EvidenceEntry) {
	v.r.Entries++
	if e.Seq != v.last+1 {
		v.problem(e.Seq, "entries %d to %d are missing (deleted from the log)", v.last+1, e.Seq-1)
	}
	if !bytes.Equal(e.PrevHash, v.prev) {
		v.problem(e.Seq, "does not follow entry %d: its previous hash differs (an entry was inserted, removed or edited before it)", v.last)
	}
	if got := EntryHash(e); !bytes.Equal(got, e.Hash) {
		v.problem(e.Seq, "its contents do not match its hash (edited)")
	}
	switch e.Kind {
	case safeguard.EvidenceItem:
		v.r.Items++
		v.live = append(v.live, *e)
	case safeguard.EvidenceTombstone:
		v.r.Tombstones++
		v.tombstone(e)
	default:
		v.problem(e.Seq, "unknown kind %q", e.Kind)
	}
	v.hashes[e.Seq], v.kinds[e.Seq] = e.Hash, e.Kind
	v.prev, v.last = e.Hash, e.Seq
}

// tombstone checks that e deletes an earlier item, once, signed by the
// pinned key.
func (v *verifier) tombstone(e *safeguard.EvidenceEntry) {
	target, ok := v.hashes[e.Target]
	switch {
	case !ok || v.kinds[e.Target] != safeguard.EvidenceItem:
		v.problem(e.Seq, "tombstone of entry %d, which is not an earlier item", e.Target)
	case v.deleted[e.Target]:
		v.problem(e.Seq, "second tombstone of entry %d", e.Target)
	case !ed25519.Verify(v.pub, TombstoneMessage(e, target), e.Signature):
		v.unsigned(e.Seq, "tombstone of entry %d is not signed by the pinned key", e.Target)
	}
	v.deleted[e.Target] = true
}

// checkpoints reads every checkpoint and checks each is signed and matches
// the chain at its count, and that the last covers the log's last entry.
func (v *verifier) checkpoints(ctx context.Context, st store.Store) error {
	var covered int64
	var after int64
	for {
		var page []safeguard.EvidenceCheckpoint
		err := viewTx(ctx, st, func(tx Tx) (err error) { page, err = tx.EvidenceCheckpoints(ctx, after, pageSize); return })
		if err != nil {
			return fmt.Errorf("read evidence checkpoints: %w", err)
		}
		for i := range page {
			c := &page[i]
			v.r.Checkpoints++
			after = c.ID
			if v.checkpoint(c) {
				covered = max(covered, c.Count)
			}
		}
		if len(page) < pageSize {
			break
		}
	}
	if v.last > covered {
		v.unsigned(covered+1, "entries %d to %d are not covered by a signed checkpoint (appended without the key)", covered+1, v.last)
	}
	return nil
}

// checkpoint checks c, and reports whether it is signed by the pinned key
// (and so counts as covering the log up to its count).
func (v *verifier) checkpoint(c *safeguard.EvidenceCheckpoint) bool {
	if !ed25519.Verify(v.pub, CheckpointMessage(c), c.Signature) {
		v.unsigned(c.Count, "the checkpoint of %d entries (checkpoint %d) is not signed by the pinned key", c.Count, c.ID)
		return false
	}
	v.r.CheckpointsSigned++
	h, ok := v.hashes[c.Count]
	switch {
	case !ok:
		v.problem(c.Count, "a signed checkpoint counts %d entries, but the log has %d (entries were deleted)", c.Count, v.last)
	case !bytes.Equal(h, c.Head):
		v.problem(c.Count, "differs from the signed checkpoint %d of the log at this entry (history rewritten)", c.ID)
	}
	return true
}

// items reads the bytes of every item not deleted and checks them against
// their digest. When none is found at all, that is one problem, not one per
// item: the item store given is most likely not this log's.
func (v *verifier) items(ctx context.Context, items media.Store) {
	var missing []*safeguard.EvidenceEntry
	defer func() {
		v.r.ItemsMissing = int64(len(missing))
		if v.r.NoItemFound() {
			v.problem(0, "none of the %d items the log lists is in the item store given: it is not this log's (the wrong directory), or every item was deleted without a tombstone", len(missing))
			return
		}
		for _, e := range missing {
			v.problem(e.Seq, "its item (%s) is missing, with no tombstone (deleted or moved)", e.Ref)
		}
	}()
	for i := range v.live {
		e := &v.live[i]
		if v.deleted[e.Seq] {
			continue
		}
		data, err := items.Get(ctx, e.StorageKey)
		if errors.Is(err, safeguard.ErrNotFound) {
			missing = append(missing, e)
			continue
		}
		if err != nil {
			v.problem(e.Seq, "its item (%s) cannot be read: %v", e.Ref, err)
			continue
		}
		if sum := sha256.Sum256(data); !bytes.Equal(sum[:], e.Digest) {
			v.problem(e.Seq, "its item (%s) does not match its digest", e.Ref)
			continue
		}
		v.r.ItemsChecked++
	}
}
