package storetest

import (
	"errors"
	"slices"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var clusterTests = []test{
	{"Leases", testLeases},
	{"RiskRuleSets", testRiskRuleSets},
	{"RuleCounts", testRuleCounts},
	{"NCMECFilings", testNCMECFilings},
	{"Streams", testStreams},
	{"HoldsFiles", testHoldsFiles},
}

// testHoldsFiles: a database with no upload, attachment or evidence holds
// no file; one upload is enough.
func testHoldsFiles(t *testing.T, s store.Store) {
	ctx := t.Context()
	holds := func() bool {
		t.Helper()
		var h bool
		view(t, s, func(tx store.Tx) (err error) { h, err = tx.HoldsFiles(ctx); return })
		return h
	}
	if holds() {
		t.Fatal("an empty database holds files")
	}
	a := account(t, s, "files", adultBirth)
	update(t, s, func(tx store.Tx) error {
		return tx.CreateMedia(ctx, &safeguard.Media{OwnerID: a.ID, ContentType: "image/png", StorageKey: "media/ab/cdef", CreatedAt: t0})
	})
	if !holds() {
		t.Fatal("a database with an upload holds no files")
	}
}

func testLeases(t *testing.T, s store.Store) {
	ctx := t.Context()
	take := func(name, holder string, now, until int) bool {
		t.Helper()
		var ok bool
		update(t, s, func(tx store.Tx) (err error) {
			ok, err = tx.TakeLease(ctx, name, holder, at(now), at(until))
			return err
		})
		return ok
	}
	steps := []struct {
		what          string
		holder        string
		now, until    int
		want          bool
		release, name string
	}{
		{what: "free lease", holder: "a", now: 0, until: 3, want: true},
		{what: "held by another", holder: "b", now: 1, until: 4, want: false},
		{what: "renewed by its holder", holder: "a", now: 2, until: 5, want: true},
		{what: "held until its end", holder: "b", now: 5, until: 8, want: false},
		{what: "expired", holder: "b", now: 6, until: 9, want: true},
		{what: "lost by the former holder", holder: "a", now: 7, until: 10, want: false},
		{what: "another lease is apart", holder: "a", now: 7, until: 10, want: true, name: "other"},
		{what: "released", holder: "a", now: 8, until: 11, want: true, release: "b"},
	}
	for _, st := range steps {
		name := "retention"
		if st.name != "" {
			name = st.name
		}
		if st.release != "" {
			update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(ctx, name, st.release) })
		}
		if got := take(name, st.holder, st.now, st.until); got != st.want {
			t.Errorf("%s: TakeLease(%s) = %v, want %v", st.what, st.holder, got, st.want)
		}
	}
	// Releasing a lease one does not hold changes nothing.
	update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(ctx, "retention", "b") })
	if take("retention", "b", 9, 12) {
		t.Error("a lease released by one that did not hold it was freed")
	}
}

func testRiskRuleSets(t *testing.T, s store.Store) {
	ctx := t.Context()
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.LatestRiskRuleSet(ctx); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("LatestRiskRuleSet with none: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	first := &store.RiskRuleSet{Version: "v1", Sources: []byte(`[1]`), Node: "a", CreatedAt: at(1)}
	second := &store.RiskRuleSet{Version: "v2", Sources: []byte(`[2]`), Node: "b", CreatedAt: at(2)}
	update(t, s, func(tx store.Tx) error { return tx.AddRiskRuleSet(ctx, first) })
	update(t, s, func(tx store.Tx) error { return tx.AddRiskRuleSet(ctx, second) })
	if second.Generation <= first.Generation || first.Generation == 0 {
		t.Fatalf("generations %d then %d: want increasing", first.Generation, second.Generation)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.LatestRiskRuleSet(ctx)
		if err != nil {
			return err
		}
		if d := diff(second, got); d != "" {
			t.Errorf("latest (-want +got):\n%s", d)
		}
		return nil
	})
}

func testRuleCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(tx store.Tx) error {
		return tx.PutRuleCounts(ctx, "a", at(1), []store.RuleCount{{Rule: "r1", Evaluated: 5, Fired: 1}, {Rule: "r2", Evaluated: 5, Errors: 2}})
	})
	update(t, s, func(tx store.Tx) error {
		return tx.PutRuleCounts(ctx, "b", at(1), []store.RuleCount{{Rule: "r1", Evaluated: 3, Fired: 2}})
	})
	// A server's later counts replace its earlier ones.
	update(t, s, func(tx store.Tx) error {
		return tx.PutRuleCounts(ctx, "a", at(2), []store.RuleCount{{Rule: "r1", Evaluated: 7, Fired: 1}})
	})
	var got []store.RuleCount
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.RuleCounts(ctx); return err })
	want := []store.RuleCount{{Rule: "r1", Evaluated: 10, Fired: 3}, {Rule: "r2", Evaluated: 5, Errors: 2}}
	if d := diff(want, got); d != "" {
		t.Errorf("summed counts (-want +got):\n%s", d)
	}
}

