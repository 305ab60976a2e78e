package hashbank

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank/mih"
)

// Default radii, in bits of Hamming distance between PDQ hashes.
const (
	// DefaultRadius is PDQ's usual match threshold.
	DefaultRadius = 31
	// DefaultNegativeRadius is smaller: a known false positive suppresses
	// only what is almost the same image as itself.
	DefaultNegativeRadius = 16
)

// Options configure an Index. The zero value means the defaults.
type Options struct {
	Radius         int // PDQ match radius; 0 means DefaultRadius, negative means exact only
	NegativeRadius int // radius for negative banks; 0 means DefaultNegativeRadius, negative means exact only
	// CompactAt is the number of changed entries (added, or removed from
	// the indexed base) at which Apply rebuilds the base instead of
	// re-indexing the overlay of recent changes; 0 means max(4096, base/32).
	CompactAt int
	// Budget is the PDQ index's memory per hash in bytes; 0 means
	// mih.DefaultBudget.
	Budget int
}

func (o Options) withDefaults() Options {
	switch {
	case o.Radius == 0:
		o.Radius = DefaultRadius
	case o.Radius < 0:
		o.Radius = 0
	}
	switch {
	case o.NegativeRadius == 0:
		o.NegativeRadius = DefaultNegativeRadius
	case o.NegativeRadius < 0:
		o.NegativeRadius = 0
	}
	o.Radius = min(o.Radius, mih.Bits)
	o.NegativeRadius = min(o.NegativeRadius, mih.Bits)
	if o.Budget == 0 {
		o.Budget = mih.DefaultBudget
	}
	return o
}

// Index matches hashes against banks. Its methods are safe for concurrent
// use; matches never wait for a rebuild or an update.
type Index struct {
	opts Options
	cur  atomic.Pointer[snapshot]
	mu   sync.Mutex // serialises writers
}

// snapshot is one immutable state of the index: an indexed base, an overlay
// of entries added since, the base entries removed since, and the banks.
type snapshot struct {
	gen     uint64
	banks   map[int64]Bank
	base    *segment
	overlay []Entry            // added or replaced since the base was built
	recent  *segment           // the overlay, indexed
	deleted map[int64]struct{} // ids whose base entry no longer counts
}

// New returns an empty index at generation 0.
func New(opts Options) *Index {
	x := &Index{opts: opts.withDefaults()}
	x.cur.Store(&snapshot{banks: map[int64]Bank{}, base: x.empty(), recent: x.empty(), deleted: map[int64]struct{}{}})
	return x
}

// Options returns the index's options with defaults filled in.
func (x *Index) Options() Options { return x.opts }

// empty returns an empty segment.
func (x *Index) empty() *segment {
	s, _ := buildSegment(nil, x.plan)
	return s
}

func (x *Index) plan(n int) mih.Params {
	return mih.Plan(n, max(x.opts.Radius, x.opts.NegativeRadius), x.opts.Budget)
}

// Generation returns the generation of the state matches currently see: the
// value given to the last Rebuild or Apply. A store keeps its own counter
// and, when the two differ, loads the changes before matching.
func (x *Index) Generation() uint64 { return x.cur.Load().gen }

// Len returns the number of entries the index holds.
func (x *Index) Len() int {
	s := x.cur.Load()
	return s.base.len() - s.baseDeleted() + len(s.overlay)
}

// baseDeleted counts the deleted ids that are in the base; ids deleted but
// never in the base are harmless but not counted.
func (s *snapshot) baseDeleted() int {
	if len(s.deleted) == 0 {
		return 0
	}
	n := 0
	for _, id := range s.base.ids {
		if _, ok := s.deleted[id]; ok {
			n++
		}
	}
	return n
}

// Bytes returns the memory the indexed base holds, counted from its arrays,
// plus the overlay.
func (x *Index) Bytes() int64 {
	s := x.cur.Load()
	return s.base.bytes() + s.recent.bytes() + int64(len(s.overlay))*int64(unsafe.Sizeof(Entry{}))
}

// Shape describes the PDQ index's layout (substrings and key sizes).
func (x *Index) Shape() string { return x.cur.Load().base.pdq.Params().String() }

// Rebuild replaces everything in the index with entries of banks, at
// generation gen (any value: a rebuild is a fresh start). Matches go on
// against the previous state until the new one is ready. Every entry's bank
// must be among banks, and entry ids must be unique. ctx is checked before
// the build, which then runs to the end (about 5 s for 10 million entries).
func (x *Index) Rebuild(ctx context.Context, gen uint64, banks []Bank, entries []Entry) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	bm, err := bankMap(banks)
	if err != nil {
		return err
	}
	for i := range entries {
		if err := checkEntry(bm, &entries[i]); err != nil {
			return err
		}
	}
	// Sorting a copy of the ids finds duplicates with a tenth of the memory
	// of a set, which matters at ten million entries.
	idList := make([]int64, len(entries))
	for i := range entries {
		idList[i] = entries[i].ID
	}
	slices.Sort(idList)
	for i := 1; i < len(idList); i++ {
		if idList[i] == idList[i-1] {
			return safeguard.Invalid("duplicate_entry", "Entry %d appears twice.", idList[i])
		}
	}
	idList = nil
	if err := ctx.Err(); err != nil {
		return err
	}
	base, err := buildSegment(entries, x.plan)
	if err != nil {
		return err
	}
	x.cur.Store(&snapshot{gen: gen, banks: bm, base: base, recent: x.empty(), deleted: map[int64]struct{}{}})
	return nil
}

