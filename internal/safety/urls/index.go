package urls

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of the URL scanner.
const (
	// DefaultURLRefresh is how often the scanner checks whether the URL
	// lists in the store changed (an import by `safeguard url` or another
	// server): a new list is in force within this time.
	DefaultURLRefresh = 10 * time.Second
	// DefaultURLIndexMax is the most entries held in memory; larger lists
	// are looked up in the store, one query per message with a link.
	DefaultURLIndexMax = 2_000_000
)

// urlIndex holds every URL list entry in memory, by key, so that a link is
// matched without a query. It checks the lists' provenance (name, file hash,
// entry count, import time) at most once per refresh interval and reloads
// the entries when it changed.
type urlIndex struct {
	store   store.Store
	now     func() time.Time
	refresh time.Duration
	max     int
	log     *slog.Logger

	mu        sync.RWMutex
	loaded    bool
	tooLarge  bool // the lists exceed max: look links up in the store
	signature string
	lists     map[int64]*safeguard.URLList
	entries   map[string][]safeguard.URLEntry // by key
	checked   time.Time

	refreshing sync.Mutex // one refresh at a time
}

// lookup returns the matches of links, from memory, or from the store when
// the lists are too large to hold.
func (x *urlIndex) lookup(ctx context.Context, links []Link) ([]Match, error) {
	if err := x.fresh(ctx); err != nil {
		return nil, err
	}
	x.mu.RLock()
	tooLarge := x.tooLarge
	x.mu.RUnlock()
	if tooLarge {
		var ms []Match
		err := viewTx(ctx, x.store, func(tx Tx) (err error) {
			ms, err = MatchLinks(ctx, tx, links)
			return err
		})
		return ms, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Match
	for _, l := range links {
		for _, c := range l.candidates() {
			for _, e := range x.entries[c.key] {
				if e.Kind == c.kind {
					out = append(out, Match{Link: l, Entry: e, List: x.lists[e.ListID]})
				}
			}
		}
	}
	return out, nil
}

// fresh reloads the index if it was never loaded (waiting for it), or if
// the refresh interval has passed and the lists changed. A failed refresh
// of a loaded index keeps it (and is logged); a first load that fails is an
// error, so that a message toward a minor is held rather than unchecked.
func (x *urlIndex) fresh(ctx context.Context) error {
	now := x.now()
	x.mu.RLock()
	loaded, due := x.loaded, now.Sub(x.checked) >= x.refresh
	x.mu.RUnlock()
	if loaded && !due {
		return nil
	}
	if loaded && !x.refreshing.TryLock() {
		return nil // another caller is refreshing; use the index as it is
	}
	if !loaded {
		x.refreshing.Lock()
	}
	defer x.refreshing.Unlock()
	x.mu.RLock()
	loaded, due = x.loaded, now.Sub(x.checked) >= x.refresh
	x.mu.RUnlock()
	if loaded && !due {
		return nil
	}
	err := x.reload(ctx, now)
	if err != nil && loaded {
		x.log.WarnContext(ctx, "URL lists not refreshed; the lists in memory stay in force", "err", err)
		return nil
	}
	return err
}

// reload reads the lists and, if they changed, their entries.
func (x *urlIndex) reload(ctx context.Context, now time.Time) error {
	return viewTx(ctx, x.store, func(tx Tx) error {
		lists, err := tx.URLLists(ctx)
		if err != nil {
			return fmt.Errorf("URL lists: %w", err)
		}
		sig, total := signature(lists)
		x.mu.RLock()
		same := x.loaded && sig == x.signature
		x.mu.RUnlock()
		if same {
			x.mu.Lock()
			x.checked = now
			x.mu.Unlock()
			return nil
		}
		byID := map[int64]*safeguard.URLList{}
		for _, l := range lists {
			byID[l.ID] = l
		}
		var entries map[string][]safeguard.URLEntry
		tooLarge := total > x.max
		if !tooLarge {
			entries = make(map[string][]safeguard.URLEntry, total)
			for _, l := range lists {
				es, err := tx.URLEntries(ctx, l.ID)
				if err != nil {
					return fmt.Errorf("URL list %q: %w", l.Name, err)
				}
				for _, e := range es {
					entries[e.Key] = append(entries[e.Key], e)
				}
			}
		}
		x.mu.Lock()
		x.loaded, x.tooLarge, x.signature, x.lists, x.entries, x.checked = true, tooLarge, sig, byID, entries, now
		x.mu.Unlock()
		return nil
	})
}

// signature identifies the lists' contents: any import, replacement or
// removal changes it.
func signature(lists []*safeguard.URLList) (string, int) {
	var b strings.Builder
	total := 0
	for _, l := range lists {
		total += l.Entries
		b.WriteString(strconv.FormatInt(l.ID, 10))
		b.WriteByte(':')
		b.WriteString(l.SHA256)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(l.Entries))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(l.ImportedAt.UnixMicro(), 10))
		b.WriteByte(';')
	}
	return b.String(), total
}
