package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/client/secure"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// verifiedOn signs up an adult through node srv and has the operator
// verify the account's age, as end-to-end encryption asks.
func verifiedOn(t *testing.T, srv *running, nickname string) *client.Client {
	t.Helper()
	c := newUser(t, srv.url, nickname)
	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	admin := &client.Client{BaseURL: srv.url, Token: "operator-token"}
	if _, err := admin.SetAgeAssurance(t.Context(), me.ID, "verified"); err != nil {
		t.Fatal(err)
	}
	return c
}

// deviceOf opens an end-to-end encryption device on the login c, kept in
// memory.
func deviceOf(t *testing.T, c *client.Client, name string) *secure.Session {
	t.Helper()
	d, err := secure.Open(t.Context(), c, secure.Options{Passphrase: []byte("passphrase of " + name),
		KDF: ce.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}, DeviceName: name, OneTimeKeys: 5})
	if err != nil {
		t.Fatalf("open device %s: %v", name, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// reportOfNext syncs device d and returns the franking report of the one
// message it received.
func reportOfNext(t *testing.T, d *secure.Session) franking.Report {
	t.Helper()
	up, err := d.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Messages) != 1 || len(up.Problems) != 0 {
		t.Fatalf("sync: %d messages, problems %v; want 1", len(up.Messages), up.Problems)
	}
	rep, err := secure.ReportOf(up.Messages[0])
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// reportTo sends a franking report to node srv as c's account.
func reportTo(t *testing.T, srv *running, c *client.Client, rep franking.Report) error {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	_, err = on(c, srv).ReportFranking(t.Context(), client.FrankingReportRequest{Report: b, Reason: "mean_or_threatening"})
	return err
}

// appendEvidence logs one synthetic item through node srv's vault, which
// signs a checkpoint.
func appendEvidence(t *testing.T, srv *running, caseID int64) {
	t.Helper()
	ctx := t.Context()
	staged, err := srv.vault.Stage(ctx, []evidence.Item{{Kind: "message", Ref: fmt.Sprintf("message:%d", caseID),
		ContentType: "text/plain", Class: safeguard.RetainContent, Data: []byte("synthetic evidence (TEST)")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.store.Update(ctx, func(tx store.Tx) error {
		_, err := srv.vault.Append(ctx, tx, caseID, staged)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestClusterKeys: the servers of a cluster share their keys through the
// keyring. A receipt node B makes with a franking key it has just rotated
// to verifies on node A; a receipt made before both restart verifies after;
// the evidence checkpoints both sign verify under one pinned key, which both
// accept when restarted with it pinned.
func TestClusterKeys(t *testing.T) {
	cl := startCluster(t, 2, nil)
	a, b := cl.nodes[0], cl.nodes[1]
	ctx := t.Context()
	pub := a.vault.PublicKey()
	if !pub.Equal(b.vault.PublicKey()) {
		t.Fatal("the two nodes sign evidence with two keys")
	}

	alice, bob := verifiedOn(t, a, "node_alice"), verifiedOn(t, b, "node_bob")
	conv := e2eeChat(t, bob, alice)
	aliceDev, bobDev := deviceOf(t, alice, "ALICE-1"), deviceOf(t, bob, "BOB-1")
	rotated, err := b.franking.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := aliceDev.Send(ctx, conv.ID, "first (TEST)"); err != nil {
		t.Fatal(err)
	}
	first := reportOfNext(t, bobDev) // stamped by node B, where bob fetches
	if first.Receipt.KeyID != rotated.ID {
		t.Fatalf("node B stamped with key %d, want the one it rotated to, %d", first.Receipt.KeyID, rotated.ID)
	}
	if err := reportTo(t, a, bob, first); err != nil {
		t.Fatalf("a receipt of node B's new key, reported on node A: %v", err)
	}
	if _, err := aliceDev.Send(ctx, conv.ID, "second (TEST)"); err != nil {
		t.Fatal(err)
	}
	second := reportOfNext(t, bobDev)
	appendEvidence(t, a, 1)
	appendEvidence(t, b, 2)

	// Both restart, with the evidence key pinned.
	a.close()
	b.close()
	pinned := func(c *serveConfig) { c.cases.evidencePub = hex.EncodeToString(pub) }
	a2, b2 := startNode(t, cl.db, cl.nats.URL(), pinned), startNode(t, cl.db, cl.nats.URL(), pinned)
	if err := reportTo(t, a2, bob, second); err != nil {
		t.Fatalf("a receipt of node B, reported on node A after both restarted: %v", err)
	}
	if err := reportTo(t, b2, bob, first); apiErrCode(err) != "report_duplicate" {
		t.Fatalf("the first report again, on node B after the restart: %v, want report_duplicate", err)
	}
	fresh := stampOn(t, a2.franking.Ring())
	if _, err := (franking.Verifier{Keys: b2.franking.Ring(), Seen: &franking.MemorySeen{}}).Verify(ctx, fresh); err != nil {
		t.Fatalf("a receipt of node A after the restart, on node B: %v", err)
	}
	appendEvidence(t, b2, 3)
	appendEvidence(t, a2, 4)

	rep, err := evidence.Verify(ctx, a2.store, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Checkpoints < 4 || rep.CheckpointsSigned != rep.Checkpoints {
		t.Fatalf("evidence verify with the one pinned key: %d of %d checkpoints signed, problems %v", rep.CheckpointsSigned, rep.Checkpoints, rep.Problems)
	}
	// evidence pubkey prints the keyring's key, the one every server signs
	// with, given the KEK; without it, it says what is missing.
	out, errOut, code := runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, "evidence", "pubkey", "--db", cl.db, "--data", t.TempDir())
	if code != 0 || strings.TrimSpace(out) != hex.EncodeToString(pub) {
		t.Fatalf("evidence pubkey --db: exit %d, %q %s; want %x", code, out, errOut, pub)
	}
	if _, errOut, code := runCmd(t, nil, "evidence", "pubkey", "--db", cl.db, "--data", t.TempDir()); code == 0 || !strings.Contains(errOut, "SAFEGUARD_KEK") {
		t.Fatalf("evidence pubkey --db without the KEK: exit %d, %s", code, errOut)
	}
	// The command line reads the items with the keyring's data key, given
	// the KEK, and refuses without it.
	verifyArgs := []string{"evidence", "verify", "--db", cl.db, "--nats", cl.nats.URL(), "--data", t.TempDir(),
		"--evidence-pubkey", hex.EncodeToString(pub)}
	out, errOut, code = runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, verifyArgs...)
	m := regexp.MustCompile(`(\d+) entries \((\d+) items, 0 tombstones\), \d+ checkpoints, (\d+) items checked`).FindStringSubmatch(out)
	if code != 0 || !strings.Contains(out, "evidence log verified") || m == nil || m[2] != m[3] || m[2] == "0" {
		t.Fatalf("evidence verify with the KEK: exit %d\n%s%s", code, out, errOut)
	}
	kekFile := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(kekFile, []byte(testKEK+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runCmd(t, nil, append(verifyArgs, "--kek-file", kekFile)...); code != 0 || !strings.Contains(out, "evidence log verified") {
		t.Fatalf("evidence verify --kek-file: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code = runCmd(t, nil, verifyArgs...); code == 0 || !strings.Contains(errOut, "this database is a cluster's") ||
		!strings.Contains(errOut, "--kek-file or SAFEGUARD_KEK_FILE") {
		t.Fatalf("evidence verify without the KEK: exit %d, %s", code, errOut)
	}
}

// apiErrCode returns the code of an API error, "" for another error.
func apiErrCode(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// stampOn makes a receipt of a synthetic message with ring, and its report.
func stampOn(t *testing.T, ring *franking.KeyRing) franking.Report {
	t.Helper()
	msg := franking.Message{Text: "synthetic (TEST)"}
	kf := franking.NewKey()
	cf, err := franking.Commit(kf, msg)
	if err != nil {
		t.Fatal(err)
	}
	fc := franking.Context{SenderAccount: 1, SenderDevice: "D", RecipientAccount: 2, ConversationID: 3, ServerTime: time.Now().UTC(), MessageID: 4}
	r, err := franking.Signer{Keys: ring}.Stamp(cf, fc)
	if err != nil {
		t.Fatal(err)
	}
	return franking.Report{Message: msg, Key: kf, Context: fc, Receipt: r}
}

// TestClusterKeysOnce: two servers started at once on a new database make
// one set of keys.
func TestClusterKeysOnce(t *testing.T) {
	db, nats := pgtest.Schema(t), natstest.Start(t)
	nodes := make([]*running, 2)
	errs := make([]error, 2)
	cfgs := []serveConfig{nodeConfig(t, db, nats.URL(), nil), nodeConfig(t, db, nats.URL(), nil)}
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i], errs[i] = start(t.Context(), cfgs[i], slog.New(slog.DiscardHandler)) })
	}
	wg.Wait()
	for i, n := range nodes {
		if n != nil {
			t.Cleanup(func() { n.close() })
		}
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
	}
	if !nodes[0].vault.PublicKey().Equal(nodes[1].vault.PublicKey()) {
		t.Fatal("two evidence keys")
	}
	if k0, k1 := nodes[0].franking.Ring().Keys(), nodes[1].franking.Ring().Keys(); len(k0) != 1 || !slices.EqualFunc(k0, k1, func(x, y franking.ServerKey) bool {
		return x.ID == y.ID && string(x.Secret) == string(y.Secret)
	}) {
		t.Fatalf("franking keys: %d on node 0, %d on node 1, or not the same", len(k0), len(k1))
	}
	var n int
	if err := nodes[0].store.View(t.Context(), func(tx store.Tx) error {
		rows, err := tx.Keyring(t.Context(), "", false)
		n = len(rows)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 6 { // media, guardian, evidence data and signing, a franking key, the check
		t.Fatalf("%d keys in the keyring, want 6", n)
	}
}

// TestClusterKEK: a cluster server needs the KEK; one given another KEK
// than the keyring's is refused with a clear error; a first start beside
// key files asks for their import; the import puts them in the keyring.
func TestClusterKEK(t *testing.T) {
	db, nats := pgtest.Schema(t), natstest.Start(t)
	ctx := t.Context()
	discard := slog.New(slog.DiscardHandler)

	c := nodeConfig(t, db, nats.URL(), nil)
	c.kek = ""
	if _, err := start(ctx, c, discard); err == nil || !strings.Contains(err.Error(), "SAFEGUARD_KEK, or the file that holds it in --kek-file") {
		t.Fatalf("a cluster server without a KEK: %v", err)
	}

	// Key files beside an empty keyring: refused, then imported.
	c = nodeConfig(t, db, nats.URL(), nil)
	guardian := strings.Repeat("ab", 32)
	if err := os.WriteFile(c.guardianKeyFile, []byte(guardian+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := start(ctx, c, discard); err == nil || !strings.Contains(err.Error(), "safeguard keys import") {
		t.Fatalf("a first start beside key files: %v", err)
	}
	out, errOut, code := runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, "keys", "import", "--data", c.where.data, "--db", db)
	if code != 0 || !strings.Contains(out, "guardian") {
		t.Fatalf("keys import: exit %d\n%s%s", code, out, errOut)
	}
	srv, err := start(ctx, c, discard)
	if err != nil {
		t.Fatalf("start after the import: %v", err)
	}
	defer srv.close()
	if got, _ := loadGuardianKey(serveConfig{keys: mustKeys(t, srv.store)}); hex.EncodeToString(got) != guardian {
		t.Fatal("the cluster does not use the imported guardian key")
	}

	wrong := nodeConfig(t, db, nats.URL(), nil)
	wrong.kek = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
	if _, err := start(ctx, wrong, discard); !errors.Is(err, keyring.ErrWrongKEK) {
		t.Fatalf("a server with another KEK: %v, want ErrWrongKEK", err)
	}

	// rotate-kek: the old KEK is refused after, the new one opens.
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	os.WriteFile(oldFile, []byte(testKEK+"\n"), 0o600)
	os.WriteFile(newFile, []byte(wrong.kek+"\n"), 0o600)
	out, errOut, code = runCmd(t, nil, "keys", "rotate-kek", "--db", db, "--old", oldFile, "--new", newFile)
	if code != 0 || !strings.Contains(out, "6 keys sealed") {
		t.Fatalf("keys rotate-kek: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := start(ctx, nodeConfig(t, db, nats.URL(), nil), discard); !errors.Is(err, keyring.ErrWrongKEK) {
		t.Fatalf("the old KEK after rotate-kek: %v", err)
	}
	again, err := start(ctx, wrong, discard)
	if err != nil {
		t.Fatalf("the new KEK after rotate-kek: %v", err)
	}
	again.close()
}

// mustKeys opens the keyring in st with testKEK.
func mustKeys(t *testing.T, st store.Store) *keyring.Keys {
	t.Helper()
	k, err := keyring.ParseKEK(testKEK)
	if err != nil {
		t.Fatal(err)
	}
	_, keys, err := keyring.Open(t.Context(), st, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
