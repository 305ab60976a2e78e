package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// cluster is servers that share one PostgreSQL schema and one NATS server,
// all in this process.
type cluster struct {
	nats  *natstest.Server
	db    string
	nodes []*running
}

// startCluster starts n servers on one new PostgreSQL schema and one NATS
// server; it skips without SAFEGUARD_TEST_POSTGRES.
func startCluster(t *testing.T, n int, tune func(*serveConfig)) *cluster {
	t.Helper()
	cl := &cluster{db: pgtest.Schema(t), nats: natstest.Start(t)}
	for range n {
		cl.nodes = append(cl.nodes, startNode(t, cl.db, cl.nats.URL(), tune))
	}
	return cl
}

// testKEK is the key-encryption key of the test clusters' keyring: 32
// bytes of 0x11, in base64.
const testKEK = "ERERERERERERERERERERERERERERERERERERERERERE="

// startNode runs one server of a cluster in this process, as serve --nats
// would, with its files in a directory of its own.
func startNode(t *testing.T, db, natsURL string, tune func(*serveConfig)) *running {
	t.Helper()
	srv, err := start(t.Context(), nodeConfig(t, db, natsURL, tune), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })
	return srv
}

// nodeConfig is the configuration of one server of a cluster, with its
// files in a directory of its own and the keys in the keyring, sealed
// under testKEK.
func nodeConfig(t *testing.T, db, natsURL string, tune func(*serveConfig)) serveConfig {
	t.Helper()
	dir := t.TempDir()
	var c serveConfig
	bindServeFlags(flag.NewFlagSet("test", flag.ContinueOnError), &c, true)
	c.addr, c.db, c.nats, c.mediaDir = "127.0.0.1:0", db, natsURL, filepath.Join(dir, "media")
	c.where.data, c.mediaKeyFile = dir, filepath.Join(dir, "media.key")
	c.frankingKeysFile = filepath.Join(dir, "franking.keys")
	c.guardianKeyFile, c.metricsAddr = filepath.Join(dir, "guardian.key"), ""
	c.kek = testKEK
	c.cases.evidenceDir, c.cases.reportDir = filepath.Join(dir, "evidence"), filepath.Join(dir, "reports")
	c.cases.casesInterval = time.Hour
	c.adminToken = "operator-token"
	c.argon2.MemoryKiB, c.argon2.Time = 64, 1
	if tune != nil {
		tune(&c)
	}
	return c
}

// on returns a client of c's account that talks to node srv.
func on(c *client.Client, srv *running) *client.Client {
	return &client.Client{BaseURL: srv.url, Token: c.Token, Handle: c.Handle}
}

// teenAndAdult makes, through srv, an adult and a teen who are contacts, and
// the adult's conversation with the teen.
func teenAndAdult(t *testing.T, srv *running) (adult, teen *client.Client, conv int64) {
	t.Helper()
	ctx := t.Context()
	adult = newUser(t, srv.url, "node_adult")
	teen = client.New(srv.url)
	ta, err := teen.SignUp(ctx, client.SignUpRequest{Nickname: "node_teen", Password: "correct horse battery",
		BirthDate: time.Now().AddDate(-15, 0, -1).Format(time.DateOnly), LocalAuthority: "Bedford"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := teen.Login(ctx, ta.Handle, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	req, err := teen.RequestContact(ctx, adult.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adult.AcceptContact(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	c, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teen.Handle}})
	if err != nil {
		t.Fatal(err)
	}
	return adult, teen, c.ID
}

// nextEvent waits for the next event of the given types on ch, skipping
// others.
func nextEvent(t *testing.T, ch <-chan client.Event, types ...string) client.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
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
			t.Fatalf("no %v event within 20s", types)
		}
	}
}

