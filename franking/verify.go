package franking

import (
	"context"
	"crypto/hmac"
	"fmt"
	"sync"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// ReportKey names one receipt for duplicate detection: a message id as
// delivered to one recipient. Two members of a group who report the same
// message hold different receipts, and both reports count; the same
// recipient reporting the same message again is a duplicate.
type ReportKey struct {
	MessageID        int64
	RecipientAccount int64
}

// SeenSet remembers which receipts have been reported. The server's store
// implements it; MemorySeen is an in-process one.
type SeenSet interface {
	// MarkReported records key and reports whether it was new. The entry
	// may be forgotten after expires: a receipt is useless after it.
	MarkReported(ctx context.Context, key ReportKey, expires time.Time) (bool, error)
}

// Verifier is the server's side of a report.
type Verifier struct {
	Keys *KeyRing
	Seen SeenSet
	Now  func() time.Time // the clock; time.Now if nil
}

// Verified is a report the server has verified: the message as the sender
// wrote it, the delivery it was bound to, and the commitment.
type Verified struct {
	Message    Message
	Context    Context
	Commitment Commitment
}

// Verify checks a report and, if it holds, records it as reported. The
// checks, in order, each with its own error:
//
//   - delivered longer ago than the window: ErrExpired;
//   - the receipt's key is not in the ring (never was, or dropped): ErrUnknownKey;
//   - the recomputed receipt differs (altered text or attachment, another
//     sender, recipient, conversation, time or message id, a wrong
//     franking key, a forged MAC): ErrReceipt;
//   - the receipt was reported before: ErrDuplicate.
//
// A forged report never marks the receipt as reported, so it cannot block
// the real one.
func (v Verifier) Verify(ctx context.Context, r Report) (Verified, error) {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	c, err := r.Context.MarshalBinary()
	if err != nil {
		return Verified{}, err
	}
	expires := r.Context.ServerTime.Add(v.Keys.Window())
	if now().After(expires) {
		return Verified{}, refused(safeguard.ErrInvalid, "report_expired",
			"This message is too old to be reported.", ErrExpired)
	}
	key, ok := v.Keys.lookup(r.Receipt.KeyID)
	if !ok {
		return Verified{}, refused(safeguard.ErrInvalid, "report_unknown_key",
			"This report cannot be verified.", fmt.Errorf("%w: kid %d", ErrUnknownKey, r.Receipt.KeyID))
	}
	cf, err := Commit(r.Key, r.Message)
	if err != nil {
		return Verified{}, err
	}
	want := receiptMAC(key.Secret, cf, c)
	if !hmac.Equal(want[:], r.Receipt.MAC[:]) {
		return Verified{}, refused(safeguard.ErrInvalid, "report_unverifiable",
			"This report does not match the message that was delivered.", ErrReceipt)
	}
	fresh, err := v.Seen.MarkReported(ctx, ReportKey{MessageID: r.Context.MessageID, RecipientAccount: r.Context.RecipientAccount}, expires)
	if err != nil {
		return Verified{}, fmt.Errorf("franking: record report: %w", err)
	}
	if !fresh {
		return Verified{}, refused(safeguard.ErrConflict, "report_duplicate",
			"This message has already been reported.", ErrDuplicate)
	}
	return Verified{Message: r.Message, Context: r.Context, Commitment: cf}, nil
}

// MemorySeen is a SeenSet in memory, for tests and single-process servers.
// Entries are forgotten once expired. The zero value is ready to use.
type MemorySeen struct {
	Now func() time.Time // the clock; time.Now if nil

	mu   sync.Mutex
	seen map[ReportKey]time.Time
}

// MarkReported implements SeenSet.
func (m *MemorySeen) MarkReported(_ context.Context, key ReportKey, expires time.Time) (bool, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = make(map[ReportKey]time.Time)
	}
	for k, exp := range m.seen {
		if t.After(exp) {
			delete(m.seen, k)
		}
	}
	if _, ok := m.seen[key]; ok {
		return false, nil
	}
	m.seen[key] = expires
	return true, nil
}
