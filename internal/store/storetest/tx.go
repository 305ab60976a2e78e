package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var txTests = []test{
	{"Ping", testPing},
	{"UpdateRollsBackOnError", testUpdateRollsBack},
	{"UpdatePanic", testUpdatePanic},
	{"UpdateCancelled", testUpdateCancelled},
	{"ViewIsReadOnly", testViewIsReadOnly},
	{"ConcurrentUpdates", testConcurrentUpdates},
	{"QueueShared", testQueueShared},
}

// errRollback is what a test's fn returns to have its work undone.
var errRollback = errors.New("storetest: roll back")

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testUpdateRollsBack(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	conv := group(t, s, false, a.ID)
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, &safeguard.Account{Handle: "ghost", CreatedAt: t0}, ""); err != nil {
			return err
		}
		if err := tx.CreateMessage(ctx, message(conv.ID, a.ID, "ghost")); err != nil {
			return err
		}
		a.Status = safeguard.Suspended
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateBlock(ctx, safeguard.Block{BlockerID: a.ID, BlockedID: 99}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errRollback)
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.AccountByHandle(ctx, "ghost")
		wantKind(t, "account created in a failed Update", err, safeguard.ErrNotFound, "")
		ms, err := tx.Messages(ctx, store.MessageQuery{ConversationID: conv.ID})
		if err == nil && len(ms) != 0 {
			t.Errorf("messages created in a failed Update: %d", len(ms))
		}
		got, err := tx.Account(ctx, a.ID)
		if err == nil && got.Status != safeguard.Active {
			t.Errorf("status changed in a failed Update: %s", got.Status)
		}
		bs, err := tx.BlocksBy(ctx, a.ID)
		if err == nil && len(bs) != 0 {
			t.Errorf("blocks created in a failed Update: %v", bs)
		}
		return err
	})
	// The handle of the rolled-back account is free.
	account(t, s, "ghost", adultBirth)
}

func testUpdatePanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	func() {
		defer func() {
			if v := recover(); v != "storetest panic" {
				t.Errorf("recovered %v, want the panic of fn", v)
			}
		}()
		s.Update(ctx, func(tx store.Tx) error {
			if err := tx.CreateAccount(ctx, &safeguard.Account{Handle: "panicky"}, ""); err != nil {
				return err
			}
			panic("storetest panic")
		})
	}()
	view(t, s, func(tx store.Tx) error {
		_, err := tx.AccountByHandle(ctx, "panicky")
		wantKind(t, "account created before a panic", err, safeguard.ErrNotFound, "")
		return nil
	})
	account(t, s, "after", adultBirth) // the store still works
}

func testUpdateCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := s.Update(ctx, func(tx store.Tx) error {
		ran = true
		return tx.CreateAccount(ctx, &safeguard.Account{Handle: "late"}, "")
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context = %v, want context.Canceled", err)
	}
	if ran {
		t.Errorf("fn ran with a context cancelled before Update")
	}
}

func testViewIsReadOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.View(ctx, func(tx store.Tx) error {
		return tx.CreateAccount(ctx, &safeguard.Account{Handle: "written-in-view"}, "")
	})
	if err == nil {
		t.Errorf("CreateAccount in View succeeded")
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.AccountByHandle(ctx, "written-in-view")
		wantKind(t, "account written in View", err, safeguard.ErrNotFound, "")
		return nil
	})
}

