package storetest

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var riskTests = []test{
	{"RiskState", testRiskState},
	{"RiskStateConcurrent", testRiskStateConcurrent},
	{"SafetyNotices", testSafetyNotices},
}

// testSafetyNotices keeps the notices young people were shown and returns
// each person's own, by conversation or all of them, in the order kept.
func testSafetyNotices(t *testing.T, s store.Store) {
	ctx := t.Context()
	kept := []*safeguard.SafetyNotice{
		{AccountID: 1, ConversationID: 10, MessageID: 100, Code: "risk_warning", DetectionID: 7, At: at(0)},
		{AccountID: 2, ConversationID: 10, MessageID: 100, Code: "risk_warning", DetectionID: 7, At: at(0)},
		{AccountID: 1, ConversationID: 11, MessageID: 105, Code: "sextortion_warning", At: at(1)},
	}
	update(t, s, func(tx store.Tx) error {
		for _, n := range kept {
			if err := tx.AddSafetyNotice(ctx, n); err != nil {
				return err
			}
			if n.ID == 0 {
				t.Errorf("AddSafetyNotice left ID 0")
			}
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.SafetyNotices(ctx, 1, 10)
		if err != nil {
			return err
		}
		if len(got) != 1 || *got[0] != *kept[0] {
			t.Errorf("notices of 1 in 10 = %+v; want %+v", got, kept[0])
		}
		all, err := tx.SafetyNotices(ctx, 1, 0)
		if err != nil {
			return err
		}
		if len(all) != 2 || *all[0] != *kept[0] || *all[1] != *kept[2] {
			t.Errorf("every notice of 1 = %+v; want %+v, %+v", all, kept[0], kept[2])
		}
		none, err := tx.SafetyNotices(ctx, 3, 0)
		if err != nil || len(none) != 0 {
			t.Errorf("notices of an account shown none = %+v, %v", none, err)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.EraseAccountData(ctx, 1, store.Keep{}, safeguard.Teen) })
	view(t, s, func(tx store.Tx) error {
		if got, err := tx.SafetyNotices(ctx, 1, 0); err != nil || len(got) != 0 {
			t.Errorf("notices after the account's data was erased = %+v, %v", got, err)
		}
		if got, err := tx.SafetyNotices(ctx, 2, 10); err != nil || len(got) != 1 {
			t.Errorf("another account's notice after an erasure = %+v, %v", got, err)
		}
		return nil
	})
}

func testRiskState(t *testing.T, s store.Store) {
	ctx := t.Context()
	view(t, s, func(tx store.Tx) error {
		_, _, err := tx.RiskState(ctx, 7)
		wantKind(t, "state never saved", err, safeguard.ErrNotFound, "")
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.SaveRiskState(ctx, 7, 0, 1, []byte(`{"messages":1}`), at(0)) })
	err := s.Update(ctx, func(tx store.Tx) error { return tx.SaveRiskState(ctx, 7, 0, 1, []byte(`{"messages":9}`), at(1)) })
	wantKind(t, "second first save", err, safeguard.ErrConflict, "")
	update(t, s, func(tx store.Tx) error { return tx.SaveRiskState(ctx, 7, 1, 2, []byte(`{"messages":2}`), at(2)) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.SaveRiskState(ctx, 7, 1, 2, []byte(`{"messages":99}`), at(3)) })
	wantKind(t, "save over a stale version", err, safeguard.ErrConflict, "")
	update(t, s, func(tx store.Tx) error { return tx.SaveRiskState(ctx, 8, 0, 5, []byte(`{}`), at(0)) })
	view(t, s, func(tx store.Tx) error {
		state, v, err := tx.RiskState(ctx, 7)
		if err != nil {
			return err
		}
		if string(state) != `{"messages":2}` || v != 2 {
			t.Errorf("RiskState = %s, %d; want {\"messages\":2}, 2", state, v)
		}
		if _, v, err := tx.RiskState(ctx, 8); err != nil || v != 5 {
			t.Errorf("other conversation: version %d, %v", v, err)
		}
		return nil
	})
	// A conflict leaves the transaction usable: the caller reloads and
	// saves again in the same transaction, as the risk scanner does.
	update(t, s, func(tx store.Tx) error {
		if err := tx.SaveRiskState(ctx, 7, 1, 2, []byte(`{}`), at(4)); !errors.Is(err, safeguard.ErrConflict) {
			t.Errorf("stale save in a transaction: %v", err)
		}
		_, v, err := tx.RiskState(ctx, 7)
		if err != nil {
			return err
		}
		return tx.SaveRiskState(ctx, 7, v, v+1, []byte(`{"messages":3}`), at(4))
	})
}

// testRiskStateConcurrent has writers add to one conversation's state at
// once, each reloading after a conflict inside its transaction: no write is
// lost.
func testRiskStateConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const writers, each = 8, 5
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := s.Update(ctx, func(tx store.Tx) error {
					for {
						_, v, err := tx.RiskState(ctx, 1)
						if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
							return err
						}
						err = tx.SaveRiskState(ctx, 1, v, v+1, []byte(strconv.FormatInt(v+1, 10)), at(0))
						if !errors.Is(err, safeguard.ErrConflict) {
							return err
						}
					}
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	view(t, s, func(tx store.Tx) error {
		state, v, err := tx.RiskState(ctx, 1)
		if err != nil {
			return err
		}
		if v != writers*each || string(state) != strconv.Itoa(writers*each) {
			t.Errorf("after %d saves: version %d, state %s", writers*each, v, state)
		}
		return nil
	})
}