// TestClusterEvents: a teen whose stream is on node B gets, in order, the
// messages an adult sends through node A, and the safety notice the first
// one raises; the stream resumes on node A with the last ID seen on B, with
// what was sent in between replayed once each.
func TestClusterEvents(t *testing.T) {
	cl := startCluster(t, 2, nil)
	a, b := cl.nodes[0], cl.nodes[1]
	ctx := t.Context()
	adult, teen, conv := teenAndAdult(t, a)
	teenB := on(teen, b)
	sctx, stop := context.WithCancel(ctx)
	events, err := teenB.Events(sctx)
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{"gg last night! you're really mature for your age (TEST)", "second (TEST)", "third (TEST)"}
	for _, l := range lines {
		if _, err := adult.SendText(ctx, conv, l); err != nil {
			t.Fatal(err)
		}
	}
	var last uint64
	noticed := false
	for i := 0; i < len(lines); {
		ev := nextEvent(t, events, "message.created", "safety.notice")
		if ev.ID <= last {
			t.Fatalf("event ID %d after %d: want increasing", ev.ID, last)
		}
		last = ev.ID
		if ev.Type == "safety.notice" {
			noticed = true
			continue
		}
		if ev.Message.Text != lines[i] {
			t.Fatalf("message %d on node B: %q, want %q", i, ev.Message.Text, lines[i])
		}
		i++
	}
	if !noticed {
		// The notice follows the message that raised it; it may come
		// after the later ones.
		if ev := nextEvent(t, events, "safety.notice"); ev.ID <= last {
			t.Fatalf("safety notice ID %d after %d", ev.ID, last)
		}
	}
	stop()
	seen := teenB.LastEventID()

	// Sent while the teen is away, one through each node.
	if _, err := adult.SendText(ctx, conv, "away one (TEST)"); err != nil {
		t.Fatal(err)
	}
	if _, err := on(adult, b).SendText(ctx, conv, "away two (TEST)"); err != nil {
		t.Fatal(err)
	}
	teenA := on(teen, a)
	teenA.SetLastEventID(seen)
	again, err := teenA.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"away one (TEST)", "away two (TEST)"} {
		ev := nextEvent(t, again, "message.created", "resync")
		if ev.Type == "resync" {
			t.Fatal("resumed on node A with a resync, want the missed events")
		}
		if ev.Message.Text != want || ev.ID <= seen {
			t.Fatalf("replayed %q (ID %d after %d), want %q", ev.Message.Text, ev.ID, seen, want)
		}
		seen = ev.ID
	}
}

// readyz returns node srv's /readyz status and what it says of the bus.
func readyz(t *testing.T, srv *running) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out["bus"]
}

// waitReady polls until node srv's /readyz answers code.
func waitReady(t *testing.T, srv *running, code int) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		got, bus := readyz(t, srv)
		if got == code {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("/readyz %d (bus %s), want %d within 30s", got, bus, code)
		}
	}
}

// TestClusterNATSDown: with NATS down, every node says it is not ready (the
// bus), and a message sent is stored and acknowledged; its live event waits
// in the sending node and reaches the teen's stream on the other node once
// NATS is back, and the nodes are ready again.
func TestClusterNATSDown(t *testing.T) {
	cl := startCluster(t, 2, nil)
	a, b := cl.nodes[0], cl.nodes[1]
	ctx := t.Context()
	adult, teen, conv := teenAndAdult(t, a)
	events, err := on(teen, b).Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adult.SendText(ctx, conv, "before (TEST)"); err != nil {
		t.Fatal(err)
	}
	before := nextEvent(t, events, "message.created")

	cl.nats.Stop()
	for _, n := range cl.nodes {
		waitReady(t, n, http.StatusServiceUnavailable)
		if _, bus := readyz(t, n); bus != "unavailable" {
			t.Fatalf("/readyz with NATS down says the bus is %q", bus)
		}
	}
	sent, err := adult.SendText(ctx, conv, "while NATS is down (TEST)")
	if err != nil {
		t.Fatalf("send with NATS down: %v", err)
	}
	page, err := on(teen, b).History(ctx, conv, client.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(page.Messages, func(m client.Message) bool { return m.ID == sent.ID }) {
		t.Fatalf("the message sent with NATS down is not in the history on node B: %+v", page.Messages)
	}

	cl.nats.Restart()
	for _, n := range cl.nodes {
		waitReady(t, n, http.StatusOK)
	}
	ev := nextEvent(t, events, "message.created")
	if ev.Message.ID != sent.ID || ev.ID <= before.ID {
		t.Fatalf("after NATS came back: message %d (ID %d), want %d after ID %d", ev.Message.ID, ev.ID, sent.ID, before.ID)
	}
	if _, err := adult.SendText(ctx, conv, "after (TEST)"); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, "message.created"); ev.Message.Text != "after (TEST)" {
		t.Fatalf("next event %q", ev.Message.Text)
	}
}

