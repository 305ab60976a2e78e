package mih

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHashBytesRoundTrip(t *testing.T) {
	var b [32]byte
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	h := FromBytes(b)
	if h[0] != 0x01080f161d242b32 {
		t.Fatalf("word 0 = %#x, want big-endian bytes 0–7", h[0])
	}
	if got := h.Bytes(); got != b {
		t.Fatalf("Bytes() = %x, want %x", got, b)
	}
}

func TestExtract(t *testing.T) {
	h := Hash{0x8000000000000001, 0xc000000000000000, 0, 1}
	tests := []struct {
		off, n uint
		want   uint32
	}{
		{0, 1, 1},
		{0, 4, 8},
		{60, 8, 0x1c}, // bits 60..67: 0001 1100
		{63, 3, 0x7},
		{252, 4, 1},
		{250, 6, 1},
	}
	for _, tt := range tests {
		if got := extract(&h, tt.off, tt.n); got != tt.want {
			t.Errorf("extract(off %d, n %d) = %#x, want %#x", tt.off, tt.n, got, tt.want)
		}
	}
}

func TestFlipDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := Random(rng, 1)[0]
	for d := range Bits + 1 {
		f := Flip(rng, h, d)
		if got := Distance(&h, &f); got != d {
			t.Fatalf("Flip(%d) is at distance %d", d, got)
		}
	}
}

func TestBall(t *testing.T) {
	for _, tt := range []struct{ b, a, want int }{{5, 0, 1}, {5, 1, 6}, {5, 2, 16}, {5, 9, 32}, {20, 3, 1351}} {
		m := ball(tt.b, tt.a)
		if len(m) != tt.want || len(m) != int(ballSize(tt.b, min(tt.a, tt.b))) {
			t.Errorf("ball(%d, %d) has %d masks, want %d", tt.b, tt.a, len(m), tt.want)
		}
		s := slices.Clone(m)
		slices.Sort(s)
		if len(slices.Compact(s)) != len(m) {
			t.Errorf("ball(%d, %d) repeats a mask", tt.b, tt.a)
		}
	}
}

// planted returns hashes with, for each query, copies at every distance
// from 0 to maxDist, so that the edge distances r and r+1 are present.
func planted(rng *rand.Rand, base []Hash, queries []Hash, maxDist int) []Hash {
	hs := slices.Clone(base)
	for _, q := range queries {
		for d := 0; d <= maxDist; d++ {
			hs = append(hs, Flip(rng, q, d))
		}
	}
	rng.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
	return hs
}

func checkRecall(t *testing.T, x *Index, queries []Hash, radii []int) {
	t.Helper()
	found := 0
	for _, r := range radii {
		for qi := range queries {
			q := &queries[qi]
			want := BruteForce(x.Hashes(), q, r, nil)
			slices.SortFunc(want, func(a, b Hit) int {
				if a.Dist != b.Dist {
					return int(a.Dist) - int(b.Dist)
				}
				return int(a.Row) - int(b.Row)
			})
			got := x.Search(q, r, nil)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%v radius %d query %d: index differs from brute force (-brute +index):\n%s", x.Params(), r, qi, diff)
			}
			found += len(got)
		}
	}
	if found == 0 {
		t.Fatalf("%v: no query found anything; the test data plants no near-duplicates", x.Params())
	}
}

func TestSearchMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	nq, extra := 12, 8
	if raceEnabled {
		nq, extra = 3, 2
	}
	queries := Random(rng, nq)
	sets := map[string][]Hash{
		"random":    planted(rng, Random(rng, 4000), queries, 40),
		"clustered": planted(rng, Clustered(rng, 4000, 50, 5, 40), queries, 40),
	}
	// Queries near cluster members too, not only planted copies.
	cq := slices.Clone(queries)
	for i := range extra {
		cq = append(cq, Flip(rng, sets["clustered"][i*97], 10))
	}
	shapes := []Params{
		Plan(len(sets["random"]), 31, DefaultBudget),
		{Widths: Split(16), KeyBits: slices.Repeat([]int{16}, 16)},
		{Widths: Split(12), KeyBits: slices.Repeat([]int{12}, 12)},
		{Widths: Split(8), KeyBits: slices.Repeat([]int{14}, 8)},
		{Widths: Split(1), KeyBits: []int{10}},
		{Widths: []int{100, 56, 100}, KeyBits: []int{9, 20, 3}}, // uneven, key bits spanning words
	}
	for name, hs := range sets {
		for _, p := range shapes {
			x, order, err := Build(hs, p)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range order {
				if x.Hash(uint32(i)) != hs[o] {
					t.Fatalf("%s %v: row %d is not input %d", name, p, i, o)
				}
			}
			qs := queries
			if name == "clustered" {
				qs = cq
			}
			checkRecall(t, x, qs, []int{0, 7, 30, 31, 32})
			checkRecall(t, x, qs[:2], []int{40}) // beyond the planned radius
		}
	}
}

func TestSearchDuplicatesAndWideOffsets(t *testing.T) {
	// 70000 copies of one hash overflow a block's uint16 offsets, so the
	// tables fall back to full offsets; every copy must still be found.
	rng := rand.New(rand.NewPCG(5, 6))
	h := Random(rng, 1)[0]
	hs := append(slices.Repeat([]Hash{h}, 70000), Random(rng, 1000)...)
	x, _, err := Build(hs, Params{Widths: Split(4), KeyBits: []int{8, 8, 8, 8}})
	if err != nil {
		t.Fatal(err)
	}
	if x.tables[0].wide == nil {
		t.Fatal("expected the first table to use full offsets")
	}
	got := x.Search(&h, 3, nil)
	if len(got) != 70000 {
		t.Fatalf("found %d copies, want 70000", len(got))
	}
}

func TestSearchEmptyAndNegative(t *testing.T) {
	x, _, err := Build(nil, Plan(0, 31, DefaultBudget))
	if err != nil {
		t.Fatal(err)
	}
	q := Hash{1, 2, 3, 4}
	if got := x.Search(&q, 31, nil); len(got) != 0 {
		t.Fatalf("empty index found %v", got)
	}
	y, _, _ := Build([]Hash{q}, Plan(1, 31, DefaultBudget))
	if got := y.Search(&q, -1, nil); len(got) != 0 {
		t.Fatalf("radius -1 found %v", got)
	}
	if got := y.Search(&q, 300, nil); len(got) != 1 {
		t.Fatalf("radius 300 found %v, want the one hash", got)
	}
}

func TestPlanWithinBudget(t *testing.T) {
	for _, n := range []int{0, 1, 1000, 100000, 1000000, 10000000, 30000000} {
		for _, r := range []int{0, 8, 31, 64} {
			p := Plan(n, r, DefaultBudget)
			if err := p.Validate(); err != nil {
				t.Fatalf("Plan(%d, %d) = %v: %v", n, r, p, err)
			}
			if n >= 100000 && p.Bytes(n) > int64(n)*DefaultBudget {
				t.Errorf("Plan(%d, %d) = %v uses %d bytes per hash", n, r, p, p.Bytes(n)/int64(n))
			}
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []Params{
		{},
		{Widths: []int{128, 127}, KeyBits: []int{8, 8}},
		{Widths: []int{128, 128}, KeyBits: []int{8}},
		{Widths: []int{128, 128}, KeyBits: []int{0, 8}},
		{Widths: []int{250, 6}, KeyBits: []int{8, 7}},
		{Widths: []int{200, 56}, KeyBits: []int{29, 8}},
	}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%v: Validate accepted it", p)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	hs := Random(rng, 1<<20)
	qs := Random(rng, 1024)
	x, _, err := Build(hs, Plan(len(hs), 31, DefaultBudget))
	if err != nil {
		b.Fatal(err)
	}
	var hits []Hit
	i := 0
	for b.Loop() {
		hits = x.Search(&qs[i%len(qs)], 31, hits[:0])
		i++
	}
}
