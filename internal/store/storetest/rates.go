package storetest

import (
	"testing"

	"github.com/safeguard-dev/safeguard/internal/store"
)

var rateTests = []test{
	{"RateBuckets", testRateBuckets},
}

func testRateBuckets(t *testing.T, s store.Store) {
	ctx := t.Context()
	msgs, other := store.RateKey{Name: "messages", Key: "7"}, store.RateKey{Name: "contacts", Key: "7"}
	view := func() []store.RateBucket {
		var got []store.RateBucket
		update(t, s, func(tx store.Tx) (err error) {
			got, err = tx.RateBuckets(ctx, []store.RateKey{msgs, other})
			return err
		})
		return got
	}
	if d := diff([]store.RateBucket{{RateKey: msgs}, {RateKey: other}}, view()); d != "" {
		t.Fatalf("buckets never stored (-want +got):\n%s", d)
	}
	update(t, s, func(tx store.Tx) error {
		return tx.PutRateBuckets(ctx, []store.RateBucket{{RateKey: msgs, Tokens: 2.5, At: at(1)}, {RateKey: other, Tokens: 1, At: at(3)}})
	})
	if d := diff([]store.RateBucket{{RateKey: msgs, Tokens: 2.5, At: at(1)}, {RateKey: other, Tokens: 1, At: at(3)}}, view()); d != "" {
		t.Fatalf("stored buckets (-want +got):\n%s", d)
	}
	update(t, s, func(tx store.Tx) error {
		return tx.PutRateBuckets(ctx, []store.RateBucket{{RateKey: msgs, Tokens: 1.5, At: at(2)}, {RateKey: other}})
	})
	if d := diff([]store.RateBucket{{RateKey: msgs, Tokens: 1.5, At: at(2)}, {RateKey: other}}, view()); d != "" {
		t.Fatalf("updated and forgotten (-want +got):\n%s", d)
	}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.PruneRateBuckets(ctx, "contacts", at(10))
		if err != nil || n > 1 {
			t.Errorf("prune another limit: %d, %v", n, err)
		}
		if n, err = tx.PruneRateBuckets(ctx, "messages", at(2)); err != nil || n != 0 {
			t.Errorf("prune before the bucket: %d, %v; want 0", n, err)
		}
		if n, err = tx.PruneRateBuckets(ctx, "messages", at(3)); err != nil || n != 1 {
			t.Errorf("prune after the bucket: %d, %v; want 1", n, err)
		}
		return nil
	})
	if d := diff([]store.RateBucket{{RateKey: msgs}, {RateKey: other}}, view()); d != "" {
		t.Fatalf("after pruning (-want +got):\n%s", d)
	}
}
