package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var bankTests = []test{
	{"HashBanks", testHashBanks},
	{"BankGeneration", testBankGeneration},
	{"BankImports", testBankImports},
	{"BankImportReplace", testBankImportReplace},
	{"BankEntryRemoval", testBankEntryRemoval},
	{"BankEntryInvalid", testBankEntryInvalid},
	{"MediaHashes", testMediaHashes},
}

// fill returns n bytes that start with b.
func fill(n int, b byte) []byte {
	out := bytes.Repeat([]byte{b}, n)
	out[n-1] = ^b
	return out
}

func hashBank(t *testing.T, s store.Store, name string, negative bool) *safeguard.HashBank {
	t.Helper()
	b := &safeguard.HashBank{Name: name, Source: "test source", Negative: negative, Enabled: true, CreatedAt: t0, UpdatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreateHashBank(t.Context(), b) })
	return b
}

// importEntries adds entries to bank in one import, committed at a new
// generation unless pending, and returns the import.
func importEntries(t *testing.T, s store.Store, bankID int64, pending, replace bool, es ...safeguard.BankEntry) *safeguard.BankImport {
	t.Helper()
	ctx := t.Context()
	im := &safeguard.BankImport{BankID: bankID, Format: "text", SHA256: "abc", By: "tester", At: at(1)}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateBankImport(ctx, im); err != nil {
			return err
		}
		return tx.AddBankEntries(ctx, im.ID, es)
	})
	if pending {
		return im
	}
	update(t, s, func(tx store.Tx) error {
		gen, err := tx.BumpBankGeneration(ctx)
		if err != nil {
			return err
		}
		c, err := tx.CommitBankImport(ctx, im.ID, gen, replace, at(2))
		if err == nil {
			im = c
		}
		return err
	})
	return im
}

// liveEntries returns every live entry of a bank (0: all), full or hashes
// only.
func liveEntries(t *testing.T, s store.Store, q store.BankEntryQuery) []safeguard.BankEntry {
	t.Helper()
	var out []safeguard.BankEntry
	view(t, s, func(tx store.Tx) error {
		return tx.EachBankEntry(t.Context(), q, func(e *safeguard.BankEntry) error {
			c := *e
			c.PDQ, c.MD5, c.SHA256 = slices.Clone(e.PDQ), slices.Clone(e.MD5), slices.Clone(e.SHA256)
			out = append(out, c)
			return nil
		})
	})
	return out
}

func testHashBanks(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := &safeguard.HashBank{Name: "iwf", Source: "IWF", Description: "test list", Version: "2026-03-01", Enabled: true,
		CreatedAt: at(0).In(local), UpdatedAt: at(0), ImportedAt: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateHashBank(ctx, b) })
	hashBank(t, s, "fp", true)
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateHashBank(ctx, &safeguard.HashBank{Name: "iwf"}) })
	wantKind(t, "second bank named iwf", err, safeguard.ErrConflict, "conflict")
	b.CreatedAt = b.CreatedAt.UTC()
	view(t, s, func(tx store.Tx) error {
		got, err := tx.HashBank(ctx, b.ID)
		if err != nil {
			return err
		}
		if d := diff(b, got); d != "" {
			t.Errorf("HashBank round trip (-want +got):\n%s", d)
		}
		if got, err := tx.HashBankByName(ctx, "iwf"); err != nil || got.ID != b.ID {
			t.Errorf("HashBankByName: %v %v", got, err)
		}
		_, err = tx.HashBankByName(ctx, "IWF")
		wantKind(t, "bank names are exact", err, safeguard.ErrNotFound, "")
		_, err = tx.HashBank(ctx, 999)
		wantKind(t, "missing bank", err, safeguard.ErrNotFound, "")
		all, err := tx.HashBanks(ctx)
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].Name != "fp" || !all[0].Negative || all[1].Name != "iwf" {
			t.Errorf("HashBanks by name: %+v", all)
		}
		return nil
	})
	b.Source, b.Description, b.Version, b.Enabled, b.Negative, b.UpdatedAt, b.ImportedAt = "NCMEC", "", "v2", false, true, at(5), at(4)
	update(t, s, func(tx store.Tx) error { return tx.UpdateHashBank(ctx, b) })
	view(t, s, func(tx store.Tx) error {
		got, err := tx.HashBank(ctx, b.ID)
		if err != nil {
			return err
		}
		if d := diff(b, got); d != "" {
			t.Errorf("after UpdateHashBank (-want +got):\n%s", d)
		}
		return nil
	})
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdateHashBank(ctx, &safeguard.HashBank{ID: 999}) })
	wantKind(t, "update a missing bank", err, safeguard.ErrNotFound, "")

	// Only a bank without imports can be deleted.
	importEntries(t, s, b.ID, true, false, safeguard.BankEntry{MD5: fill(16, 1), Quality: -1})
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteHashBank(ctx, b.ID) })
	wantKind(t, "delete a bank with an import", err, safeguard.ErrInvalid, "bank_not_empty")
	fp := hashBank(t, s, "empty", false)
	update(t, s, func(tx store.Tx) error { return tx.DeleteHashBank(ctx, fp.ID) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteHashBank(ctx, fp.ID) })
	wantKind(t, "delete a deleted bank", err, safeguard.ErrNotFound, "")
}

