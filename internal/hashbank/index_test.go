package hashbank

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank/mih"
)

func randomPDQ(rng *rand.Rand) PDQ {
	return PDQ(mih.Random(rng, 1)[0].Bytes())
}

// near returns h with exactly d bits flipped.
func near(rng *rand.Rand, h PDQ, d int) PDQ {
	return PDQ(mih.Flip(rng, mih.FromBytes(h), d).Bytes())
}

func dist(a, b PDQ) int {
	x, y := mih.FromBytes(a), mih.FromBytes(b)
	return mih.Distance(&x, &y)
}

func pdqEntry(id, bank int64, h PDQ) Entry {
	return Entry{ID: id, BankID: bank, Hashes: Hashes{Kinds: KindPDQ, PDQ: h}}
}

// fill returns n random PDQ entries of bank with ids from first.
func fill(rng *rand.Rand, first int64, n int, bank int64) []Entry {
	es := make([]Entry, n)
	for i := range es {
		es[i] = pdqEntry(first+int64(i), bank, randomPDQ(rng))
	}
	return es
}

func ids(ms []Match) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.EntryID)
	}
	return out
}

func TestMatchPDQRadiusEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	q := randomPDQ(rng)
	es := fill(rng, 100, 5000, 1)
	for d := 0; d <= 40; d++ {
		es = append(es, pdqEntry(int64(d+1), 1, near(rng, q, d)))
	}
	for _, radius := range []int{31, 20, -1} {
		x := New(Options{Radius: radius})
		if err := x.Rebuild(t.Context(), 7, []Bank{{ID: 1}}, es); err != nil {
			t.Fatal(err)
		}
		r := x.MatchPDQ(q)
		want := []int64{}
		for d := 0; d <= max(radius, 0); d++ {
			want = append(want, int64(d+1))
		}
		if diff := cmp.Diff(want, ids(r.Matches)); diff != "" {
			t.Errorf("radius %d: matches differ (-want +got):\n%s", radius, diff)
		}
		for i, m := range r.Matches {
			if m.Distance != i || m.Kind != KindPDQ || m.BankID != 1 {
				t.Errorf("radius %d: match %d = %+v", radius, i, m)
			}
		}
		if r.Generation != 7 {
			t.Errorf("generation %d, want 7", r.Generation)
		}
	}
}

func TestNegativeBankSuppresses(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	known := randomPDQ(rng)
	benign := near(rng, known, 25) // a false positive of the known image
	es := []Entry{pdqEntry(1, 10, known), pdqEntry(2, 20, benign)}
	es = append(es, fill(rng, 100, 1000, 10)...)
	banks := []Bank{{ID: 10}, {ID: 20, Negative: true}}
	x := New(Options{})
	if err := x.Rebuild(t.Context(), 1, banks, es); err != nil {
		t.Fatal(err)
	}
	// The benign image itself, and near copies of it, match nothing.
	for _, d := range []int{0, 3, DefaultNegativeRadius} {
		q := near(rng, benign, d)
		r := x.MatchPDQ(q)
		if len(r.Matches) != 0 {
			t.Errorf("benign at %d: matched %v", d, r.Matches)
		}
		wantSup := []int64{}
		if dist(q, known) <= DefaultRadius {
			wantSup = []int64{1}
		}
		if diff := cmp.Diff(wantSup, ids(r.Suppressed)); diff != "" {
			t.Errorf("benign at %d: suppressed (-want +got):\n%s", d, diff)
		}
		if diff := cmp.Diff([]int64{2}, ids(r.Negative)); diff != "" {
			t.Errorf("benign at %d: negative (-want +got):\n%s", d, diff)
		}
	}
	// The known image is still matched: it is 25 from the false positive,
	// beyond the negative radius.
	r := x.MatchPDQ(known)
	if diff := cmp.Diff([]int64{1}, ids(r.Matches)); diff != "" || len(r.Suppressed)+len(r.Negative) != 0 {
		t.Errorf("known image: %+v", r)
	}
	// A disabled negative bank suppresses nothing.
	if err := x.Apply(t.Context(), Delta{Generation: 2, Banks: []Bank{{ID: 10}, {ID: 20, Negative: true, Disabled: true}}}); err != nil {
		t.Fatal(err)
	}
	r = x.MatchPDQ(benign)
	if diff := cmp.Diff([]int64{1}, ids(r.Matches)); diff != "" || len(r.Suppressed) != 0 {
		t.Errorf("with the negative bank disabled: %+v", r)
	}
}

