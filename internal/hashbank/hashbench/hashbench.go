// Package hashbench measures the hash-bank index against brute force on
// synthetic PDQ hashes: random, or clustered in families of near-duplicates,
// with near-duplicates of the queries planted at every distance up to just
// past the radius. It backs `safeguard bank bench`.
package hashbench

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"time"
	"unsafe"

	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/mih"
)

// Config is one benchmark run.
type Config struct {
	Size      int  // hashes in the bank, planted ones included
	Queries   int  // queries timed against the index
	Clustered bool // families of near-duplicates instead of uniform hashes
	Radius    int
	Dihedral  bool // also time 8-hash dihedral queries
	// BruteQueries is how many of the queries brute force runs (it is slow
	// at 10M); recall is computed on those. 0 means enough for about two
	// billion hash comparisons, at least 10.
	BruteQueries int
	Seed         uint64
	Dump         string // if set, write the hashes and queries here (see WriteDump)
}

// Report is what a run measured.
type Report struct {
	Size             int     `json:"size"`
	Queries          int     `json:"queries"`
	IndexQPS         float64 `json:"index_qps"`
	BruteQPS         float64 `json:"brute_qps"`
	Recall           float64 `json:"recall"`
	BuildSeconds     float64 `json:"build_seconds"`
	BytesPerHash     float64 `json:"bytes_per_hash"`      // counted from the index's arrays
	HeapBytesPerHash float64 `json:"heap_bytes_per_hash"` // runtime.MemStats HeapAlloc growth
	DihedralQPS      float64 `json:"dihedral_qps,omitempty"`
	BruteQueries     int     `json:"brute_queries"`
	Matches          int     `json:"matches"`       // the index's matches over the brute-force queries
	ExtraMatches     int     `json:"extra_matches"` // of those, ones brute force did not find (must be 0)
	Clustered        bool    `json:"clustered"`
	Radius           int     `json:"radius"`
	GOMAXPROCS       int     `json:"gomaxprocs"`
	Shape            string  `json:"shape"`
}

// Data builds the bank and the queries of c.
func Data(c Config) (bank, queries []mih.Hash) {
	rng := rand.New(rand.NewPCG(c.Seed, 0x5afe))
	const perQuery = 4
	planted := min(c.Size, perQuery*c.Queries)
	if c.Clustered {
		bank = mih.Clustered(rng, c.Size-planted, 20, 5, 40)
	} else {
		bank = mih.Random(rng, c.Size-planted)
	}
	queries = mih.Random(rng, c.Queries)
	if c.Clustered && len(bank) > 0 {
		// Half the queries fall inside families, not only near planted
		// copies: they meet every member within the radius.
		for i := 0; i < len(queries); i += 2 {
			queries[i] = mih.Flip(rng, bank[rng.IntN(len(bank))], 8)
		}
	}
	span := c.Radius + 2 // distances 0…radius+1: the edge r+1 must not match
	for i := range planted {
		q, j := i/perQuery, i%perQuery
		d := (q*7 + j*span/perQuery) % span
		bank = append(bank, mih.Flip(rng, queries[q], min(d, mih.Bits)))
	}
	rng.Shuffle(len(bank), func(i, j int) { bank[i], bank[j] = bank[j], bank[i] })
	return bank, queries
}

