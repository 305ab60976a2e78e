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
	Problems     []Problem
}

// OK reports whether the log verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

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
	r := &Report{}
	problem := func(seq int64, format string, args ...any) {
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, Problem{Seq: seq, Text: fmt.Sprintf(format, args...)})
		}
	}
	hashes := map[int64][]byte{} // seq → stored hash
	kinds := map[int64]safeguard.EvidenceKind{}
	var live []safeguard.EvidenceEntry // items, for the byte check
	deleted := map[int64]bool{}
	prev := make([]byte, sha256.Size)
	var last int64
	for {
		var page []safeguard.EvidenceEntry
		err := st.View(ctx, func(tx store.Tx) (err error) { page, err = tx.EvidenceEntries(ctx, last, pageSize); return })
		if err != nil {
			return nil, fmt.Errorf("read evidence log: %w", err)
		}
		for i := range page {
			e := &page[i]
			r.Entries++
			if e.Seq != last+1 {
				problem(e.Seq, "entries %d to %d are missing (deleted from the log)", last+1, e.Seq-1)
			}
			if !bytes.Equal(e.PrevHash, prev) {
				problem(e.Seq, "does not follow entry %d: its previous hash differs (an entry was inserted, removed or edited before it)", last)
			}
			if got := EntryHash(e); !bytes.Equal(got, e.Hash) {
				problem(e.Seq, "its contents do not match its hash (edited)")
			}
			switch e.Kind {
			case safeguard.EvidenceItem:
				r.Items++
				live = append(live, *e)
			case safeguard.EvidenceTombstone:
				r.Tombstones++
				target, ok := hashes[e.Target]
				switch {
				case !ok || kinds[e.Target] != safeguard.EvidenceItem:
					problem(e.Seq, "tombstone of entry %d, which is not an earlier item", e.Target)
				case deleted[e.Target]:
					problem(e.Seq, "second tombstone of entry %d", e.Target)
				case !ed25519.Verify(pub, TombstoneMessage(e, target), e.Signature):
					problem(e.Seq, "tombstone of entry %d is not signed by the pinned key", e.Target)
				}
				deleted[e.Target] = true
			default:
				problem(e.Seq, "unknown kind %q", e.Kind)
			}
			hashes[e.Seq], kinds[e.Seq] = e.Hash, e.Kind
			prev, last = e.Hash, e.Seq
		}
		if len(page) < pageSize {
			break
		}
	}

	var covered int64
	var after int64
	for {
		var page []safeguard.EvidenceCheckpoint
		err := st.View(ctx, func(tx store.Tx) (err error) { page, err = tx.EvidenceCheckpoints(ctx, after, pageSize); return })
		if err != nil {
			return nil, fmt.Errorf("read evidence checkpoints: %w", err)
		}
		for i := range page {
			c := &page[i]
			r.Checkpoints++
			after = c.ID
			if !ed25519.Verify(pub, CheckpointMessage(c), c.Signature) {
				problem(c.Count, "the checkpoint of %d entries (checkpoint %d) is not signed by the pinned key", c.Count, c.ID)
				continue
			}
			h, ok := hashes[c.Count]
			switch {
			case !ok:
				problem(c.Count, "a signed checkpoint counts %d entries, but the log has %d (entries were deleted)", c.Count, last)
			case !bytes.Equal(h, c.Head):
				problem(c.Count, "differs from the signed checkpoint %d of the log at this entry (history rewritten)", c.ID)
			}
			covered = max(covered, c.Count)
		}
		if len(page) < pageSize {
			break
		}
	}
	if last > covered {
		problem(covered+1, "entries %d to %d are not covered by a signed checkpoint (appended without the key)", covered+1, last)
	}

	if items != nil {
		for i := range live {
			e := &live[i]
			if deleted[e.Seq] {
				continue
			}
			data, err := items.Get(ctx, e.StorageKey)
			if errors.Is(err, safeguard.ErrNotFound) {
				problem(e.Seq, "its item (%s) is missing, with no tombstone", e.Ref)
				continue
			}
			if err != nil {
				problem(e.Seq, "its item (%s) cannot be read: %v", e.Ref, err)
				continue
			}
			if sum := sha256.Sum256(data); !bytes.Equal(sum[:], e.Digest) {
				problem(e.Seq, "its item (%s) does not match its digest", e.Ref)
				continue
			}
			r.ItemsChecked++
		}
	}
	return r, nil
}
