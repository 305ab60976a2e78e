package riskscan

import (
	"context"

	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Tx is what the risk scanner does in a store transaction: the parts of
// the store contract it uses, and no others.
type Tx interface {
	messaging.VerdictTx
	store.ContactTx
	store.ClusterTx // the rules in force and the counts, in a cluster
}

// viewTx runs fn in a read-only transaction of st, seen as a Tx.
func viewTx(ctx context.Context, st store.Store, fn func(tx Tx) error) error {
	return st.View(ctx, func(tx store.Tx) error { return fn(tx) })
}

// updateTx runs fn in a read-write transaction of st, seen as a Tx.
func updateTx(ctx context.Context, st store.Store, fn func(tx Tx) error) error {
	return st.Update(ctx, func(tx store.Tx) error { return fn(tx) })
}
