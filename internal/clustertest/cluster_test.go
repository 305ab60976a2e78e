package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// check is one part of what a cluster must do, run as a subtest of
// TestCluster3 on the cluster it is given; env are settings of that
// cluster's nodes (fault checks only).
type check struct {
	name string
	run  func(t *testing.T, cl *Cluster)
	env  []string
}

// sharedChecks run one after another on one three-node cluster whose
// message limit is messageLimit; each makes accounts of its own. A part
// shared by the nodes (media, evidence, keys, cases) adds its check here.
var sharedChecks = []check{
	{"Events", checkEvents, nil},
	{"Limits", checkLimits, nil},
	{"Media", checkMedia, nil},
	{"Cases", checkCases, nil},
	{"Keys", checkKeys, nil}, // last: it restarts every node
}

// faultChecks each get a three-node cluster of their own, without a
// message limit and with their own settings, as they kill, stop and
// restart its processes.
var faultChecks = []check{
	{"FaultsUnderLoad", checkFaultsUnderLoad, nil},
	{"Retention", checkRetention, retentionEnv},
}

// casesInterval is how often the shared cluster's nodes turn detections
// into cases (the fault checks' clusters do it once an hour).
const casesInterval = "500ms"

// messageLimit is the per-account message limit of the shared cluster:
// 30 messages, then one a day, so that the test's pace refills nothing.
const (
	messageBurst = 30
	messageLimit = "30/720h"
)

// skipUnlessCluster skips the test unless SAFEGUARD_TEST_CLUSTER=1.
func skipUnlessCluster(t *testing.T) {
	t.Helper()
	if os.Getenv("SAFEGUARD_TEST_CLUSTER") != "1" {
		t.Skip("set SAFEGUARD_TEST_CLUSTER=1 (and SAFEGUARD_TEST_POSTGRES) to run the three-node cluster tests")
	}
}

// TestCluster3 runs three "safeguard serve" processes on one PostgreSQL
// schema and a NATS server process, and checks that they act as one
// service: live events cross nodes, limits hold over all three, media and
// evidence are shared, detections become cases once, split over the nodes
// that handle them, the keys outlive a restart of every node, no
// acknowledged message or live event is lost when a node is killed or NATS
// restarts under load, and evidence retention run by each node in turn,
// under its lease, leaves a log that verifies.
func TestCluster3(t *testing.T) {
	skipUnlessCluster(t)
	cl := StartCluster(t, 3, Options{Env: []string{"SAFEGUARD_LIMIT_MESSAGES=" + messageLimit, "SAFEGUARD_CASES_INTERVAL=" + casesInterval}})
	for _, c := range sharedChecks {
		t.Run(c.name, func(t *testing.T) { c.run(t, cl) })
	}
	for _, n := range cl.Nodes {
		n.Kill() // its processes make way for the next cluster's
	}
	for _, c := range faultChecks {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, StartCluster(t, 3, Options{Env: append([]string{"SAFEGUARD_LIMIT_MESSAGES=0"}, c.env...)}))
		})
	}
}

// nextEvent waits up to a minute for the next event of one of the types
// on ch, skipping others.
func nextEvent(t *testing.T, ch <-chan client.Event, types ...string) client.Event {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("event stream ended")
			}
			for _, ty := range types {
				if ev.Type == ty {
					return ev
				}
			}
		case <-deadline:
			t.Fatalf("no %v event within a minute", types)
		}
	}
}

// groomingLine is a message from an adult that the default risk rules
// answer with a safety notice to the teen who gets it.
const groomingLine = "gg last night! you're really mature for your age (TEST)"

// checkEvents: a message sent through node A reaches the recipient's
// stream on node B; the safety notice node C raises for a teen, about a
// message sent through C, reaches the teen's stream on node A.
func checkEvents(t *testing.T, cl *Cluster) {
	a, b, c := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	adult, teen := Adult(t, a, "events_adult"), Teen(t, b, "events_teen")
	conv := Connect(t, teen, adult)
	onB, err := On(teen, b).Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	onA, err := On(teen, a).Events(ctx)
	if err != nil {
		t.Fatal(err)
	}

	sent, err := On(adult, a).SendText(ctx, conv, "hello from node A (TEST)")
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, onB, "message.created"); ev.Message.ID != sent.ID {
		t.Fatalf("teen's stream on B: message %d %q, want %d sent through A", ev.Message.ID, ev.Message.Text, sent.ID)
	}

	risky, err := On(adult, c).SendText(ctx, conv, groomingLine)
	if err != nil {
		t.Fatal(err)
	}
	notice := nextEvent(t, onA, "safety.notice")
	if notice.Notice == nil || notice.Message == nil || notice.Message.ID != risky.ID {
		t.Fatalf("teen's stream on A: safety notice %+v about %+v, want one about message %d sent through C", notice.Notice, notice.Message, risky.ID)
	}
	if again := nextEvent(t, onB, "safety.notice"); again.ID != notice.ID {
		t.Fatalf("the notice has ID %d on B and %d on A", again.ID, notice.ID)
	}
}

// checkLimits: messageBurst messages of one account, sent through the
// three nodes in turn, are all it may send: the next is refused on each
// node, with how long to wait.
func checkLimits(t *testing.T, cl *Cluster) {
	ctx := t.Context()
	x, y := Adult(t, cl.Nodes[0], "limit_x"), Adult(t, cl.Nodes[1], "limit_y")
	conv := Connect(t, x, y)
	for i := range messageBurst {
		n := cl.Nodes[i%len(cl.Nodes)]
		if _, err := On(x, n).SendText(ctx, conv, fmt.Sprintf("limited %d (TEST)", i)); err != nil {
			t.Fatalf("message %d of %d through %s: %v", i+1, messageBurst, n.Name, err)
		}
	}
	for _, n := range cl.Nodes {
		req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", n.URL, conv),
			strings.NewReader(`{"text":"one too many (TEST)"}`))
		req.Header.Set("Authorization", "Bearer "+x.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("message %d through %s: %d, Retry-After %q; want 429 with a wait", messageBurst+1, n.Name,
				resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	// The other account's own limit is untouched.
	if _, err := On(y, cl.Nodes[2]).SendText(ctx, conv, "reply (TEST)"); err != nil {
		t.Fatalf("the other member's first message: %v", err)
	}
}