func TestDisabledBank(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	h := randomPDQ(rng)
	es := []Entry{pdqEntry(1, 1, h), pdqEntry(2, 2, near(rng, h, 3)),
		{ID: 3, BankID: 2, Hashes: Hashes{Kinds: KindMD5, MD5: MD5{1}}}}
	x := New(Options{})
	if err := x.Rebuild(t.Context(), 1, []Bank{{ID: 1}, {ID: 2, Disabled: true}}, es); err != nil {
		t.Fatal(err)
	}
	if got := ids(x.MatchPDQ(h).Matches); !cmp.Equal(got, []int64{1}) {
		t.Errorf("matched %v, want only the enabled bank's entry 1", got)
	}
	if r := x.MatchMD5(MD5{1}); len(r.Matches) != 0 {
		t.Errorf("disabled bank's MD5 matched: %v", r.Matches)
	}
}

func TestDihedralDedup(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var hs [8]PDQ
	for i := range hs {
		hs[i] = randomPDQ(rng)
	}
	es := []Entry{
		pdqEntry(1, 1, near(rng, hs[0], 20)), // near transform 0 at 20 …
		pdqEntry(2, 1, near(rng, hs[5], 4)),  // near transform 5
		pdqEntry(3, 1, near(rng, hs[7], 31)),
	}
	// … and nearer transform 3: two transforms match entry 1, one is kept.
	hs[3] = near(rng, es[0].PDQ, 6)
	es = append(es, fill(rng, 100, 2000, 1)...)
	x := New(Options{})
	if err := x.Rebuild(t.Context(), 1, []Bank{{ID: 1}}, es); err != nil {
		t.Fatal(err)
	}
	r := x.MatchDihedral(hs)
	want := []Match{
		{EntryID: 2, BankID: 1, Kind: KindPDQ, Distance: 4, Transform: 5},
		{EntryID: 1, BankID: 1, Kind: KindPDQ, Distance: 6, Transform: 3},
		{EntryID: 3, BankID: 1, Kind: KindPDQ, Distance: 31, Transform: 7},
	}
	if diff := cmp.Diff(want, r.Matches); diff != "" {
		t.Errorf("dihedral matches (-want +got):\n%s", diff)
	}
}

func TestExactHashes(t *testing.T) {
	md := MD5{0xaa, 1}
	sh := SHA256{0xbb, 2}
	es := []Entry{
		{ID: 1, BankID: 1, Hashes: Hashes{Kinds: KindMD5, MD5: md}},
		{ID: 2, BankID: 2, Hashes: Hashes{Kinds: KindMD5 | KindSHA256, MD5: md, SHA256: sh}},
		{ID: 3, BankID: 1, Hashes: Hashes{Kinds: KindSHA256, SHA256: SHA256{0xbb, 3}}},
		{ID: 4, BankID: 3, Hashes: Hashes{Kinds: KindSHA256, SHA256: sh}},
	}
	x := New(Options{})
	if err := x.Rebuild(t.Context(), 1, []Bank{{ID: 1}, {ID: 2}, {ID: 3, Negative: true}}, es); err != nil {
		t.Fatal(err)
	}
	if got := ids(x.MatchMD5(md).Matches); !cmp.Equal(got, []int64{1, 2}) {
		t.Errorf("MD5 matched %v, want [1 2]", got)
	}
	if got := ids(x.MatchMD5(MD5{0xaa, 2}).Matches); len(got) != 0 {
		t.Errorf("other MD5 matched %v", got)
	}
	r := x.MatchSHA256(sh) // entry 4 is a negative for this digest
	if len(r.Matches) != 0 || !cmp.Equal(ids(r.Suppressed), []int64{2}) || !cmp.Equal(ids(r.Negative), []int64{4}) {
		t.Errorf("SHA-256 with a negative entry: %+v", r)
	}
	// A query with both: the MD5 still matches, the SHA-256 is suppressed.
	r = x.Match(Query{Kinds: KindMD5 | KindSHA256, MD5: md, SHA256: sh})
	if got := ids(r.Matches); !cmp.Equal(got, []int64{1, 2}) {
		t.Errorf("combined query matched %v, want [1 2]", got)
	}
	if len(r.Suppressed) != 0 {
		t.Errorf("entry matched by MD5 is also listed as suppressed: %v", r.Suppressed)
	}
}