func testBankGeneration(t *testing.T, s store.Store) {
	ctx := t.Context()
	view(t, s, func(tx store.Tx) error {
		g, err := tx.BankGeneration(ctx)
		if g != 0 || err != nil {
			t.Errorf("generation of a new store: %d %v", g, err)
		}
		return nil
	})
	// A bump in a transaction that fails is undone.
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.BumpBankGeneration(ctx); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// Concurrent bumps each get their own generation.
	const n = 16
	var mu sync.Mutex
	var got []uint64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := s.Update(ctx, func(tx store.Tx) error {
				g, err := tx.BumpBankGeneration(ctx)
				if err == nil {
					mu.Lock()
					got = append(got, g)
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	got = slices.Compact(got)
	if len(got) != n || got[0] != 1 || got[n-1] != n {
		t.Errorf("generations of %d concurrent bumps: %v", n, got)
	}
	view(t, s, func(tx store.Tx) error {
		if g, err := tx.BankGeneration(ctx); g != n || err != nil {
			t.Errorf("generation after %d bumps: %d %v", n, g, err)
		}
		return nil
	})
}

func testBankImports(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := hashBank(t, s, "known", false)
	other := hashBank(t, s, "other", false)
	full := safeguard.BankEntry{ExternalID: "IWF-1", PDQ: fill(32, 1), MD5: fill(16, 2), SHA256: fill(32, 3), Quality: 90, AddedAt: at(1).In(local)}
	md5Only := safeguard.BankEntry{MD5: fill(16, 4), Quality: -1, AddedAt: at(1)}
	pending := importEntries(t, s, b.ID, true, false, full, md5Only)
	if got := liveEntries(t, s, store.BankEntryQuery{}); len(got) != 0 {
		t.Errorf("entries of a pending import are live: %+v", got)
	}
	view(t, s, func(tx store.Tx) error {
		ims, err := tx.BankImports(ctx, b.ID)
		if err != nil {
			return err
		}
		if len(ims) != 1 || ims[0].Generation != 0 || ims[0].Entries != 2 || ims[0].By != "tester" || ims[0].SHA256 != "abc" {
			t.Errorf("pending import: %+v", ims)
		}
		return nil
	})
	var committed *safeguard.BankImport
	update(t, s, func(tx store.Tx) error {
		gen, err := tx.BumpBankGeneration(ctx)
		if err != nil {
			return err
		}
		committed, err = tx.CommitBankImport(ctx, pending.ID, gen, false, at(3))
		return err
	})
	if committed.Generation != 1 || committed.Entries != 2 {
		t.Errorf("committed import: %+v", committed)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.CommitBankImport(ctx, pending.ID, 7, false, at(3))
		return err
	})
	wantKind(t, "commit twice", err, safeguard.ErrNotFound, "")
	err = s.Update(ctx, func(tx store.Tx) error { return tx.AddBankEntries(ctx, pending.ID, []safeguard.BankEntry{md5Only}) })
	wantKind(t, "add to a committed import", err, safeguard.ErrInvalid, "import_committed")
	err = s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PurgeBankImport(ctx, pending.ID, 10)
		return err
	})
	wantKind(t, "purge a live import", err, safeguard.ErrInvalid, "import_live")

	// Many entries go in batches.
	var many []safeguard.BankEntry
	for i := range 1300 {
		many = append(many, safeguard.BankEntry{ExternalID: fmt.Sprint("o", i), PDQ: fill(32, byte(i)), Quality: i % 101, AddedAt: at(1)})
	}
	second := importEntries(t, s, other.ID, false, false, many...)
	if second.Generation != 2 || second.Entries != 1300 {
		t.Errorf("second import: %+v", second)
	}

	full.AddedAt = full.AddedAt.UTC()
	got := liveEntries(t, s, store.BankEntryQuery{BankID: b.ID})
	want := []safeguard.BankEntry{full, md5Only}
	for i := range want {
		want[i].BankID, want[i].ImportID, want[i].Generation = b.ID, pending.ID, 1
		if i < len(got) {
			want[i].ID = got[i].ID
		}
	}
	if d := diff(want, got); d != "" {
		t.Errorf("EachBankEntry round trip (-want +got):\n%s", d)
	}
	hashes := liveEntries(t, s, store.BankEntryQuery{HashesOnly: true})
	if len(hashes) != 1302 || hashes[0].ExternalID != "" || hashes[0].Quality != -1 || !bytes.Equal(hashes[0].PDQ, full.PDQ) ||
		hashes[1300].ExternalID != "" || hashes[1301].Generation != 2 || hashes[1301].BankID != other.ID {
		t.Errorf("hashes only: %d entries, first %+v", len(hashes), hashes[0])
	}
	for i := 1; i < len(hashes); i++ {
		if hashes[i].ImportID == hashes[i-1].ImportID && hashes[i].ID <= hashes[i-1].ID {
			t.Fatalf("entries out of ID order at %d", i)
		}
	}
	if got := liveEntries(t, s, store.BankEntryQuery{ImportIDs: []int64{second.ID}}); len(got) != 1300 || got[1299].ExternalID != "o1299" {
		t.Errorf("by import: %d entries", len(got))
	}
	if got := liveEntries(t, s, store.BankEntryQuery{ImportIDs: []int64{}}); len(got) != 0 {
		t.Errorf("an empty import list selects %d entries", len(got))
	}
	stop := errors.New("stop")
	n := 0
	err = s.View(ctx, func(tx store.Tx) error {
		return tx.EachBankEntry(ctx, store.BankEntryQuery{}, func(*safeguard.BankEntry) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		})
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("EachBankEntry after fn's error: %v, %d calls", err, n)
	}
	view(t, s, func(tx store.Tx) error {
		since, err := tx.BankImportsSince(ctx, 1)
		if err != nil {
			return err
		}
		if len(since) != 1 || since[0].ID != second.ID {
			t.Errorf("imports since generation 1: %+v", since)
		}
		bank, err := tx.HashBank(ctx, other.ID)
		if err != nil {
			return err
		}
		if bank.Entries != 1300 || !bank.ImportedAt.Equal(at(2)) {
			t.Errorf("bank after import: %+v", bank)
		}
		return nil
	})

	// A pending import that failed is purged in steps.
	failed := importEntries(t, s, b.ID, true, false, many[:5]...)
	var steps int
	for done := false; !done; steps++ {
		update(t, s, func(tx store.Tx) (err error) {
			done, err = tx.PurgeBankImport(ctx, failed.ID, 2)
			return err
		})
	}
	view(t, s, func(tx store.Tx) error {
		ims, err := tx.BankImports(ctx, 0)
		if err != nil {
			return err
		}
		if steps != 3 || len(ims) != 2 {
			t.Errorf("purge of a pending import: %d steps, imports left %+v", steps, ims)
		}
		return nil
	})
}

func testBankImportReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := hashBank(t, s, "list", false)
	first := importEntries(t, s, b.ID, false, false, safeguard.BankEntry{ExternalID: "a", MD5: fill(16, 1), Quality: -1})
	importEntries(t, s, b.ID, false, false, safeguard.BankEntry{ExternalID: "b", MD5: fill(16, 2), Quality: -1})
	third := importEntries(t, s, b.ID, false, true, safeguard.BankEntry{ExternalID: "c", MD5: fill(16, 3), Quality: -1})
	got := liveEntries(t, s, store.BankEntryQuery{BankID: b.ID})
	if len(got) != 1 || got[0].ExternalID != "c" {
		t.Errorf("after a replacing import: %+v", got)
	}
	view(t, s, func(tx store.Tx) error {
		ims, err := tx.BankImports(ctx, b.ID)
		if err != nil {
			return err
		}
		if len(ims) != 3 || ims[0].Replaced != third.Generation || ims[1].Replaced != third.Generation || ims[2].Replaced != 0 {
			t.Errorf("imports after replace: %+v", ims)
		}
		since, err := tx.BankImportsSince(ctx, third.Generation-1)
		if err != nil {
			return err
		}
		if len(since) != 3 {
			t.Errorf("imports committed or replaced since %d: %+v", third.Generation-1, since)
		}
		bank, err := tx.HashBank(ctx, b.ID)
		if err != nil {
			return err
		}
		if bank.Entries != 1 {
			t.Errorf("entries after replace: %d", bank.Entries)
		}
		return nil
	})
	var done bool
	update(t, s, func(tx store.Tx) (err error) {
		done, err = tx.PurgeBankImport(ctx, first.ID, 100)
		return err
	})
	view(t, s, func(tx store.Tx) error {
		ims, err := tx.BankImports(ctx, b.ID)
		if err != nil {
			return err
		}
		if !done || len(ims) != 3 {
			t.Errorf("a purged replaced import keeps its row: done %v, %+v", done, ims)
		}
		return nil
	})
}

