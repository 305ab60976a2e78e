package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// waitFor polls cond until it holds, and fails the test after a generous
// bound (the condition is what is checked, never the time it took).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not within 60s", what)
		}
	}
}

// holders returns, for each job lease, the nodes that hold it.
func holders(nodes []*running) map[string][]string {
	out := map[string][]string{}
	for _, name := range jobLeases {
		for _, n := range nodes {
			if n.leases.Held(name) {
				out[name] = append(out[name], n.node)
			}
		}
	}
	return out
}

// leaseMetrics reads from node srv's /metrics its name and the leases it
// says it holds.
func leaseMetrics(t *testing.T, srv *running) (node string, held map[string]bool) {
	t.Helper()
	resp, err := http.Get(srv.metricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	held = map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, `safeguard_node_info{node="`); ok {
			node, _, _ = strings.Cut(rest, `"`)
		}
		if rest, ok := strings.CutPrefix(line, `safeguard_lease_held{lease="`); ok {
			name, v, _ := strings.Cut(rest, `"} `)
			held[name] = v == "1"
		}
	}
	return node, held
}

// TestClusterJobLeases: each background job runs on exactly one of two
// servers, which /metrics shows with each server's name; when that server
// stops, the other takes every job over.
func TestClusterJobLeases(t *testing.T) {
	cl := startCluster(t, 2, func(c *serveConfig) {
		c.leaseTTL = 3 * time.Second
		c.metricsAddr = "127.0.0.1:0"
	})
	a, b := cl.nodes[0], cl.nodes[1]
	if a.node == b.node || a.node == "" {
		t.Fatalf("node names %q and %q: want two, apart", a.node, b.node)
	}
	waitFor(t, "every job lease taken", func() bool { return len(holders(cl.nodes)) == len(jobLeases) })
	for name, hs := range holders(cl.nodes) {
		if len(hs) != 1 {
			t.Errorf("lease %s held by %v, want one server", name, hs)
		}
	}
	// /metrics says the same, with each server's name.
	for _, n := range cl.nodes {
		name, held := leaseMetrics(t, n)
		if name != n.node {
			t.Errorf("/metrics names the server %q, want %q", name, n.node)
		}
		for _, l := range jobLeases {
			if held[l] != n.leases.Held(l) {
				t.Errorf("%s: /metrics says lease %s held %v", n.node, l, held[l])
			}
		}
	}
	// a stops: it frees its leases, and b takes each over.
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	// Freed, not left to expire: each is b's already, or free for anyone.
	probe := pgtest.OpenDSN(t, cl.db)
	for _, name := range jobLeases {
		if b.leases.Held(name) {
			continue
		}
		err := probe.Update(t.Context(), func(tx store.Tx) error {
			ok, err := tx.TakeLease(t.Context(), name, "probe", time.Now(), time.Now().Add(time.Millisecond))
			if err == nil && !ok {
				err = fmt.Errorf("lease %s still held after its server stopped", name)
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
	}
	waitFor(t, "every job lease taken by the server left", func() bool {
		for _, name := range jobLeases {
			if !b.leases.Held(name) {
				return false
			}
		}
		return true
	})
}

// riskRule is a rules file of one rule, of the given severity.
func riskRule(severity string) string {
	return "version: 1\nrules:\n  - id: local.cluster\n    description: d\n    category: contact\n    severity: " + severity +
		"\n    mode: shadow\n    expr: sender.adult\n"
}

// severity returns the severity of the rule in force on node srv.
func severity(srv *running) string {
	for _, r := range srv.risk.RuleSet().Rules() {
		if r.ID == "local.cluster" {
			return string(r.Severity)
		}
	}
	return ""
}

// TestClusterRiskReload: the rules in force are the cluster's, whichever
// files a server started with; a reload through the operator API on one
// server, or SIGHUP on another, puts that server's files in force on every
// server.
func TestClusterRiskReload(t *testing.T) {
	db, ns := pgtest.Schema(t), natstest.Start(t)
	natsURL := ns.URL()
	files := make([]string, 2)
	var nodes []*running
	for i, sev := range []string{"low", "high"} {
		files[i] = filepath.Join(t.TempDir(), "rules.yaml")
		if err := os.WriteFile(files[i], []byte(riskRule(sev)), 0o600); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, startNode(t, db, natsURL, func(c *serveConfig) { c.riskRules = "default," + files[i] }))
	}
	a, b := nodes[0], nodes[1]
	// b started with rules of its own: the cluster's, a's, are in force.
	if got := severity(b); got != "low" {
		t.Fatalf("b started with severity %q in force, want the cluster's low", got)
	}

	// The operator reloads through a, whose file now says medium.
	if err := os.WriteFile(files[0], []byte(riskRule("medium")), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := &client.Client{BaseURL: a.url, Token: "operator-token"}
	if _, err := admin.ReloadRiskRules(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := severity(a); got != "medium" {
		t.Fatalf("a after its reload: %q", got)
	}
	waitFor(t, "b puts a's reload in force", func() bool { return severity(b) == "medium" })

	// SIGHUP on b, whose file says high.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sig := make(chan os.Signal)
	go reloadOnSignal(ctx, sig, b.reload)
	sig <- syscall.SIGHUP
	waitFor(t, "a puts b's reload in force", func() bool { return severity(a) == "high" })
	if got := severity(b); got != "high" {
		t.Fatalf("b after its reload: %q", got)
	}
	// Both are at one generation.
	if ga, gb := a.risk.Generation(), b.risk.Generation(); ga != gb || ga == 0 {
		t.Errorf("generations %d and %d: want one, stored", ga, gb)
	}
}

// TestClusterRiskCounters: the operator sees each rule's counts summed
// over the servers, whichever server the API is asked through.
func TestClusterRiskCounters(t *testing.T) {
	cl := startCluster(t, 2, nil)
	a, b := cl.nodes[0], cl.nodes[1]
	ctx := t.Context()
	adult, _, conv := teenAndAdult(t, a)
	for i := range 6 {
		via := adult
		if i%3 != 0 {
			via = on(adult, b) // four through b, two through a
		}
		if _, err := via.SendText(ctx, conv, fmt.Sprintf("hello %d (TEST)", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Each server stores its counts now and then; b's now.
	if err := b.risk.StoreCounts(ctx, b.node); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, n := range cl.nodes {
		for _, c := range n.risk.Counters() {
			want[c.ID] += c.Evaluated
		}
	}
	var total int64
	for _, n := range cl.nodes {
		admin := &client.Client{BaseURL: n.url, Token: "operator-token"}
		rules, err := admin.RiskRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total = 0
		for _, r := range rules.Rules {
			if r.Evaluated != want[r.ID] {
				t.Errorf("through %s: rule %s evaluated %d times, want %d (both servers' counts)", n.node, r.ID, r.Evaluated, want[r.ID])
			}
			total += r.Evaluated
		}
	}
	if total == 0 {
		t.Fatal("no rule was evaluated: the test shows nothing")
	}
	// Each server's own counts were not all the same as the sum: both
	// servers scored messages.
	for _, n := range cl.nodes {
		var own int64
		for _, c := range n.risk.Counters() {
			own += c.Evaluated
		}
		if own == 0 || own == total {
			t.Errorf("%s evaluated %d of %d: want a part", n.node, own, total)
		}
	}
}