// TestClusterNeedsPostgres: --nats with a SQLite database is refused, with
// a reason.
func TestClusterNeedsPostgres(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runCmd(t, nil, clusterServerArgs(dir, filepath.Join(dir, "safeguard.db"), "nats://127.0.0.1:1")...)
	if code == 0 || !strings.Contains(errOut, "--nats: a cluster keeps its data in PostgreSQL") {
		t.Fatalf("serve --nats on SQLite: exit %d, stderr %q", code, errOut)
	}
}

// clusterServerArgs is serve's command line for a server of a cluster on
// db and nats, its data directory dir (no key files: a cluster's keys are
// in its keyring).
func clusterServerArgs(dir, db, nats string) []string {
	return []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--data", dir, "--metrics-addr", "", "--nats", nats}
}

// TestClusterStartChangesNothing: a server that cannot run its cluster —
// NATS not there, or a NATS before 2.10 — stops before it writes to the
// database: the keyring stays empty, for the first server that can run to
// make.
func TestClusterStartChangesNothing(t *testing.T) {
	if !pgtest.Enabled() {
		t.Skip("PostgreSQL tests are off (SAFEGUARD_TEST_POSTGRES)")
	}
	dsn := pgtest.Schema(t)
	env := map[string]string{"SAFEGUARD_KEK": testKEK}
	dir := t.TempDir()
	_, errOut, code := runCmd(t, env, clusterServerArgs(dir, dsn, "nats://127.0.0.1:1")...)
	if code == 0 || !strings.Contains(errOut, "(nothing was changed)") {
		t.Fatalf("serve --nats with no NATS: exit %d, stderr %q", code, errOut)
	}
	if _, err := exec.LookPath("nats-server"); err == nil {
		old := natstest.StartOld(t)
		_, errOut, code = runCmd(t, env, clusterServerArgs(dir, dsn, old)...)
		if code == 0 || !strings.Contains(errOut, "use NATS 2.10 or later (nothing was changed)") {
			t.Fatalf("serve --nats on an old NATS: exit %d, stderr %q", code, errOut)
		}
	}
	st := pgtest.OpenDSN(t, dsn)
	if empty, err := keyring.Empty(t.Context(), st); err != nil || !empty {
		t.Fatalf("the keyring after the refused starts: empty %v, %v", empty, err)
	}
}

// TestClusterOtherNATSRefused: a server started on a cluster's database
// but given an empty NATS — not the cluster's — would keep its files where
// the others never look: once the database names stored files, it is
// refused.
func TestClusterOtherNATSRefused(t *testing.T) {
	cl := startCluster(t, 1, nil)
	adult, _, conv := teenAndAdult(t, cl.nodes[0])
	if _, err := adult.SendImage(t.Context(), conv, "field.png", "image/png", smallPNG(t), ""); err != nil {
		t.Fatal(err)
	}
	other := natstest.Start(t)
	srv, err := start(t.Context(), nodeConfig(t, cl.db, other.URL(), nil), slog.New(slog.DiscardHandler))
	if err == nil {
		srv.close()
		t.Fatal("a server started on the cluster's database with an empty NATS")
	}
	if !strings.Contains(err.Error(), "this database names stored files") || !strings.Contains(err.Error(), "there is no object store SAFEGUARD_BLOBS") {
		t.Fatalf("the refusal: %v", err)
	}
}

// TestClusterRateLimit: 60 messages is 60 over both nodes: the 61st is
// refused on either, with how long to wait. (The limit earns one back an
// hour, so that the test's own pace does not refill it.)
func TestClusterRateLimit(t *testing.T) {
	cl := startCluster(t, 2, func(c *serveConfig) {
		c.limits.Messages = ratelimit.Limit{Burst: 60, Per: time.Hour}
	})
	a, b := cl.nodes[0], cl.nodes[1]
	ctx := t.Context()
	adult, _, conv := teenAndAdult(t, a)
	for i := range 60 {
		via := adult
		if i%2 == 1 {
			via = on(adult, b)
		}
		if _, err := via.SendText(ctx, conv, fmt.Sprintf("message %d (TEST)", i)); err != nil {
			t.Fatalf("message %d of 60: %v", i, err)
		}
	}
	for _, n := range cl.nodes {
		req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", n.url, conv),
			strings.NewReader(`{"text":"one too many (TEST)"}`))
		req.Header.Set("Authorization", "Bearer "+adult.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("the 61st on %s: %d, Retry-After %q; want 429 with a wait", n.url, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
}