func TestApplyOverlayAndCompaction(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	base := fill(rng, 1, 3000, 1)
	for _, compactAt := range []int{1 << 30, 5} {
		x := New(Options{CompactAt: compactAt})
		if err := x.Rebuild(t.Context(), 1, []Bank{{ID: 1}, {ID: 2}}, base); err != nil {
			t.Fatal(err)
		}
		added := pdqEntry(9001, 2, randomPDQ(rng))
		moved := pdqEntry(5, 2, near(rng, added.PDQ, 2)) // entry 5 gets a new hash and bank
		err := x.Apply(t.Context(), Delta{Generation: 2, Add: []Entry{added, moved}, Remove: []int64{7, 424242}})
		if err != nil {
			t.Fatal(err)
		}
		if g := x.Generation(); g != 2 {
			t.Fatalf("generation %d, want 2", g)
		}
		if n := x.Len(); n != 3000 {
			t.Errorf("compactAt %d: Len %d, want 3000", compactAt, n)
		}
		if got := ids(x.MatchPDQ(added.PDQ).Matches); !cmp.Equal(got, []int64{9001, 5}) {
			t.Errorf("compactAt %d: added entries matched %v", compactAt, got)
		}
		if got := ids(x.MatchPDQ(base[4].PDQ).Matches); len(got) != 0 {
			t.Errorf("compactAt %d: old hash of entry 5 still matches: %v", compactAt, got)
		}
		if got := ids(x.MatchPDQ(base[6].PDQ).Matches); len(got) != 0 {
			t.Errorf("compactAt %d: removed entry 7 still matches: %v", compactAt, got)
		}
		if got := ids(x.MatchPDQ(base[100].PDQ).Matches); !cmp.Equal(got, []int64{101}) {
			t.Errorf("compactAt %d: untouched entry matched %v", compactAt, got)
		}
		err = x.Apply(t.Context(), Delta{Generation: 1})
		if !errors.Is(err, safeguard.ErrConflict) {
			t.Errorf("going back a generation: %v, want ErrConflict", err)
		}
	}
}

func TestRebuildRejects(t *testing.T) {
	x := New(Options{})
	tests := map[string][]Entry{
		"unknown bank": {pdqEntry(1, 9, PDQ{})},
		"duplicate id": {pdqEntry(1, 1, PDQ{}), pdqEntry(1, 1, PDQ{1})},
		"no hash":      {{ID: 1, BankID: 1}},
	}
	for name, es := range tests {
		if err := x.Rebuild(t.Context(), 1, []Bank{{ID: 1}}, es); !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := x.Rebuild(t.Context(), 1, []Bank{{ID: 1}, {ID: 1}}, nil); !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("duplicate bank: %v, want ErrInvalid", err)
	}
}

// TestConcurrentReadersDuringRebuild runs matches while a writer rebuilds
// and applies deltas. Every match must see one whole generation: generation
// g holds exactly the entries 1…g·100 (run with -race).
func TestConcurrentReadersDuringRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	all := fill(rng, 1, 2000, 1)
	x := New(Options{CompactAt: 250})
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for !stop.Load() {
				i := r.IntN(len(all))
				res := x.MatchPDQ(all[i].PDQ)
				visible := int64(i+1) <= int64(res.Generation)*100
				if got := len(res.Matches) == 1; got != visible {
					errs <- fmt.Errorf("generation %d: entry %d matched=%v", res.Generation, i+1, got)
					return
				}
			}
		}()
	}
	for g := uint64(1); g <= 20; g++ {
		var err error
		if g%5 == 0 {
			err = x.Rebuild(t.Context(), g, []Bank{{ID: 1}}, all[:g*100])
		} else {
			err = x.Apply(t.Context(), Delta{Generation: g, Banks: []Bank{{ID: 1}}, Add: all[(g-1)*100 : g*100]})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if x.Len() != 2000 {
		t.Errorf("Len %d, want 2000", x.Len())
	}
}

func TestApplyBanksRemoved(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	a, b := randomPDQ(rng), randomPDQ(rng)
	x := New(Options{})
	if err := x.Rebuild(t.Context(), 1, []Bank{{ID: 1}, {ID: 2}}, []Entry{pdqEntry(1, 1, a), pdqEntry(2, 2, b)}); err != nil {
		t.Fatal(err)
	}
	if err := x.Apply(t.Context(), Delta{Generation: 2, Add: []Entry{pdqEntry(3, 2, near(rng, a, 1))}}); err != nil {
		t.Fatal(err)
	}
	// Bank 2 goes: its entries, in the base and in the overlay, stop matching.
	if err := x.Apply(t.Context(), Delta{Generation: 3, Banks: []Bank{{ID: 1}}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(x.MatchPDQ(a).Matches); !cmp.Equal(got, []int64{1}) {
		t.Errorf("matched %v, want [1]", got)
	}
	if got := ids(x.MatchPDQ(b).Matches); len(got) != 0 {
		t.Errorf("removed bank matched %v", got)
	}
	// Adding to a bank the index does not know is refused.
	err := x.Apply(t.Context(), Delta{Generation: 4, Add: []Entry{pdqEntry(4, 2, b)}})
	if !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("adding to a removed bank: %v, want ErrInvalid", err)
	}
	if x.Generation() != 3 {
		t.Errorf("a refused delta changed the generation to %d", x.Generation())
	}
}