func testNCMECFilings(t *testing.T, s store.Store) {
	ctx := t.Context()
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.NCMECFiling(ctx, "SG-TEST-1"); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("NCMECFiling with none: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.PutNCMECFiling(ctx, "SG-TEST-1", []byte(`{"phase":"open"}`), at(1)) })
	update(t, s, func(tx store.Tx) error {
		return tx.PutNCMECFiling(ctx, "SG-TEST-1", []byte(`{"phase":"finished"}`), at(2))
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.NCMECFiling(ctx, "SG-TEST-1")
		if err != nil {
			return err
		}
		if string(got) != `{"phase":"finished"}` {
			t.Errorf("NCMECFiling = %s, want the last state stored", got)
		}
		return nil
	})
}

// testStreams: the streams that count are those not expired, in the order
// they were stored; renewing moves on the expiry of those still counting
// only; deleted and pruned streams are gone.
func testStreams(t *testing.T, s store.Store) {
	ctx := t.Context()
	add := func(node string, account int64, address string, opened, expires int) int64 {
		t.Helper()
		st := &store.OpenStream{Node: node, AccountID: account, Address: address, OpenedAt: at(opened), ExpiresAt: at(expires)}
		update(t, s, func(tx store.Tx) error { return tx.AddStream(ctx, st) })
		if st.ID == 0 {
			t.Fatal("AddStream set no ID")
		}
		return st.ID
	}
	ids := func(l []store.OpenStream) []int64 {
		var out []int64
		for _, st := range l {
			out = append(out, st.ID)
		}
		return out
	}
	open := func(account int64, address string, now int) (atAddress, ofAccount []int64) {
		t.Helper()
		update(t, s, func(tx store.Tx) error {
			a, b, err := tx.OpenStreams(ctx, account, address, at(now))
			atAddress, ofAccount = ids(a), ids(b)
			return err
		})
		return atAddress, ofAccount
	}
	a1 := add("a", 1, "192.0.2.1", 0, 3)
	b1 := add("b", 1, "2001:db8::/64", 0, 3)
	a2 := add("a", 2, "192.0.2.1", 1, 4)
	b3 := add("b", 3, "192.0.2.1", 1, 2)
	if !(a1 < b1 && b1 < a2 && a2 < b3) {
		t.Fatalf("IDs %d, %d, %d, %d: want increasing", a1, b1, a2, b3)
	}
	got, mine := open(1, "192.0.2.1", 1)
	if !slices.Equal(got, []int64{a1, a2, b3}) || !slices.Equal(mine, []int64{a1, b1}) {
		t.Fatalf("at 1: at the address %v, of the account %v; want %v, %v", got, mine, []int64{a1, a2, b3}, []int64{a1, b1})
	}
	// At 2 b3 has expired: it no longer counts.
	if got, _ := open(9, "192.0.2.1", 2); !slices.Equal(got, []int64{a1, a2}) {
		t.Fatalf("at 2: at the address %v, want %v", got, []int64{a1, a2})
	}
	// Renewing moves on the ones still stored, expired or not; one
	// deleted is not renewed.
	update(t, s, func(tx store.Tx) error { return tx.DeleteStreams(ctx, []int64{b3}) })
	var live []int64
	update(t, s, func(tx store.Tx) (err error) {
		live, err = tx.RenewStreams(ctx, []int64{a1, b1, b3}, at(10))
		return err
	})
	slices.Sort(live)
	if !slices.Equal(live, []int64{a1, b1}) {
		t.Fatalf("renewed %v, want %v", live, []int64{a1, b1})
	}
	// At 5 a1 and b1 count again (renewed to 10); a2 does not (4).
	if got, mine := open(1, "192.0.2.1", 5); !slices.Equal(got, []int64{a1}) || !slices.Equal(mine, []int64{a1, b1}) {
		t.Fatalf("at 5: at the address %v, of the account %v", got, mine)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteStreams(ctx, []int64{a1, a1, 999999}) })
	var pruned int64
	update(t, s, func(tx store.Tx) (err error) {
		pruned, err = tx.PruneStreams(ctx, at(5))
		return err
	})
	if pruned != 1 {
		t.Errorf("pruned %d, want 1 (a2)", pruned)
	}
	if got, mine := open(1, "192.0.2.1", 0); len(got) != 0 || !slices.Equal(mine, []int64{b1}) {
		t.Fatalf("after delete and prune: at the address %v, of the account %v; want none, [%d]", got, mine, b1)
	}
}