func testBankEntryRemoval(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := hashBank(t, s, "list", false)
	other := hashBank(t, s, "other", false)
	importEntries(t, s, b.ID, false, false,
		safeguard.BankEntry{ExternalID: "a", PDQ: fill(32, 1), Quality: -1},
		safeguard.BankEntry{ExternalID: "b", MD5: fill(16, 2), Quality: -1},
		safeguard.BankEntry{ExternalID: "b", SHA256: fill(32, 3), Quality: -1},
		safeguard.BankEntry{ExternalID: "c", PDQ: fill(32, 4), MD5: fill(16, 4), Quality: -1})
	importEntries(t, s, other.ID, false, false, safeguard.BankEntry{ExternalID: "a", PDQ: fill(32, 1), Quality: -1})
	importEntries(t, s, b.ID, true, false, safeguard.BankEntry{ExternalID: "a", PDQ: fill(32, 1), Quality: -1}) // pending
	otherEntry := liveEntries(t, s, store.BankEntryQuery{BankID: other.ID})[0].ID
	all := liveEntries(t, s, store.BankEntryQuery{BankID: b.ID})
	byExt := map[string][]int64{}
	for _, e := range all {
		byExt[e.ExternalID] = append(byExt[e.ExternalID], e.ID)
	}
	view(t, s, func(tx store.Tx) error {
		tests := []struct {
			name string
			f    store.BankEntryFind
			want []int64
		}{
			{"by external id", store.BankEntryFind{ExternalIDs: []string{"b", "zz"}}, byExt["b"]},
			{"by id", store.BankEntryFind{IDs: []int64{byExt["c"][0], 9999}}, byExt["c"]},
			{"by PDQ (this bank only, live only)", store.BankEntryFind{PDQ: [][]byte{fill(32, 1)}}, byExt["a"]},
			{"by MD5", store.BankEntryFind{MD5: [][]byte{fill(16, 4), fill(16, 2)}}, append(slices.Clone(byExt["b"][:1]), byExt["c"]...)},
			{"by SHA-256", store.BankEntryFind{SHA256: [][]byte{fill(32, 3)}}, byExt["b"][1:]},
			{"nothing", store.BankEntryFind{}, nil},
		}
		for _, tt := range tests {
			tt.f.BankID = b.ID
			got, err := tx.FindBankEntries(ctx, tt.f)
			if err != nil {
				return err
			}
			var ids []int64
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			if d := diff(tt.want, ids); d != "" {
				t.Errorf("FindBankEntries %s (-want +got):\n%s", tt.name, d)
			}
		}
		m, err := tx.BankEntriesByID(ctx, []int64{byExt["a"][0], 9999})
		if err != nil {
			return err
		}
		if len(m) != 1 || m[byExt["a"][0]].ExternalID != "a" || m[byExt["a"][0]].Generation != 1 {
			t.Errorf("BankEntriesByID: %+v", m)
		}
		return nil
	})
	var removed int
	update(t, s, func(tx store.Tx) error {
		gen, err := tx.BumpBankGeneration(ctx)
		if err != nil {
			return err
		}
		// An entry of another bank and an unknown id are skipped.
		removed, err = tx.RemoveBankEntries(ctx, b.ID, append(slices.Clone(byExt["b"]), 9999, otherEntry), gen)
		return err
	})
	if removed != 2 {
		t.Errorf("removed %d entries, want 2", removed)
	}
	view(t, s, func(tx store.Tx) error {
		ids, err := tx.BankRemovals(ctx, 2)
		if err != nil {
			return err
		}
		if d := diff(byExt["b"], ids); d != "" {
			t.Errorf("BankRemovals (-want +got):\n%s", d)
		}
		if ids, _ := tx.BankRemovals(ctx, 3); len(ids) != 0 {
			t.Errorf("removals after generation 3: %v", ids)
		}
		bank, err := tx.HashBank(ctx, b.ID)
		if err != nil {
			return err
		}
		if bank.Entries != 2 {
			t.Errorf("entries after removing 2 of 4: %d", bank.Entries)
		}
		return nil
	})
	if got := liveEntries(t, s, store.BankEntryQuery{BankID: b.ID}); len(got) != 2 {
		t.Errorf("live entries after removal: %+v", got)
	}
}

func testBankEntryInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := hashBank(t, s, "list", false)
	for name, e := range map[string]safeguard.BankEntry{
		"no hash":       {ExternalID: "x", Quality: -1},
		"short PDQ":     {PDQ: fill(31, 1), Quality: -1},
		"long MD5":      {MD5: fill(17, 1), Quality: -1},
		"short SHA-256": {SHA256: fill(16, 1), Quality: -1},
		"quality 101":   {PDQ: fill(32, 1), Quality: 101},
	} {
		err := s.Update(ctx, func(tx store.Tx) error {
			im := &safeguard.BankImport{BankID: b.ID, At: t0}
			if err := tx.CreateBankImport(ctx, im); err != nil {
				return err
			}
			return tx.AddBankEntries(ctx, im.ID, []safeguard.BankEntry{e})
		})
		wantKind(t, name, err, safeguard.ErrInvalid, "invalid_bank_entry")
	}
	err := s.Update(ctx, func(tx store.Tx) error { return tx.AddBankEntries(ctx, 999, nil) })
	wantKind(t, "entries of a missing import", err, safeguard.ErrNotFound, "")
}

func testMediaHashes(t *testing.T, s store.Store) {
	ctx := t.Context()
	hs := []safeguard.MediaHashes{
		{MediaID: 1, MessageID: 11, ConversationID: 5, SenderID: 2, MD5: fill(16, 1), SHA256: fill(32, 1), PDQ: fill(32, 9),
			Dihedral: fill(256, 9), Quality: 80, Generation: 3, At: at(0).In(local)},
		{MediaID: 2, MessageID: 12, ConversationID: 5, SenderID: 2, MD5: fill(16, 2), SHA256: fill(32, 2), Generation: 0, At: at(10)},
		{MediaID: 3, MessageID: 13, ConversationID: 6, SenderID: 3, MD5: fill(16, 3), SHA256: fill(32, 3), PDQ: fill(32, 7), Quality: 30, Generation: 5, At: at(20)},
		{MediaID: 4, MessageID: 14, ConversationID: 6, SenderID: 3, MD5: fill(16, 4), SHA256: fill(32, 4), Generation: 3, At: at(30)},
	}
	update(t, s, func(tx store.Tx) error {
		for i := range hs {
			if err := tx.CreateMediaHashes(ctx, &hs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateMediaHashes(ctx, &hs[1]) })
	wantKind(t, "media hashes twice", err, safeguard.ErrConflict, "conflict")
	hs[0].At = hs[0].At.UTC()
	stale := func(since int, gen uint64, after int64, n int) []int64 {
		t.Helper()
		var ids []int64
		view(t, s, func(tx store.Tx) error {
			got, err := tx.StaleMediaHashes(ctx, at(since), gen, after, n)
			for _, h := range got {
				ids = append(ids, h.MediaID)
				if h.MediaID == 1 {
					if d := diff(&hs[0], h); d != "" {
						t.Errorf("media hashes round trip (-want +got):\n%s", d)
					}
				}
			}
			return err
		})
		return ids
	}
	tests := []struct {
		name  string
		since int
		gen   uint64
		after int64
		limit int
		want  []int64
	}{
		{"below generation 5", 0, 5, 0, 0, []int64{1, 2, 4}},
		{"below generation 4, since 10 minutes", 10, 4, 0, 0, []int64{2, 4}},
		{"after media 1, limit 1", 0, 6, 1, 1, []int64{2}},
		{"none below 0", 0, 0, 0, 0, nil},
	}
	for _, tt := range tests {
		if d := diff(tt.want, stale(tt.since, tt.gen, tt.after, tt.limit)); d != "" {
			t.Errorf("StaleMediaHashes %s (-want +got):\n%s", tt.name, d)
		}
	}
	var n int
	update(t, s, func(tx store.Tx) (err error) {
		n, err = tx.AdvanceMediaHashes(ctx, []int64{1, 2, 4, 99}, 3, 6)
		return err
	})
	if n != 2 {
		t.Errorf("advanced %d media from generation 3, want 2 (media 2 is at 0)", n)
	}
	if d := diff([]int64{2, 3}, stale(0, 6, 0, 0)); d != "" {
		t.Errorf("after advancing (-want +got):\n%s", d)
	}
	update(t, s, func(tx store.Tx) (err error) {
		n, err = tx.PurgeMediaHashes(ctx, at(15))
		return err
	})
	if n != 2 {
		t.Errorf("purged %d, want 2", n)
	}
	if d := diff([]int64{3, 4}, stale(0, 7, 0, 0)); d != "" {
		t.Errorf("after purging (-want +got):\n%s", d)
	}
}
