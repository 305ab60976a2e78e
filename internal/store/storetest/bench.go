package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// BenchmarkCreateMessage stores b.N messages, each in its own Update and,
// if withEvent, with its outbox event, from the given number of goroutines
// at once, and reports messages per second. With one writer every Update
// waits for its own commit; with many, a store with group commit shares
// commits between them.
func BenchmarkCreateMessage(b *testing.B, s store.Store, writers int, withEvent bool) {
	ctx := context.Background()
	a := &safeguard.Account{Handle: "bench", BirthDate: adultBirth, CreatedAt: t0}
	conv := &safeguard.Conversation{Kind: safeguard.Group, CreatedAt: t0}
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, a, ""); err != nil {
			return err
		}
		conv.Members = []safeguard.Member{{AccountID: a.ID, State: safeguard.MemberJoined}}
		return tx.CreateConversation(ctx, conv)
	})
	if err != nil {
		b.Fatal(err)
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				m := message(conv.ID, a.ID, "benchmark message")
				err := s.Update(ctx, func(tx store.Tx) error {
					if err := tx.CreateMessage(ctx, m); err != nil || !withEvent {
						return err
					}
					return tx.AppendEvent(ctx, &safeguard.Event{
						Type: safeguard.EventMessageCreated, At: t0, ConversationID: conv.ID, MessageID: m.ID,
					})
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
