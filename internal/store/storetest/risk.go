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
