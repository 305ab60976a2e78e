// Package storetest is the conformance suite of the storage contract: one
// set of tests that every implementation of store.Store must pass, run by
// the SQLite and PostgreSQL stores alike.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
//
// Each subtest opens its own empty store, so subtests run in parallel.
package storetest

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Opener returns a new, empty store for one test and arranges for it to be
// closed when the test ends.
type Opener func(t *testing.T) store.Store

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// tests lists the suite, grouped as store.Tx groups its methods.
var tests = [][]test{
	accountTests,
	accountLifeTests,
	preservationTests,
	handleTests,
	contactTests,
	conversationTests,
	messageTests,
	recordTests,
	detectionTests,
	bankTests,
	riskTests,
	urlListTests,
	rateTests,
	clusterTests,
	idempotencyTests,
	keyringTests,
	e2eeTests,
	caseTests,
	datasetTests,
	moderatorTests,
	txTests,
}

// Run runs the conformance suite, one subtest per behaviour, each on a
// fresh store from open.
func Run(t *testing.T, open Opener) {
	for _, group := range tests {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, open(t))
			})
		}
	}
}

// Times used in the tests. t0 has microsecond precision, which the stores
// keep; local is a zone other than UTC, which the stores do not keep.
var (
	t0    = time.Date(2026, time.March, 14, 15, 9, 26, 535897000, time.UTC)
	local = time.FixedZone("UTC+1", 3600)
)

// at returns t0 plus d minutes.
func at(d int) time.Time { return t0.Add(time.Duration(d) * time.Minute) }

// Dates of birth, and the bands they give at t0.
var (
	adultBirth = safeguard.Date{Year: 1990, Month: time.May, Day: 17}
	teenBirth  = safeguard.Date{Year: 2011, Month: time.June, Day: 2}
	childBirth = safeguard.Date{Year: 2017, Month: time.February, Day: 28}
)

// opts compares what a store returns with what was stored.
var opts = cmp.Options{
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
}

// diff returns the difference between want and got, or "".
func diff(want, got any) string { return cmp.Diff(want, got, opts) }

// update runs fn in s.Update and fails the test on error.
func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test on error.
func view(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantKind fails the test unless err is of the given kind (and, if code is
// not empty, carries that *safeguard.Error code).
func wantKind(t *testing.T, what string, err, kind error, code string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %v, want %v", what, err, kind)
		return
	}
	if code != "" {
		if got := safeguard.ErrorCode(err); got != code {
			t.Errorf("%s: code %q, want %q (error %v)", what, got, code, err)
		}
	}
}

// account stores an account with the handle and birth date and returns it.
func account(t *testing.T, s store.Store, handle string, birth safeguard.Date) *safeguard.Account {
	t.Helper()
	a := &safeguard.Account{
		Handle: handle, BirthDate: birth, Assurance: safeguard.SelfDeclared,
		Status: safeguard.Active, App: safeguard.DefaultApp, CreatedAt: t0,
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateAccount(t.Context(), a, "hash:"+handle) })
	return a
}

// group stores a group conversation of the accounts, all joined, and
// returns it.
func group(t *testing.T, s store.Store, e2ee bool, ids ...int64) *safeguard.Conversation {
	t.Helper()
	c := &safeguard.Conversation{Kind: safeguard.Group, Title: "group", E2EE: e2ee, App: safeguard.DefaultApp, CreatedAt: t0}
	if len(ids) > 0 {
		c.CreatedBy = ids[0]
	}
	for _, id := range ids {
		c.Members = append(c.Members, safeguard.Member{AccountID: id, State: safeguard.MemberJoined, UpdatedAt: t0, JoinedAt: t0})
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateConversation(t.Context(), c) })
	return c
}

// message returns a text message from sender in conversation conv.
func message(conv, sender int64, text string) *safeguard.Message {
	return &safeguard.Message{
		ConversationID: conv, SenderID: sender, App: safeguard.DefaultApp, Kind: safeguard.TextMessage,
		Text: text, Status: safeguard.Delivered, CreatedAt: t0,
	}
}

// ids returns the IDs of ms in order.
func ids(ms []*safeguard.Message) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}
