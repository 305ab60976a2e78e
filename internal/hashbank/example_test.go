package hashbank_test

import (
	"context"
	"fmt"

	"github.com/safeguard-dev/safeguard/internal/hashbank"
)

func Example() {
	ctx := context.Background()
	known, _ := hashbank.ParsePDQ("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22")
	x := hashbank.New(hashbank.Options{}) // radius 31, negative radius 16
	err := x.Rebuild(ctx, 1, []hashbank.Bank{{ID: 7}}, []hashbank.Entry{
		{ID: 100, BankID: 7, Hashes: hashbank.Hashes{Kinds: hashbank.KindPDQ, PDQ: known}},
	})
	if err != nil {
		panic(err)
	}

	// An image a few bits away from the known one matches.
	query := known
	query[0] ^= 0x0f
	r := x.MatchPDQ(query)
	fmt.Println(r.Generation, r.Matches)

	// The store removes the entry at its generation 2; the next match sees it.
	if err := x.Apply(ctx, hashbank.Delta{Generation: 2, Remove: []int64{100}}); err != nil {
		panic(err)
	}
	r = x.MatchPDQ(query)
	fmt.Println(r.Generation, len(r.Matches))
	// Output:
	// 1 [{100 7 pdq 4 0}]
	// 2 0
}
