package images

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// RetroResult is what a retroactive pass did.
type RetroResult struct {
	Generation uint64 // the bank generation media was brought up to
	Checked    int    // media checked
	Detections int    // new detections
	Purged     int    // media hashes older than the window, deleted
}

// retroPage is how many media one step of a pass reads.
const retroPage = 500

// Retro checks recent media against the bank entries added since each was
// last checked: media of the last RetroDays whose stored generation is below
// the index's. A match becomes a hash_match detection, marked retroactive,
// with its outbox event, so that a case opens for content delivered before its
// hash was known. Media never checked (the index was not available when it
// arrived) is checked against every entry. Each media's generation is moved
// forward in the transaction that writes its detection, on the condition
// that it has not moved meanwhile, so that two passes (two servers, say)
// never report the same pair twice. Media hashes older than the window are
// deleted.
func (s *Scanner) Retro(ctx context.Context) (RetroResult, error) {
	s.retroMu.Lock()
	defer s.retroMu.Unlock()
	var r RetroResult
	if !s.ix.loaded() {
		return r, errIndexUnavailable
	}
	gen, err := s.ix.sync(ctx)
	if err != nil {
		return r, err
	}
	r.Generation = gen
	since := s.now().Add(-time.Duration(s.cfg.RetroDays) * 24 * time.Hour)
	if err := updateTx(ctx, s.st, func(tx Tx) (err error) {
		r.Purged, err = tx.PurgeMediaHashes(ctx, since)
		return err
	}); err != nil {
		return r, fmt.Errorf("purge media hashes: %w", err)
	}
	deltas := map[uint64]*hashbank.Index{} // entries added after a generation, by that generation
	after := int64(0)
	for {
		var page []*safeguard.MediaHashes
		if err := viewTx(ctx, s.st, func(tx Tx) (err error) {
			page, err = tx.StaleMediaHashes(ctx, since, gen, after, retroPage)
			return err
		}); err != nil {
			return r, fmt.Errorf("media to check: %w", err)
		}
		if len(page) == 0 {
			return r, nil
		}
		after = page[len(page)-1].MediaID
		clean := map[uint64][]int64{} // media without a new match, by their generation
		for _, mh := range page {
			if err := ctx.Err(); err != nil {
				return r, err
			}
			matches, err := s.retroMatch(ctx, mh, gen, deltas)
			if err != nil {
				return r, err
			}
			r.Checked++
			if matches == nil {
				clean[mh.Generation] = append(clean[mh.Generation], mh.MediaID)
				continue
			}
			wrote, err := s.retroDetect(ctx, mh, gen, matches)
			if err != nil {
				return r, err
			}
			if wrote {
				r.Detections++
			}
		}
		if err := updateTx(ctx, s.st, func(tx Tx) error {
			for from, ids := range clean {
				if _, err := tx.AdvanceMediaHashes(ctx, ids, from, gen); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return r, fmt.Errorf("advance media hashes: %w", err)
		}
	}
}

// retroMatch returns the matches of one media with entries added after its
// generation, as the current index confirms them (not suppressed, banks
// still enabled); nil if none.
func (s *Scanner) retroMatch(ctx context.Context, mh *safeguard.MediaHashes, gen uint64, deltas map[uint64]*hashbank.Index) (*Result, error) {
	h := hashesOf(mh)
	q := h.query()
	full := s.ix.x.Match(q)
	if len(full.Matches) == 0 {
		return nil, nil
	}
	var keep []hashbank.Match
	if mh.Generation == 0 {
		keep = full.Matches // never checked: every entry is new to it
	} else {
		delta, err := s.delta(ctx, mh.Generation, gen, deltas)
		if err != nil {
			return nil, err
		}
		fresh := map[int64]bool{}
		for _, m := range delta.Match(q).Matches {
			fresh[m.EntryID] = true
		}
		for _, m := range full.Matches {
			if fresh[m.EntryID] {
				keep = append(keep, m)
			}
		}
	}
	if len(keep) == 0 {
		return nil, nil
	}
	full.Matches = keep
	res, err := s.describe(ctx, full, &h)
	if err != nil {
		return nil, err
	}
	res.Hashes = h
	return res, nil
}

// delta returns an index of the positive entries committed after generation
// from (up to gen), built once per pass.
func (s *Scanner) delta(ctx context.Context, from, gen uint64, cache map[uint64]*hashbank.Index) (*hashbank.Index, error) {
	if x := cache[from]; x != nil {
		return x, nil
	}
	var (
		banks   []*safeguard.HashBank
		entries []hashbank.Entry
	)
	err := viewTx(ctx, s.st, func(tx Tx) error {
		ims, err := tx.BankImportsSince(ctx, from)
		if err != nil {
			return err
		}
		ids := []int64{}
		for _, im := range ims {
			if im.Generation > from && im.Generation <= gen && im.Replaced == 0 {
				ids = append(ids, im.ID)
			}
		}
		if banks, err = tx.HashBanks(ctx); err != nil {
			return err
		}
		return tx.EachBankEntry(ctx, store.BankEntryQuery{ImportIDs: ids, HashesOnly: true}, func(e *safeguard.BankEntry) error {
			entries = append(entries, indexEntry(e))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("entries added after generation %d: %w", from, err)
	}
	x := hashbank.New(s.ix.x.Options())
	if err := x.Rebuild(ctx, gen, indexBanks(banks), entries); err != nil {
		return nil, err
	}
	cache[from] = x
	return x, nil
}

// retroDetect writes the detection of a retroactive match, if the media's
// generation has not moved since it was read and its message has no
// hash_match detection yet. It reports whether it wrote one.
func (s *Scanner) retroDetect(ctx context.Context, mh *safeguard.MediaHashes, gen uint64, res *Result) (bool, error) {
	wrote := false
	err := updateTx(ctx, s.st, func(tx Tx) error {
		wrote = false
		n, err := tx.AdvanceMediaHashes(ctx, []int64{mh.MediaID}, mh.Generation, gen)
		if err != nil || n == 0 {
			return err // another pass got there first
		}
		prior, err := tx.Detections(ctx, store.DetectionQuery{MessageID: mh.MessageID, Source: safeguard.HashMatch, Limit: 1})
		if err != nil || len(prior) > 0 {
			return err
		}
		m, err := tx.Message(ctx, mh.MessageID)
		if errors.Is(err, safeguard.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c, err := retroContent(ctx, tx, m, s.now().UTC())
		if err != nil {
			return err
		}
		wrote = true
		return store.RecordDetection(ctx, tx, matchDetection(c, m, res, s.cfg.Radius, true))
	})
	return wrote, err
}

// retroContent rebuilds what a detection needs of a stored message: its
// conversation, its sender and the members who could read it, as they are
// now.
func retroContent(ctx context.Context, tx Tx, m *safeguard.Message, now time.Time) (*messaging.Content, error) {
	conv, err := tx.Conversation(ctx, m.ConversationID)
	if err != nil {
		return nil, err
	}
	ids := []int64{m.SenderID}
	for _, mem := range conv.Members {
		if mem.State == safeguard.MemberJoined && mem.AccountID != m.SenderID {
			ids = append(ids, mem.AccountID)
		}
	}
	accounts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	c := &messaging.Content{Message: m, Conversation: conv, Now: now, Sender: accounts[m.SenderID]}
	if c.Sender == nil {
		c.Sender = &safeguard.Account{ID: m.SenderID}
	}
	for _, id := range slices.Sorted(slices.Values(ids[1:])) {
		if a := accounts[id]; a != nil {
			c.Recipients = append(c.Recipients, a)
		}
	}
	return c, nil
}
