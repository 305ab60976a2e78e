// Package safetytest is what the scanners' tests share: a store with
// accounts, contacts and conversations made directly, the content the
// messaging service hands a scanner, and delivery as the messaging service
// does it (the message, then the verdict's Record in the same transaction,
// then After).
package safetytest

import (
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// World is a store the tests fill directly; T0 is its clock's start.
type World struct {
	T     testing.TB
	Store store.Store
	T0    time.Time
}

// New returns a World over st, starting at t0.
func New(t testing.TB, st store.Store, t0 time.Time) *World {
	return &World{T: t, Store: st, T0: t0}
}

// Account stores an account of the given age at T0, made a year before.
func (w *World) Account(handle string, age int) *safeguard.Account {
	w.T.Helper()
	a := &safeguard.Account{Handle: handle, BirthDate: safeguard.DateOf(w.T0.AddDate(-age, 0, -1)), Assurance: safeguard.SelfDeclared,
		Status: safeguard.Active, App: safeguard.DefaultApp, CreatedAt: w.T0.AddDate(-1, 0, 0)}
	w.Update(func(tx store.Tx) error { return tx.CreateAccount(w.T.Context(), a, "x") })
	return a
}

// Connect makes from and to contacts, accepted at the given time.
func (w *World) Connect(from, to *safeguard.Account, accepted time.Time) {
	w.T.Helper()
	w.Update(func(tx store.Tx) error {
		return tx.CreateContact(w.T.Context(), &safeguard.Contact{FromID: from.ID, ToID: to.ID, State: safeguard.ContactAccepted,
			CreatedAt: accepted, UpdatedAt: accepted})
	})
}

// Conversation stores a conversation of the accounts, created at T0: a
// direct one for two, a group for more.
func (w *World) Conversation(e2ee bool, as ...*safeguard.Account) *safeguard.Conversation {
	w.T.Helper()
	c := &safeguard.Conversation{Kind: safeguard.Direct, E2EE: e2ee, App: safeguard.DefaultApp, CreatedBy: as[0].ID, CreatedAt: w.T0}
	if len(as) > 2 {
		c.Kind, c.Title = safeguard.Group, "group"
	}
	for _, a := range as {
		c.Members = append(c.Members, safeguard.Member{AccountID: a.ID, State: safeguard.MemberJoined, UpdatedAt: w.T0})
	}
	w.Update(func(tx store.Tx) error { return tx.CreateConversation(w.T.Context(), c) })
	return c
}

// Update runs fn in a write transaction, failing the test on error.
func (w *World) Update(fn func(tx store.Tx) error) {
	w.T.Helper()
	if err := w.Store.Update(w.T.Context(), fn); err != nil {
		w.T.Fatal(err)
	}
}

// Content is what the messaging service would hand a scanner for a text.
func Content(c *safeguard.Conversation, from *safeguard.Account, to []*safeguard.Account, text string, at time.Time) *messaging.Content {
	return &messaging.Content{
		Message:      &safeguard.Message{ConversationID: c.ID, SenderID: from.ID, Kind: safeguard.TextMessage, Text: text, Status: safeguard.Delivered, CreatedAt: at},
		Sender:       from,
		Conversation: c,
		Recipients:   to,
		Now:          at,
	}
}

// Deliver stores a scanned message as the messaging service does: the
// message, then the verdict's Record in the same transaction, then After.
func (w *World) Deliver(ct *messaging.Content, v messaging.Verdict) *safeguard.Message {
	w.T.Helper()
	m := ct.Message
	if v.Hold {
		m.Status = safeguard.Held
	}
	w.Update(func(tx store.Tx) error {
		if err := tx.CreateMessage(w.T.Context(), m); err != nil {
			return err
		}
		if v.Record != nil {
			return v.Record(w.T.Context(), tx, m)
		}
		return nil
	})
	if v.After != nil {
		v.After(w.T.Context(), m)
	}
	return m
}

// Detections returns the detections about a conversation.
func (w *World) Detections(convID int64) []*safeguard.Detection {
	w.T.Helper()
	var ds []*safeguard.Detection
	err := w.Store.View(w.T.Context(), func(tx store.Tx) (err error) {
		ds, err = tx.Detections(w.T.Context(), store.DetectionQuery{ConversationID: convID})
		return err
	})
	if err != nil {
		w.T.Fatal(err)
	}
	return ds
}