// Delta is a change to an index.
type Delta struct {
	Generation uint64  // the generation after the change; never less than the current one
	Banks      []Bank  // if not nil, the complete new list of banks
	Add        []Entry // new entries, or new versions of entries with the same id
	Remove     []int64 // ids of entries to remove; unknown ids are ignored
}

// Apply changes the index by d. Matches see either all of d or none of it.
// Removals apply before additions. When the changes since the last rebuild
// grow past Options.CompactAt, Apply rebuilds the indexed base; matches
// still go on against the previous state meanwhile.
func (x *Index) Apply(ctx context.Context, d Delta) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.cur.Load()
	if d.Generation < old.gen {
		return safeguard.Errorf(safeguard.ErrConflict, "stale_generation",
			"The index is at generation %d, newer than %d.", old.gen, d.Generation)
	}
	banks := old.banks
	if d.Banks != nil {
		bm, err := bankMap(d.Banks)
		if err != nil {
			return err
		}
		banks = bm
	}
	for i := range d.Add {
		if err := checkEntry(banks, &d.Add[i]); err != nil {
			return err
		}
	}
	next := &snapshot{gen: d.Generation, banks: banks, base: old.base, deleted: maps.Clone(old.deleted)}
	gone := make(map[int64]struct{}, len(d.Remove)+len(d.Add))
	for _, id := range d.Remove {
		gone[id] = struct{}{}
	}
	for i := range d.Add {
		gone[d.Add[i].ID] = struct{}{}
	}
	for id := range gone {
		next.deleted[id] = struct{}{}
	}
	next.overlay = make([]Entry, 0, len(old.overlay)+len(d.Add))
	for _, e := range old.overlay {
		if _, ok := gone[e.ID]; !ok {
			next.overlay = append(next.overlay, e)
		}
	}
	added := map[int64]int{}
	for _, e := range d.Add {
		if i, ok := added[e.ID]; ok {
			next.overlay[i] = e // the last version of an id in one delta wins
			continue
		}
		added[e.ID] = len(next.overlay)
		next.overlay = append(next.overlay, e)
	}
	// Entries whose bank is gone from the list would never match again;
	// drop them rather than fail.
	if d.Banks != nil {
		next.overlay = slices.DeleteFunc(next.overlay, func(e Entry) bool { _, ok := banks[e.BankID]; return !ok })
	}
	compactAt := x.opts.CompactAt
	if compactAt == 0 {
		compactAt = max(4096, old.base.len()/32)
	}
	if len(next.overlay)+len(next.deleted) >= compactAt {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries := slices.DeleteFunc(next.entries(), func(e Entry) bool { _, ok := banks[e.BankID]; return !ok })
		base, err := buildSegment(entries, x.plan)
		if err != nil {
			return err
		}
		next.base, next.overlay, next.recent, next.deleted = base, nil, x.empty(), map[int64]struct{}{}
	} else {
		recent, err := buildSegment(next.overlay, x.plan)
		if err != nil {
			return err
		}
		next.recent = recent
	}
	x.cur.Store(next)
	return nil
}

// entries returns every live entry of s.
func (s *snapshot) entries() []Entry {
	out := s.base.entries()
	out = slices.DeleteFunc(out, func(e Entry) bool { _, ok := s.deleted[e.ID]; return ok })
	return append(out, s.overlay...)
}

func bankMap(banks []Bank) (map[int64]Bank, error) {
	bm := make(map[int64]Bank, len(banks))
	for _, b := range banks {
		if _, dup := bm[b.ID]; dup {
			return nil, safeguard.Invalid("duplicate_bank", "Bank %d appears twice.", b.ID)
		}
		bm[b.ID] = b
	}
	return bm, nil
}

func checkEntry(banks map[int64]Bank, e *Entry) error {
	if _, ok := banks[e.BankID]; !ok {
		return safeguard.Invalid("unknown_bank", "Entry %d belongs to bank %d, which the index was not given.", e.ID, e.BankID)
	}
	if e.Kinds&(KindPDQ|KindMD5|KindSHA256) == 0 {
		return safeguard.Invalid("entry_without_hash", "Entry %d has no hash.", e.ID)
	}
	return nil
}
