package clustertest

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// retentionEnv are the settings of the retention check's cluster: the
// evidence of a decided case is kept one second (a period shorter than the
// law's, which a server whose every report is TEST may have), retention
// runs every second, and detections become cases every 500 ms.
var retentionEnv = []string{"SAFEGUARD_TEST_REPORTS=true", "SAFEGUARD_CONTENT_RETENTION=1s",
	"SAFEGUARD_RETENTION_INTERVAL=1s", "SAFEGUARD_CASES_INTERVAL=" + casesInterval}

// leaseRetention is the lease evidence retention runs under.
const leaseRetention = "evidence-retention"

// Stop ends the node with SIGTERM, as an operator stops a server, and waits
// for it to be gone: it frees the leases it holds on the way out. A node
// still running a minute later is killed, and Stop reports false.
func (n *Node) Stop() bool {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		return true
	case <-time.After(time.Minute):
		n.Kill()
		return false
	}
}

// holder waits until exactly one of the nodes says on /metrics that it
// holds the lease, and returns it.
func holder(t *testing.T, nodes []*Node, lease string) *Node {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var held []*Node
		for _, n := range nodes {
			if Metrics(t, n)[`safeguard_lease_held{lease="`+lease+`"}`] == "1" {
				held = append(held, n)
			}
		}
		if len(held) == 1 {
			return held[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease %s held by %d of the nodes after a minute, want one", lease, len(held))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// retentionLine is the line a node logs after a retention run that deleted
// evidence items.
var retentionLine = regexp.MustCompile(`msg="evidence retention".* deleted=(\d+)`)

// retained is how many evidence items node n's retention runs deleted, as
// its log says.
func retained(t *testing.T, n *Node) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, m := range retentionLine.FindAllSubmatch(b, -1) {
		k, _ := strconv.Atoi(string(m[1]))
		sum += k
	}
	return sum
}

// evidenceOf returns case id's evidence items, by their sequence number,
// and the items that have a tombstone, read through node n.
func evidenceOf(t *testing.T, n *Node, id int64) (items, gone map[int64]bool) {
	t.Helper()
	view, err := (&client.Client{BaseURL: n.URL, Token: "operator-token"}).AdminCase(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	items, gone = map[int64]bool{}, map[int64]bool{}
	for _, e := range view.Evidence {
		switch e.Kind {
		case "item":
			items[e.Seq] = true
		case "tombstone":
			gone[e.Target] = true
		}
	}
	return items, gone
}

// groomingCase has an adult send a teen the grooming line through node n,
// and returns the case the line's detection opens.
func groomingCase(t *testing.T, n *Node, tag string) client.Case {
	t.Helper()
	adult, teen := Adult(t, n, "ret_adult_"+tag), Teen(t, n, "ret_teen_"+tag)
	conv := Connect(t, teen, adult)
	m, err := On(adult, n).SendText(t.Context(), conv, groomingLine)
	if err != nil {
		t.Fatal(err)
	}
	return waitCase(t, n, "", m.ID)
}

// checkRetention: evidence retention runs on every node in turn, each
// under the lease. In each round the node that holds the lease (as its
// /metrics says) deletes the evidence of a case decided that round, one
// tombstone per item, as its log says, while the others delete nothing;
// then it is stopped, and another node takes the lease over. A case no one
// decided keeps its items. Afterwards "safeguard evidence verify --nats"
// verifies the log, with every tombstone, and checks the items kept.
func checkRetention(t *testing.T, cl *Cluster) {
	ctx := t.Context()
	kept := groomingCase(t, cl.Nodes[0], "kept")
	tombstones := 0
	ran := map[string]bool{}
	for round := range cl.Nodes {
		live := cl.Live()
		h := holder(t, live, leaseRetention)
		ran[h.Name] = true
		before := map[*Node]int{}
		for _, n := range live {
			before[n] = retained(t, n)
		}
		via := live[round%len(live)]
		cs := groomingCase(t, via, strconv.Itoa(round))
		admin := &client.Client{BaseURL: via.URL, Token: "operator-token"}
		if _, err := admin.AdminCaseAction(ctx, cs.ID, "claim", client.CaseAction{Moderator: "mod_r"}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AdminCaseAction(ctx, cs.ID, "decide", client.CaseAction{Moderator: "mod_r", Decision: "no_violation",
			Reason: "TEST: decided, so that its evidence's period runs"}); err != nil {
			t.Fatal(err)
		}
		var items map[int64]bool
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			var gone map[int64]bool
			items, gone = evidenceOf(t, via, cs.ID)
			if len(items) > 0 && len(gone) == len(items) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: case %d has %d tombstones for its %d items a minute after its decision", round+1, cs.ID, len(gone), len(items))
			}
		}
		tombstones += len(items)
		// The holder logs what it deleted once the run ends, just after
		// the last tombstone.
		for deadline := time.Now().Add(30 * time.Second); retained(t, h)-before[h] < len(items); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				break
			}
		}
		for _, n := range live {
			got, want := retained(t, n)-before[n], 0
			if n == h {
				want = len(items)
			}
			if got != want {
				t.Errorf("round %d: node %s (lease held: %v) logged %d evidence items deleted, want %d", round+1, n.Name, n == h, got, want)
			}
		}
		t.Logf("round %d: node %s held the retention lease and deleted the %d items of case %d", round+1, h.Name, len(items), cs.ID)
		if round < len(cl.Nodes)-1 && !h.Stop() { // it frees the lease, which another node takes
			t.Fatalf("node %s did not stop within a minute of SIGTERM", h.Name)
		}
	}

	keptItems, keptGone := evidenceOf(t, cl.Live()[0], kept.ID)
	if len(keptItems) == 0 || len(keptGone) != 0 {
		t.Fatalf("the undecided case %d: %d items, %d tombstones; want its items, none deleted", kept.ID, len(keptItems), len(keptGone))
	}
	out, err := cl.command(t, "evidence", "verify", "--db", cl.DB, "--nats", cl.NATS.URL(),
		"--evidence-dir", filepath.Join(t.TempDir(), "evidence"), "--evidence-pubkey", evidencePubkey(t, cl.Nodes[0]))
	if err != nil {
		t.Fatalf("evidence verify --nats after retention on every node: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(\d+) tombstones\), \d+ checkpoints, (\d+) items checked`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(tombstones) || m[2] != strconv.Itoa(len(keptItems)) {
		t.Errorf("evidence verify --nats: want %d tombstones and the %d items kept checked:\n%s", tombstones, len(keptItems), out)
	}
	t.Logf("evidence verify --nats: %s", out)
	if len(ran) != len(cl.Nodes) {
		t.Errorf("retention ran on %d nodes, want %d", len(ran), len(cl.Nodes))
	}
}
