package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbench"
)

// bankCommands are the subcommands of `safeguard bank`.
var bankCommands = []command{
	{name: "import", summary: "import a hash list into a bank (text, csv, hma, pdq-hasher), all or nothing", args: "FILE",
		example: "bank import --bank known --source \"own moderators\" hashes.txt --data demo", access: writes, run: cmdBankImport},
	{name: "list", summary: "list the banks with their provenance and entry counts", example: "bank list --data demo", access: reads, run: cmdBankList},
	{name: "add", summary: "add images (hashed here) or hashes to a bank", args: "BANK FILE|HASH…",
		example: "bank add known photo.jpg --data demo", access: writes, run: cmdBankAdd},
	{name: "remove", summary: "remove entries from a bank", args: "BANK ENTRY…", example: "bank remove known photo.jpg --data demo", access: writes, run: cmdBankRemove},
	{name: "disable", summary: "stop a bank matching (its entries stay)", args: "BANK", example: "bank disable known --data demo", access: writes, run: cmdBankEnable(false)},
	{name: "enable", summary: "let a disabled bank match again", args: "BANK", example: "bank enable known --data demo", access: writes, run: cmdBankEnable(true)},
	{name: "match", summary: "match image files against the banks, as the server would", args: "FILE…",
		example: "bank match photo.jpg --data demo", access: reads, run: cmdBankMatch},
	{name: "bench", summary: "measure the hash-bank index against brute force on synthetic hashes",
		example: "bank bench --size 10000 --queries 200", access: local, run: cmdBankBench},
}

func cmdBankBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bank bench", "bank bench [--size N] [--queries Q] [--clustered] [--radius R] [--dihedral] [--json]")
	var c hashbench.Config
	var asJSON bool
	fs.IntVar(&c.Size, "size", 1_000_000, "hashes in the synthetic bank")
	fs.IntVar(&c.Queries, "queries", 2000, "queries timed against the index")
	fs.BoolVar(&c.Clustered, "clustered", false, "families of near-duplicates (distance 5–40 from a centre) instead of random hashes")
	fs.IntVar(&c.Radius, "radius", hashbank.DefaultRadius, "PDQ match radius")
	fs.BoolVar(&c.Dihedral, "dihedral", false, "also time 8-hash (dihedral) queries")
	fs.IntVar(&c.BruteQueries, "brute-queries", 0, "queries brute force runs, on which recall is computed (0: about 2e9 comparisons' worth, at least 10)")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed")
	fs.StringVar(&c.Dump, "dump", "", "write the bank and queries to this file (for internal/hashbank/testdata/faiss_bench.py)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if c.Size < 1 || c.Queries < 1 || c.Radius < 0 || c.Radius > 256 {
		return &exitError{code: 2, err: errors.New("--size and --queries must be positive and --radius from 0 to 256")}
	}
	rep, err := hashbench.Run(ctx, c)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		return enc.Encode(rep)
	}
	kind := "random"
	if rep.Clustered {
		kind = "clustered"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "bank: %d %s PDQ hashes, radius %d, GOMAXPROCS %d\n", rep.Size, kind, rep.Radius, rep.GOMAXPROCS)
	fmt.Fprintf(&b, "index: %s\n", rep.Shape)
	fmt.Fprintf(&b, "build:        %.2f s\n", rep.BuildSeconds)
	fmt.Fprintf(&b, "memory:       %.1f bytes/hash (index arrays), %.1f bytes/hash (heap growth, runtime.MemStats)\n", rep.BytesPerHash, rep.HeapBytesPerHash)
	fmt.Fprintf(&b, "index:        %.0f queries/s (%d queries, one goroutine)\n", rep.IndexQPS, rep.Queries)
	if rep.DihedralQPS > 0 {
		fmt.Fprintf(&b, "dihedral:     %.0f images/s (8 hashes each)\n", rep.DihedralQPS)
	}
	fmt.Fprintf(&b, "brute force:  %.1f queries/s (%d queries)\n", rep.BruteQPS, rep.BruteQueries)
	fmt.Fprintf(&b, "speed-up:     %.0f×\n", rep.IndexQPS/rep.BruteQPS)
	fmt.Fprintf(&b, "recall:       %.4f (%d matches on the brute-force queries, %d not found by brute force)\n", rep.Recall, rep.Matches, rep.ExtraMatches)
	_, err = io.WriteString(e.stdout, b.String())
	return err
}