// Run builds the bank, times the index and brute force, and reports.
func Run(ctx context.Context, c Config) (Report, error) {
	if c.Size < 1 || c.Queries < 1 {
		return Report{}, fmt.Errorf("size and queries must be positive")
	}
	bank, queries := Data(c)
	if c.Dump != "" {
		if err := WriteDump(c.Dump, c.Radius, bank, queries); err != nil {
			return Report{}, err
		}
	}
	rep := Report{Size: c.Size, Queries: c.Queries, Clustered: c.Clustered, Radius: c.Radius, GOMAXPROCS: runtime.GOMAXPROCS(0)}

	entries := make([]hashbank.Entry, len(bank))
	for i, h := range bank {
		entries[i] = hashbank.Entry{ID: int64(i), BankID: 1, Hashes: hashbank.Hashes{Kinds: hashbank.KindPDQ, PDQ: h.Bytes()}}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := hashbank.New(hashbank.Options{Radius: c.Radius, NegativeRadius: -1})
	start := time.Now()
	if err := x.Rebuild(ctx, 1, []hashbank.Bank{{ID: 1}}, entries); err != nil {
		return Report{}, err
	}
	rep.BuildSeconds = time.Since(start).Seconds()
	entries = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	rep.BytesPerHash = float64(x.Bytes()) / float64(c.Size)
	// The entries were live before the build and freed after it.
	entryBytes := float64(c.Size) * float64(unsafe.Sizeof(hashbank.Entry{}))
	rep.HeapBytesPerHash = (float64(after.HeapAlloc) - float64(before.HeapAlloc) + entryBytes) / float64(c.Size)
	rep.Shape = x.Shape()

	pdqs := make([]hashbank.PDQ, len(queries))
	for i, q := range queries {
		pdqs[i] = q.Bytes()
	}
	results := make([][]hashbank.Match, len(queries))
	start = time.Now()
	for i := range pdqs {
		results[i] = x.MatchPDQ(pdqs[i]).Matches
	}
	rep.IndexQPS = float64(len(queries)) / time.Since(start).Seconds()

	nb := c.BruteQueries
	if nb == 0 {
		nb = max(10, 2_000_000_000/c.Size)
	}
	nb = min(nb, len(queries))
	rep.BruteQueries = nb
	want := make([][]mih.Hit, nb)
	start = time.Now()
	for i := range nb {
		want[i] = mih.BruteForce(bank, &queries[i], c.Radius, nil)
	}
	rep.BruteQPS = float64(nb) / time.Since(start).Seconds()
	total, found := 0, 0
	for i := range nb {
		got := map[int64]int{}
		for _, m := range results[i] {
			got[m.EntryID] = m.Distance
		}
		for _, h := range want[i] {
			total++
			if d, ok := got[int64(h.Row)]; ok && d == int(h.Dist) {
				found++
			}
		}
		rep.Matches += len(results[i])
	}
	rep.Recall = 1
	if total > 0 {
		rep.Recall = float64(found) / float64(total)
	}
	rep.ExtraMatches = rep.Matches - found

	if c.Dihedral {
		// Stand-ins for the 8 transforms of an image: the query and 7 other
		// random hashes (the index does not know the difference).
		rng := rand.New(rand.NewPCG(c.Seed, 8))
		var hs [8]hashbank.PDQ
		start = time.Now()
		for i := range pdqs {
			hs[0] = pdqs[i]
			for t := 1; t < 8; t++ {
				hs[t] = hashbank.PDQ(mih.Random(rng, 1)[0].Bytes())
			}
			_ = x.MatchDihedral(hs)
		}
		rep.DihedralQPS = float64(len(pdqs)) / time.Since(start).Seconds()
	}
	return rep, nil
}

// WriteDump writes bank and queries for other tools (the FAISS comparison):
// the line "hashbench 1", then little-endian uint64 n, uint64 q, uint64
// radius, then n and q hashes of 32 bytes each in hex-string byte order.
func WriteDump(path string, radius int, bank, queries []mih.Hash) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := writeDump(w, radius, bank, queries); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeDump(w io.Writer, radius int, bank, queries []mih.Hash) error {
	if _, err := io.WriteString(w, "hashbench 1\n"); err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, [3]uint64{uint64(len(bank)), uint64(len(queries)), uint64(radius)}); err != nil {
		return err
	}
	for _, set := range [][]mih.Hash{bank, queries} {
		for _, h := range set {
			b := h.Bytes()
			if _, err := w.Write(b[:]); err != nil {
				return err
			}
		}
	}
	return nil
}
