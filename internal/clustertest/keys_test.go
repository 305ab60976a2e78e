package clustertest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/client/secure"
)

// Restart stops every node with SIGKILL, then starts each again on the same
// database and NATS server.
func (cl *Cluster) Restart() {
	cl.tb.Helper()
	for _, n := range cl.Nodes {
		if n.Alive() {
			n.Kill()
		}
	}
	for i, n := range cl.Nodes {
		cl.Nodes[i] = cl.startNode(n.Name)
	}
}

// verified signs up an adult through node n whose age the operator
// verifies, as end-to-end encryption asks.
func verified(t *testing.T, n *Node, nickname string) *client.Client {
	t.Helper()
	c := Adult(t, n, nickname)
	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	admin := &client.Client{BaseURL: n.URL, Token: "operator-token"}
	if _, err := admin.SetAgeAssurance(t.Context(), me.ID, "verified"); err != nil {
		t.Fatal(err)
	}
	return c
}

// device opens an end-to-end encryption device, kept in memory, on the
// login c.
func device(t *testing.T, c *client.Client, name string) *secure.Session {
	t.Helper()
	d, err := secure.Open(t.Context(), c, secure.Options{Passphrase: []byte("passphrase of " + name),
		KDF: ce.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}, DeviceName: name, OneTimeKeys: 5})
	if err != nil {
		t.Fatalf("open device %s: %v", name, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// checkKeys (last of the shared checks, as it restarts every node): a
// franking receipt node C stamps on an end-to-end encrypted message is
// reported, after all three nodes were stopped with SIGKILL and started
// again, through node A, which verifies it with the keyring's key; the same
// report through B is then a duplicate.
func checkKeys(t *testing.T, cl *Cluster) {
	a, c := cl.Nodes[0], cl.Nodes[2]
	ctx := t.Context()
	alice, bob := verified(t, a, "keys_alice"), verified(t, c, "keys_bob")
	req, err := bob.RequestContact(ctx, alice.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.AcceptContact(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	conv, err := alice.CreateConversation(ctx, client.ConversationRequest{Members: []string{bob.Handle}, E2EE: true})
	if err != nil || !conv.E2EE {
		t.Fatalf("end-to-end encrypted conversation: %+v, %v", conv, err)
	}
	aliceDev, bobDev := device(t, alice, "ALICE-1"), device(t, bob, "BOB-1")
	if _, err := aliceDev.Send(ctx, conv.ID, "sealed hello (TEST)"); err != nil {
		t.Fatal(err)
	}
	up, err := bobDev.Sync(ctx) // through C, which stamps the receipt
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Messages) != 1 || len(up.Problems) != 0 {
		t.Fatalf("sync through C: %d messages, problems %v; want 1", len(up.Messages), up.Problems)
	}
	rep, err := secure.ReportOf(up.Messages[0])
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}

	cl.Restart()
	a, b := cl.Nodes[0], cl.Nodes[1]
	report := client.FrankingReportRequest{Report: body, Reason: "mean_or_threatening"}
	if _, err := On(bob, a).ReportFranking(ctx, report); err != nil {
		t.Fatalf("a receipt of node C, reported through A after all three restarted: %v", err)
	}
	_, err = On(bob, b).ReportFranking(ctx, report)
	if ae := (*client.APIError)(nil); !errors.As(err, &ae) || ae.Code != "report_duplicate" {
		t.Fatalf("the same report through B: %v, want report_duplicate", err)
	}
}
