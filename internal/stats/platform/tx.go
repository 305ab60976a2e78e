package platform

import (
	"context"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// Tx is what the platform's statistics does in a store transaction: the parts of
// the store contract it uses, and no others.
type Tx interface {
	store.AccountTx
	store.ConversationTx
	store.DetectionTx
	store.BankTx
	store.CaseTx
	store.DatasetTx
}

// viewTx runs fn in a read-only transaction of st, seen as a Tx.
func viewTx(ctx context.Context, st store.Store, fn func(tx Tx) error) error {
	return st.View(ctx, func(tx store.Tx) error { return fn(tx) })
}
