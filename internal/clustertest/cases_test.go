package clustertest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// The detections checkCases writes: casesSenders senders, each with
// casesPerSender detections, two to a case.
const (
	casesSenders   = 500
	casesPerSender = 20
	casesPerCase   = 2
)

// errPeek rolls back the transaction that looked at the queue.
var errPeek = errors.New("peek only")

// queued returns how many detections wait for the cases consumer, claimed
// or not, without claiming them: the claim is rolled back.
func queued(t *testing.T, st store.Store) int {
	t.Helper()
	n := 0
	later := time.Now().Add(time.Hour)
	err := st.Update(t.Context(), func(tx store.Tx) error {
		evs, err := tx.ClaimEvents(t.Context(), store.QueueCases, later, later.Add(time.Hour), 100000)
		if err != nil {
			return err
		}
		n = len(evs)
		return errPeek
	})
	if !errors.Is(err, errPeek) {
		t.Fatal(err)
	}
	return n
}

// checkCases: detections written to the shared database, as the detectors
// of any node write them (each with its outbox event), become cases
// through the three nodes' consumers, each detection one occurrence of the
// one case of its content and sender. Each occurrence names the node that
// recorded it (its name on its /metrics): each of the three handled some
// detections, and their shares add up to every detection, each once. The
// nodes' CPU time during the work is logged.
func checkCases(t *testing.T, cl *Cluster) {
	ctx := t.Context()
	st := pgtest.OpenDSN(t, cl.DB)
	cpu := make([]time.Duration, len(cl.Nodes))
	for i, n := range cl.Nodes {
		cpu[i], _ = cpuTime(n.Pid())
	}
	start := time.Now()
	born, _ := safeguard.ParseDate("1990-01-01")
	t0 := time.Now().Add(-time.Hour).UTC()
	senders := map[int64]bool{}
	for s := range casesSenders {
		err := st.Update(ctx, func(tx store.Tx) error {
			var ids [2]int64
			for i, h := range []string{"load_sender", "load_recipient"} {
				a := &safeguard.Account{Handle: fmt.Sprintf("%s%d", h, s), BirthDate: born, Status: safeguard.Active,
					App: safeguard.DefaultApp, CreatedAt: t0}
				if err := tx.CreateAccount(ctx, a, "x"); err != nil {
					return err
				}
				ids[i] = a.ID
			}
			senders[ids[0]] = true
			c := &safeguard.Conversation{Kind: safeguard.Group, Title: "pair", App: safeguard.DefaultApp, CreatedAt: t0, CreatedBy: ids[0],
				Members: []safeguard.Member{{AccountID: ids[0], State: safeguard.MemberJoined, UpdatedAt: t0},
					{AccountID: ids[1], State: safeguard.MemberJoined, UpdatedAt: t0}}}
			if err := tx.CreateConversation(ctx, c); err != nil {
				return err
			}
			for i := range casesPerSender {
				at := t0.Add(time.Duration(i) * time.Second)
				m := &safeguard.Message{ConversationID: c.ID, SenderID: ids[0], App: safeguard.DefaultApp, Kind: safeguard.TextMessage,
					Text: fmt.Sprintf("TEST message %d", i), Status: safeguard.Delivered, CreatedAt: at}
				if err := tx.CreateMessage(ctx, m); err != nil {
					return err
				}
				d := &safeguard.Detection{Source: safeguard.URLMatch, Category: safeguard.CategoryURL, At: at, SenderID: ids[0],
					ConversationID: c.ID, MessageID: m.ID, RecipientIDs: []int64{ids[1]},
					ContentKey: fmt.Sprintf("url:load-%d", i/casesPerCase), Summary: "TEST"}
				if err := store.RecordDetection(ctx, tx, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	written := time.Since(start)
	for deadline := time.Now().Add(5 * time.Minute); queued(t, st) > 0; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("%d detections still queued after 5 minutes", queued(t, st))
		}
	}
	t.Logf("%d detections written in %s, all handled %s after the first", casesSenders*casesPerSender,
		written.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for i, n := range cl.Nodes {
		now, _ := cpuTime(n.Pid())
		t.Logf("node %s: %s CPU time during the work", n.Name, now-cpu[i])
	}

	perDetection := map[int64]int{}
	perNode := map[string]int{}
	keys := map[string]bool{}
	cases := 0
	err := st.View(ctx, func(tx store.Tx) error {
		for after := int64(0); ; {
			page, err := tx.Cases(ctx, store.CaseQuery{ByID: true, AfterID: after, Limit: 1000})
			if err != nil {
				return err
			}
			if len(page) == 0 {
				return nil
			}
			after = page[len(page)-1].ID
			for _, c := range page {
				if !senders[c.SenderID] {
					continue
				}
				cases++
				key := fmt.Sprintf("%d %s", c.SenderID, c.ContentKey)
				if keys[key] {
					t.Errorf("two cases of %s", key)
				}
				keys[key] = true
				occ, err := tx.Occurrences(ctx, c.ID)
				if err != nil {
					return err
				}
				if len(occ) != casesPerCase || c.Occurrences != casesPerCase {
					t.Errorf("case %d: %d occurrences, counted %d, want %d", c.ID, len(occ), c.Occurrences, casesPerCase)
				}
				for _, o := range occ {
					perDetection[o.DetectionID]++
					perNode[o.Node]++
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := casesSenders * casesPerSender / casesPerCase; cases != want {
		t.Errorf("%d cases, want %d", cases, want)
	}
	if len(perDetection) != casesSenders*casesPerSender {
		t.Errorf("%d detections in cases, want %d", len(perDetection), casesSenders*casesPerSender)
	}
	for id, n := range perDetection {
		if n != 1 {
			t.Errorf("detection %d: %d occurrences", id, n)
		}
	}
	checkShares(t, cl, perNode, casesSenders*casesPerSender)
}

// checkShares checks that each node recorded some of the occurrences
// perNode counts by node name, and that their shares add up to total, with
// none recorded under another name.
func checkShares(t *testing.T, cl *Cluster, perNode map[string]int, total int) {
	t.Helper()
	sum := 0
	for _, n := range cl.Nodes {
		name := NodeName(t, n)
		share := perNode[name]
		t.Logf("node %s (%s) handled %d detections", n.Name, name, share)
		if share == 0 {
			t.Errorf("node %s (%s) handled none of the detections", n.Name, name)
		}
		sum += share
		delete(perNode, name)
	}
	if sum != total || len(perNode) > 0 {
		t.Errorf("the nodes handled %d detections in all, want %d; recorded under other names: %v", sum, total, perNode)
	}
}
