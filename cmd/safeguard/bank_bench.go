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
	{"import", "import a hash list into a bank (text, csv, hma, pdq-hasher), all or nothing", cmdBankImport},
	{"list", "list the banks with their provenance and entry counts", cmdBankList},
	{"add", "add images (hashed here) or hashes to a bank", cmdBankAdd},
	{"remove", "remove entries from a bank", cmdBankRemove},
	{"disable", "stop a bank matching (its entries stay)", cmdBankEnable(false)},
	{"enable", "let a disabled bank match again", cmdBankEnable(true)},
	{"match", "match image files against the banks, as the server would", cmdBankMatch},
	{"bench", "measure the hash-bank index against brute force on synthetic hashes", cmdBankBench},
}

func cmdBank(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		bankUsage(e.stdout)
		if len(args) == 0 {
			return &exitError{code: 2, err: errors.New("")}
		}
		return nil
	}
	for _, c := range bankCommands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	bankUsage(e.stderr)
	return &exitError{code: 2, err: fmt.Errorf("unknown bank command %q", args[0])}
}

func bankUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: safeguard bank <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range bankCommands {
		fmt.Fprintf(w, "  %-7s  %s\n", c.name, c.summary)
	}
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
