package clustertest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
)

// command runs the safeguard binary with the cluster's settings and keys
// and returns its combined output and exit error.
func (cl *Cluster) command(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	bin, _ := binaries(tb)
	cmd := exec.CommandContext(tb.Context(), bin, args...)
	cmd.Env = append(os.Environ(), cl.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// evidencePubkey is the evidence public key node n logged at start.
func evidencePubkey(t *testing.T, n *Node) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`evidence_pubkey=([0-9a-f]{64})`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("node %s logged no evidence_pubkey", n.Name)
	}
	return string(m[1])
}

// waitCase polls the case queue, through node n, until a case of the
// category (any, if "") holds the message, and returns it.
func waitCase(t *testing.T, n *Node, category string, message int64) client.Case {
	t.Helper()
	admin := &client.Client{BaseURL: n.URL, Token: "operator-token"}
	deadline := time.Now().Add(time.Minute)
	for {
		queue, err := admin.AdminCases(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range queue {
			if category != "" && c.Category != category {
				continue
			}
			view, err := admin.AdminCase(t.Context(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range view.Occurrences {
				if o.MessageID == message {
					return c
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s case with message %d within a minute: queue %+v", category, message, queue)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkMedia: an image sent through B is fetched through A; a known image
// (a synthetic one added to a bank with "safeguard bank add") sent through
// B is held, and its case, opened by whichever node's consumer claimed the
// detection, holds the image as an evidence item, which a moderator reveals
// through C; "safeguard evidence verify --nats" then checks the log and
// every item from the shared files.
func checkMedia(t *testing.T, cl *Cluster) {
	a, b, c := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	ctx := t.Context()
	known := hashbanktest.Image(31, 640, 480)
	bank := filepath.Join(t.TempDir(), "known.png")
	if err := os.WriteFile(bank, hashbanktest.PNG(known), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := cl.command(t, "bank", "add", "known", "--db", cl.DB, "--by", "test-operator", bank); err != nil {
		t.Fatalf("bank add: %v\n%s", err, out)
	}
	adult, teen := Adult(t, b, "media_adult"), Teen(t, b, "media_teen")
	conv := Connect(t, teen, adult)

	// An image sent through B is fetched through A.
	cat := hashbanktest.PNG(hashbanktest.Image(32, 640, 480))
	m, err := On(adult, b).SendImage(ctx, conv, "cat.png", "image/png", cat, "")
	if err != nil {
		t.Fatal(err)
	}
	got, ctype, err := On(teen, a).Media(ctx, m.MediaID)
	if err != nil || !bytes.Equal(got, cat) || ctype != "image/png" {
		t.Fatalf("the image sent through B, through A: %d bytes %q, %v", len(got), ctype, err)
	}

	// The known image, rescaled and sent through B, is held.
	jpeg := hashbanktest.JPEG(hashbanktest.Scale(known, 0.6), 40)
	held, err := On(adult, b).SendImage(ctx, conv, "holiday.jpg", "image/jpeg", jpeg, "")
	if err != nil {
		t.Fatal(err)
	}
	if data, _, err := On(teen, c).Media(ctx, held.MediaID); err == nil {
		t.Fatalf("the known image reached the teen through C: %d bytes", len(data))
	}

	// Its case holds the image; a moderator reveals it through C.
	cs := waitCase(t, a, "csam_known", held.ID)
	adminC := &client.Client{BaseURL: c.URL, Token: "operator-token"}
	view, err := adminC.AdminCase(ctx, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	var item int64
	for _, e := range view.Evidence {
		if e.ItemKind == "media" {
			item = e.Seq
		}
	}
	if item == 0 {
		t.Fatalf("case %d has no image item: %+v", cs.ID, view.Evidence)
	}
	rev, err := adminC.AdminReveal(ctx, cs.ID, item, client.CaseAction{Moderator: "mod_c", Why: "TEST: review of the match"})
	if err != nil {
		t.Fatalf("reveal through C: %v", err)
	}
	if !bytes.Equal(rev.Data, jpeg) {
		t.Fatalf("revealed %d bytes, want the %d sent", len(rev.Data), len(jpeg))
	}

	// The log and its items verify from the shared files, against the
	// evidence key every node logged at start (the keyring's, one for all).
	pub := evidencePubkey(t, a)
	for _, n := range []*Node{b, c} {
		if k := evidencePubkey(t, n); k != pub {
			t.Fatalf("evidence key: %s on A, %s on %s", pub, k, n.Name)
		}
	}
	out, err := cl.command(t, "evidence", "verify", "--db", cl.DB, "--nats", cl.NATS.URL(),
		"--evidence-dir", filepath.Join(t.TempDir(), "evidence"), "--evidence-pubkey", pub)
	if err != nil || !regexp.MustCompile(`[1-9]\d* items checked`).MatchString(out) {
		t.Fatalf("evidence verify --nats: %v\n%s", err, out)
	}
	t.Logf("evidence verify --nats: %s", out)
}
