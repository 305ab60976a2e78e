package messaging

import (
	"context"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// Tx is what the messaging service does in a store transaction: the parts of
// the store contract it uses, and no others.
type Tx interface {
	VerdictTx
	store.AccountTx
	store.ContactTx
	store.ConversationTx
	store.MessageTx
	store.E2EETx
	store.CaseTx
	store.IdempotencyTx
}

// VerdictTx is what a Verdict's Record may do in the transaction that stores
// the message: write a detection with its outbox event, and an image's
// hashes.
type VerdictTx interface {
	store.RecordTx
	store.DetectionTx
	store.BankTx
	store.RiskTx
}

// updateTx runs fn in a read-write transaction of st, seen as a Tx.
func updateTx(ctx context.Context, st store.Store, fn func(tx Tx) error) error {
	return st.Update(ctx, func(tx store.Tx) error { return fn(tx) })
}

// viewTx runs fn in a read-only transaction of st, seen as a Tx.
func viewTx(ctx context.Context, st store.Store, fn func(tx Tx) error) error {
	return st.View(ctx, func(tx store.Tx) error { return fn(tx) })
}
