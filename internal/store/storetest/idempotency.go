package storetest

import (
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var idempotencyTests = []test{
	{"IdempotencyKeys", testIdempotencyKeys},
}

func testIdempotencyKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	lookup := func(account int64, key string, since int) (int64, error) {
		var id int64
		err := s.View(ctx, func(tx store.Tx) (err error) {
			id, err = tx.IdempotentMessage(ctx, account, key, at(since))
			return err
		})
		return id, err
	}
	put := func(account int64, key string, msg int64, when, since int) error {
		return s.Update(ctx, func(tx store.Tx) error { return tx.PutIdempotencyKey(ctx, account, key, msg, at(when), at(since)) })
	}
	_, err := lookup(1, "k", 0)
	wantKind(t, "a key never used", err, safeguard.ErrNotFound, "")
	if err := put(1, "k", 10, 5, 0); err != nil {
		t.Fatal(err)
	}
	if id, err := lookup(1, "k", 0); err != nil || id != 10 {
		t.Fatalf("lookup: %d, %v; want 10", id, err)
	}
	_, err = lookup(2, "k", 0)
	wantKind(t, "another account's key", err, safeguard.ErrNotFound, "")
	_, err = lookup(1, "k", 6)
	wantKind(t, "a key used before since", err, safeguard.ErrNotFound, "")
	wantKind(t, "the same key again, within the window", put(1, "k", 11, 6, 1), safeguard.ErrConflict, "")
	if id, _ := lookup(1, "k", 0); id != 10 {
		t.Fatalf("after a refused put: %d, want 10", id)
	}
	if err := put(1, "k", 12, 20, 10); err != nil {
		t.Fatalf("the same key after the window: %v", err)
	}
	if id, _ := lookup(1, "k", 10); id != 12 {
		t.Fatalf("after the window: %d, want 12", id)
	}
	if err := put(2, "k", 13, 5, 0); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.PruneIdempotencyKeys(ctx, at(10))
		if err != nil || n != 1 {
			t.Errorf("prune: %d, %v; want 1", n, err)
		}
		return nil
	})
	_, err = lookup(2, "k", 0)
	wantKind(t, "a pruned key", err, safeguard.ErrNotFound, "")
}
