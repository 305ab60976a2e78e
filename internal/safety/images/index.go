package images

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// bankIndex is the in-memory match index of the hash banks, kept at the
// store's bank generation. Matches read an immutable snapshot and never
// wait; loads and syncs are serialised by mu.
type bankIndex struct {
	st    store.Store
	x     *hashbank.Index
	mu    sync.Mutex // one load or sync at a time
	banks atomic.Pointer[map[int64]*safeguard.HashBank]
	ready chan struct{} // closed once the first load has succeeded
	once  sync.Once
	// changed, if set, is called after a sync changed the index: a
	// retroactive pass may be due.
	changed func()
}

func newBankIndex(st store.Store, opts hashbank.Options) *bankIndex {
	ix := &bankIndex{st: st, x: hashbank.New(opts), ready: make(chan struct{})}
	empty := map[int64]*safeguard.HashBank{}
	ix.banks.Store(&empty)
	return ix
}

// loaded reports whether the index has been built at least once.
func (ix *bankIndex) loaded() bool {
	select {
	case <-ix.ready:
		return true
	default:
		return false
	}
}

// await waits for the first load, at most wait.
func (ix *bankIndex) await(ctx context.Context, wait time.Duration) error {
	if ix.loaded() {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ix.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errIndexUnavailable
	}
}

var errIndexUnavailable = safeguard.Errorf(safeguard.ErrUnavailable, "index_unavailable", "The hash-bank index is not loaded yet.")

// LoadStats describe a full load of the index.
type LoadStats struct {
	Generation uint64
	Banks      int
	Entries    int
	Read       time.Duration // reading the entries from the store
	Build      time.Duration // building the index
	Bytes      int64         // the index's arrays
}

// load builds the index from every live entry of the store.
func (ix *bankIndex) load(ctx context.Context) (LoadStats, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.loadLocked(ctx)
}

func (ix *bankIndex) loadLocked(ctx context.Context) (LoadStats, error) {
	var (
		st      LoadStats
		banks   []*safeguard.HashBank
		entries []hashbank.Entry
	)
	start := time.Now()
	err := viewTx(ctx, ix.st, func(tx Tx) error {
		var err error
		if st.Generation, err = tx.BankGeneration(ctx); err != nil {
			return err
		}
		if banks, err = tx.HashBanks(ctx); err != nil {
			return err
		}
		n := 0
		for _, b := range banks {
			n += b.Entries
		}
		entries = make([]hashbank.Entry, 0, n)
		return tx.EachBankEntry(ctx, store.BankEntryQuery{HashesOnly: true}, func(e *safeguard.BankEntry) error {
			entries = append(entries, indexEntry(e))
			return nil
		})
	})
	if err != nil {
		return st, fmt.Errorf("load hash banks: %w", err)
	}
	st.Read = time.Since(start)
	start = time.Now()
	if err := ix.x.Rebuild(ctx, st.Generation, indexBanks(banks), entries); err != nil {
		return st, fmt.Errorf("build hash-bank index: %w", err)
	}
	st.Build = time.Since(start)
	st.Banks, st.Entries, st.Bytes = len(banks), len(entries), ix.x.Bytes()
	ix.setBanks(banks)
	ix.once.Do(func() { close(ix.ready) })
	return st, nil
}

// sync brings the index to the store's bank generation, if it is behind:
// the changes since its generation are applied as a delta, or the index is
// rebuilt when imports were replaced (or the store went back). It returns
// the generation the index is at. The check costs one query.
func (ix *bankIndex) sync(ctx context.Context) (uint64, error) {
	var gen uint64
	if err := viewTx(ctx, ix.st, func(tx Tx) (err error) {
		gen, err = tx.BankGeneration(ctx)
		return err
	}); err != nil {
		return ix.x.Generation(), fmt.Errorf("bank generation: %w", err)
	}
	if gen == ix.x.Generation() {
		return gen, nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.x.Generation() == gen { // another sync got there first
		return gen, nil
	}
	return ix.applyLocked(ctx)
}

// applyLocked loads what changed since the index's generation and applies
// it.
func (ix *bankIndex) applyLocked(ctx context.Context) (uint64, error) {
	from := ix.x.Generation()
	var (
		gen     uint64
		banks   []*safeguard.HashBank
		add     []hashbank.Entry
		remove  []int64
		rebuild bool
	)
	err := viewTx(ctx, ix.st, func(tx Tx) error {
		var err error
		if gen, err = tx.BankGeneration(ctx); err != nil {
			return err
		}
		if gen < from {
			rebuild = true // the store is not the one the index was built from
			return nil
		}
		ims, err := tx.BankImportsSince(ctx, from)
		if err != nil {
			return err
		}
		var committed []int64
		for _, im := range ims {
			if im.Replaced > from {
				rebuild = true // replaced entries may already be gone from the store
				return nil
			}
			if im.Generation > from {
				committed = append(committed, im.ID)
			}
		}
		if banks, err = tx.HashBanks(ctx); err != nil {
			return err
		}
		if remove, err = tx.BankRemovals(ctx, from); err != nil {
			return err
		}
		return tx.EachBankEntry(ctx, store.BankEntryQuery{ImportIDs: committed, HashesOnly: true}, func(e *safeguard.BankEntry) error {
			add = append(add, indexEntry(e))
			return nil
		})
	})
	if err != nil {
		return from, fmt.Errorf("load hash-bank changes: %w", err)
	}
	if rebuild {
		st, err := ix.loadLocked(ctx)
		if err != nil {
			return from, err
		}
		ix.notify()
		return st.Generation, nil
	}
	if err := ix.x.Apply(ctx, hashbank.Delta{Generation: gen, Banks: indexBanks(banks), Add: add, Remove: remove}); err != nil {
		return from, fmt.Errorf("apply hash-bank changes: %w", err)
	}
	ix.setBanks(banks)
	ix.notify()
	return gen, nil
}

func (ix *bankIndex) notify() {
	if ix.changed != nil {
		ix.changed()
	}
}

func (ix *bankIndex) setBanks(banks []*safeguard.HashBank) {
	m := make(map[int64]*safeguard.HashBank, len(banks))
	for _, b := range banks {
		m[b.ID] = b
	}
	ix.banks.Store(&m)
}

// bank returns the bank with the ID as of the last load or sync.
func (ix *bankIndex) bank(id int64) *safeguard.HashBank { return (*ix.banks.Load())[id] }

func indexBanks(banks []*safeguard.HashBank) []hashbank.Bank {
	out := make([]hashbank.Bank, len(banks))
	for i, b := range banks {
		out[i] = hashbank.Bank{ID: b.ID, Negative: b.Negative, Disabled: !b.Enabled}
	}
	return out
}

// indexEntry converts a stored entry for the index.
func indexEntry(e *safeguard.BankEntry) hashbank.Entry {
	x := hashbank.Entry{ID: e.ID, BankID: e.BankID}
	if len(e.PDQ) == 32 {
		x.Kinds |= hashbank.KindPDQ
		copy(x.PDQ[:], e.PDQ)
	}
	if len(e.MD5) == 16 {
		x.Kinds |= hashbank.KindMD5
		copy(x.MD5[:], e.MD5)
	}
	if len(e.SHA256) == 32 {
		x.Kinds |= hashbank.KindSHA256
		copy(x.SHA256[:], e.SHA256)
	}
	return x
}
