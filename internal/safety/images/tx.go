package images

import (
	"context"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// Tx is what the image scanner does in a store transaction: the parts of
// the store contract it uses, and no others.
type Tx interface {
	store.AccountTx
	store.ConversationTx
	store.MessageTx
	store.RecordTx
	store.DetectionTx
	store.BankTx
}

// updateTx runs fn in a read-write transaction of st, seen as a Tx.
func updateTx(ctx context.Context, st store.Store, fn func(tx Tx) error) error {
	return st.Update(ctx, func(tx store.Tx) error { return fn(tx) })
}

// viewTx runs fn in a read-only transaction of st, seen as a Tx.
func viewTx(ctx context.Context, st store.Store, fn func(tx Tx) error) error {
	return st.View(ctx, func(tx store.Tx) error { return fn(tx) })
}
