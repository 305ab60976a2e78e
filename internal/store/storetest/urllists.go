package storetest

import (
	"fmt"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var urlListTests = []test{
	{"URLLists", testURLLists},
	{"URLListLarge", testURLListLarge},
}

func testURLLists(t *testing.T, s store.Store) {
	ctx := t.Context()
	iwf := &safeguard.URLList{Name: "iwf", Source: "IWF URL List", Description: "daily", SHA256: "ab12",
		ImportedAt: at(0).In(local), ImportedBy: "ops"}
	own := &safeguard.URLList{Name: "internal", Source: "internal", ImportedAt: at(1)}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateURLList(ctx, iwf, []safeguard.URLEntry{
			{Kind: safeguard.URLExact, Key: "bad.example/a/b.html", Line: 1},
			{Kind: safeguard.URLDomain, Key: "worse.example", Line: 2},
			{Kind: safeguard.URLPath, Key: "host.example/dir", Line: 3},
			{Kind: safeguard.URLDomain, Key: "worse.example", Line: 4}, // a duplicate counts once
		}); err != nil {
			return err
		}
		return tx.CreateURLList(ctx, own, []safeguard.URLEntry{
			{Kind: safeguard.URLDomain, Key: "worse.example", Line: 1},
			{Kind: safeguard.URLExact, Key: "worse.example", Line: 2}, // same key, other kind
		})
	})
	if iwf.ID == 0 || own.ID == 0 || iwf.Entries != 3 || own.Entries != 2 {
		t.Fatalf("created lists: %+v %+v", iwf, own)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateURLList(ctx, &safeguard.URLList{Name: "iwf", ImportedAt: at(2)}, nil)
	})
	wantKind(t, "a second list named iwf", err, safeguard.ErrConflict, "")
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateURLList(ctx, &safeguard.URLList{Name: "bad", ImportedAt: at(2)}, []safeguard.URLEntry{{Kind: "glob", Key: "x", Line: 9}})
	})
	wantKind(t, "an entry of unknown kind", err, safeguard.ErrInvalid, "invalid_url_entry")

	iwf.ImportedAt = iwf.ImportedAt.UTC()
	view(t, s, func(tx store.Tx) error {
		ls, err := tx.URLLists(ctx)
		if err != nil {
			return err
		}
		if d := diff([]*safeguard.URLList{own, iwf}, ls); d != "" {
			t.Errorf("URLLists (-want +got):\n%s", d)
		}
		got, err := tx.URLListByName(ctx, "iwf")
		if err != nil {
			return err
		}
		if d := diff(iwf, got); d != "" {
			t.Errorf("URLListByName (-want +got):\n%s", d)
		}
		_, err = tx.URLListByName(ctx, "bad")
		wantKind(t, "list of a failed import", err, safeguard.ErrNotFound, "")
		es, err := tx.URLEntriesByKey(ctx, []string{"worse.example", "nothing.example", "host.example/dir", "worse.example"})
		if err != nil {
			return err
		}
		want := []safeguard.URLEntry{
			{ListID: iwf.ID, Kind: safeguard.URLPath, Key: "host.example/dir", Line: 3},
			{ListID: iwf.ID, Kind: safeguard.URLDomain, Key: "worse.example", Line: 2},
			{ListID: own.ID, Kind: safeguard.URLDomain, Key: "worse.example", Line: 1},
			{ListID: own.ID, Kind: safeguard.URLExact, Key: "worse.example", Line: 2},
		}
		if d := diff(want, es); d != "" {
			t.Errorf("URLEntriesByKey (-want +got):\n%s", d)
		}
		all, err := tx.URLEntries(ctx, own.ID)
		if err != nil {
			return err
		}
		if d := diff(want[2:], all); d != "" {
			t.Errorf("URLEntries (-want +got):\n%s", d)
		}
		if es, err := tx.URLEntriesByKey(ctx, nil); err != nil || len(es) != 0 {
			t.Errorf("no keys: %v, %v", es, err)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteURLList(ctx, iwf.ID) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteURLList(ctx, iwf.ID) })
	wantKind(t, "deleting a list twice", err, safeguard.ErrNotFound, "")
	view(t, s, func(tx store.Tx) error {
		es, err := tx.URLEntriesByKey(ctx, []string{"bad.example/a/b.html", "worse.example"})
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.ListID == iwf.ID {
				t.Errorf("entry of a deleted list: %+v", e)
			}
		}
		if len(es) != 2 {
			t.Errorf("entries of the other list: %+v", es)
		}
		return nil
	})
	// The name is free again: re-importing replaces a list in one
	// transaction.
	update(t, s, func(tx store.Tx) error {
		return tx.CreateURLList(ctx, &safeguard.URLList{Name: "iwf", ImportedAt: at(3)}, nil)
	})
}

// testURLListLarge stores a list that takes several batches and looks up
// more keys than one IN list holds.
func testURLListLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 1500
	var entries []safeguard.URLEntry
	var keys []string
	for i := range n {
		k := fmt.Sprintf("host%d.example", i)
		entries = append(entries, safeguard.URLEntry{Kind: safeguard.URLDomain, Key: k, Line: i + 1})
		if i%2 == 0 {
			keys = append(keys, k, "miss-"+k)
		}
	}
	l := &safeguard.URLList{Name: "large", ImportedAt: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateURLList(ctx, l, entries) })
	if l.Entries != n {
		t.Errorf("Entries = %d, want %d", l.Entries, n)
	}
	view(t, s, func(tx store.Tx) error {
		es, err := tx.URLEntriesByKey(ctx, keys)
		if err != nil {
			return err
		}
		if len(es) != n/2 {
			t.Errorf("%d entries found for %d keys that exist", len(es), n/2)
		}
		return nil
	})
}