// testConcurrentUpdates runs many Updates at once, one in five failing after
// it wrote. Every successful one must be durable and visible with a unique
// ID, every failed one must leave nothing, whichever other Updates shared its
// transaction (a store with group commit puts several in one).
func testConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	conv := group(t, s, false, a.ID)
	const goroutines, each = 16, 20
	type ok struct{ msg, event int64 }
	var (
		mu        sync.Mutex
		succeeded = map[string]ok{}
		wg        sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				text := fmt.Sprintf("g%d-%d", g, i)
				fail := i%5 == 4
				m := message(conv.ID, a.ID, text)
				e := safeguard.Event{Type: safeguard.EventMessageCreated, At: t0, ConversationID: conv.ID}
				err := s.Update(ctx, func(tx store.Tx) error {
					if err := tx.CreateMessage(ctx, m); err != nil {
						return err
					}
					e.MessageID = m.ID
					if err := tx.AppendEvent(ctx, &e); err != nil {
						return err
					}
					if fail {
						return errRollback
					}
					return nil
				})
				switch {
				case fail && err != errRollback:
					t.Errorf("%s: Update = %v, want %v", text, err, errRollback)
				case !fail && err != nil:
					t.Errorf("%s: Update: %v", text, err)
				case !fail:
					mu.Lock()
					succeeded[text] = ok{m.ID, e.ID}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if want := goroutines * each * 4 / 5; len(succeeded) != want {
		t.Fatalf("%d Updates succeeded, want %d", len(succeeded), want)
	}
	view(t, s, func(tx store.Tx) error {
		ms, err := tx.Messages(ctx, store.MessageQuery{ConversationID: conv.ID, Limit: 1000})
		if err != nil {
			return err
		}
		stored := map[string]int64{}
		for _, m := range ms {
			if _, dup := stored[m.Text]; dup {
				t.Errorf("message %q stored twice", m.Text)
			}
			stored[m.Text] = m.ID
		}
		msgIDs := map[int64]bool{}
		for text, want := range succeeded {
			if got, ok := stored[text]; !ok || got != want.msg {
				t.Errorf("message %q: stored with ID %d (present %v), Update reported %d", text, got, ok, want.msg)
			}
			if msgIDs[want.msg] {
				t.Errorf("message ID %d handed out twice", want.msg)
			}
			msgIDs[want.msg] = true
		}
		if len(stored) != len(succeeded) {
			t.Errorf("%d messages stored, want %d: failed Updates left messages behind", len(stored), len(succeeded))
		}
		events, err := tx.Events(ctx, 0, 1000)
		if err != nil {
			return err
		}
		if len(events) != len(succeeded) {
			t.Errorf("%d events, want %d", len(events), len(succeeded))
		}
		for i, e := range events {
			if i > 0 && e.ID <= events[i-1].ID {
				t.Errorf("events out of order: %d after %d", e.ID, events[i-1].ID)
			}
			if !msgIDs[e.MessageID] {
				t.Errorf("event %d is about message %d, which no successful Update created", e.ID, e.MessageID)
			}
		}
		return nil
	})
}

// testQueueShared has writers append detection events, each followed by
// more work in the same transaction, while two consumers claim them and
// take each out of the queue in a later transaction. Every committed event
// must reach exactly one consumer: none skipped, none claimed twice.
func testQueueShared(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	conv := group(t, s, false, a.ID)
	const writers, each, consumers = 8, 25, 2
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		appended = map[int64]bool{}
		claimed  = map[int64]int{} // event → consumer
	)
	for range writers {
		wg.Go(func() {
			for range each {
				e := safeguard.Event{Type: safeguard.EventDetection, At: t0, ConversationID: conv.ID}
				err := s.Update(ctx, func(tx store.Tx) error {
					if err := tx.AppendEvent(ctx, &e); err != nil {
						return err
					}
					for range 3 { // work after the ID is taken, before the commit
						if err := tx.CreateMessage(ctx, message(conv.ID, a.ID, "after the event")); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
				mu.Lock()
				appended[e.ID] = true
				mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// consume claims and finishes one batch, and reports how many it got.
	consume := func(c int) int {
		var evs []safeguard.Event
		err := s.Update(ctx, func(tx store.Tx) (err error) {
			evs, err = tx.ClaimEvents(ctx, store.QueueCases, t0, t0.Add(time.Hour), 7)
			return
		})
		for _, e := range evs {
			if err == nil {
				err = s.Update(ctx, func(tx store.Tx) error {
					ok, err := tx.DoneEvent(ctx, store.QueueCases, e.ID)
					if err == nil && !ok {
						t.Errorf("consumer %d: event %d was claimed but not in the queue", c, e.ID)
					}
					return err
				})
			}
			mu.Lock()
			if prev, dup := claimed[e.ID]; dup {
				t.Errorf("event %d claimed by consumer %d and again by %d", e.ID, prev, c)
			}
			claimed[e.ID] = c
			mu.Unlock()
		}
		if err != nil {
			t.Errorf("consumer %d: %v", c, err)
		}
		return len(evs)
	}
	var cg sync.WaitGroup
	for c := range consumers {
		cg.Go(func() {
			for finished := false; !finished && !t.Failed(); {
				select {
				case <-done:
					finished = true
				default:
				}
				consume(c)
			}
			for !t.Failed() && consume(c) > 0 { // what committed after the last claim
			}
		})
	}
	cg.Wait()
	if len(appended) != writers*each {
		t.Errorf("%d events appended, want %d", len(appended), writers*each)
	}
	for id := range appended {
		if _, ok := claimed[id]; !ok {
			t.Errorf("event %d was committed but no consumer claimed it", id)
		}
	}
}
