package main

import (
	"bytes"
	"encoding/hex"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/blob/natsblob"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// dataFiles lists the regular files under dir with their contents.
func dataFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// importCounts parses the lines "KIND: N copied, M already there" of files
// import.
func importCounts(t *testing.T, out string) map[string][2]string {
	t.Helper()
	got := map[string][2]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\w+): (\d+) copied, (\d+) already there$`).FindAllStringSubmatch(out, -1) {
		got[m[1]] = [2]string{m[2], m[3]}
	}
	if len(got) != 3 {
		t.Fatalf("files import said:\n%s\nwant a count for media, evidence and reports", out)
	}
	return got
}

// TestClusterFilesImport: a single server on PostgreSQL becomes a cluster.
// The server keeps an image, an E2EE attachment, a case's evidence and its
// report packages in its data directory; after keys import, files import
// copies them into the object store, and a cluster server then serves the
// image and the attachment, reveals the evidence, and evidence verify
// --nats checks every item. A second run copies nothing; the data
// directory is left as it was. Refused: before keys import, with a key the
// keyring does not hold, on another cluster's object store, and over an
// object that holds other bytes.
func TestClusterFilesImport(t *testing.T) {
	db, ns := pgtest.Schema(t), natstest.Start(t)
	ctx := t.Context()
	kek := map[string]string{"SAFEGUARD_KEK": testKEK}

	// One server, without --nats, on PostgreSQL.
	cfg := nodeConfig(t, db, "", nil)
	data := cfg.where.data
	one, err := start(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	known := hashbanktest.Image(31, 640, 480)
	if out, errOut, code := bankCLI(t, db, "add", "known", writeFile(t, "known.png", hashbanktest.PNG(known))); code != 0 {
		t.Fatalf("bank add: %d %s %s", code, out, errOut)
	}
	adult, teen, conv := teenAndAdult(t, one)
	cat := hashbanktest.PNG(hashbanktest.Image(32, 640, 480))
	m, err := adult.SendImage(ctx, conv, "cat.png", "image/png", cat, "")
	if err != nil {
		t.Fatal(err)
	}
	jpeg := hashbanktest.JPEG(hashbanktest.Scale(known, 0.6), 40)
	if _, err := adult.SendImage(ctx, conv, "holiday.jpg", "image/jpeg", jpeg, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := one.cases.Process(ctx); err != nil {
		t.Fatal(err)
	}
	admin := &client.Client{BaseURL: one.url, Token: "operator-token"}
	queue, err := admin.AdminCases(ctx)
	if err != nil || len(queue) != 1 {
		t.Fatalf("the queue: %+v, %v", queue, err)
	}
	id := queue[0].ID
	if _, err := admin.AdminCaseAction(ctx, id, "claim", client.CaseAction{Moderator: "mod"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod", Decision: "report", Reason: "TEST: known image to a teen"}); err != nil {
		t.Fatal(err)
	}
	x, y := verifiedOn(t, one, "import_x"), verifiedOn(t, one, "import_y")
	e2ee := e2eeChat(t, x, y)
	attachment := bytes.Repeat([]byte("TEST opaque ciphertext "), 1000)
	bl, err := x.UploadBlob(ctx, e2ee.ID, attachment)
	if err != nil {
		t.Fatal(err)
	}
	one.close()
	before := dataFiles(t, data)
	reports, _ := filepath.Glob(filepath.Join(data, "reports", "*", "receipt.json"))
	if len(reports) == 0 {
		t.Fatalf("the single server wrote no report package: %v", slices.Sorted(maps.Keys(before)))
	}

	importArgs := []string{"files", "import", "--data", data, "--db", db, "--nats", ns.URL()}
	if _, errOut, code := runCmd(t, kek, importArgs...); code == 0 || !strings.Contains(errOut, "keys import") {
		t.Fatalf("files import before keys import: exit %d, %q; want it refused", code, errOut)
	}
	if out, errOut, code := runCmd(t, kek, "keys", "import", "--data", data, "--db", db); code != 0 {
		t.Fatalf("keys import: exit %d\n%s%s", code, out, errOut)
	}
	other := writeFile(t, "other.key", []byte(strings.Repeat("cd", 32)+"\n"))
	if _, errOut, code := runCmd(t, kek, append(slices.Clone(importArgs), "--media-key-file", other)...); code == 0 || !strings.Contains(errOut, "holds another media key") {
		t.Fatalf("files import with a media key the keyring does not hold: exit %d, %q", code, errOut)
	}

	out, errOut, code := runCmd(t, kek, importArgs...)
	if code != 0 {
		t.Fatalf("files import: exit %d\n%s%s", code, out, errOut)
	}
	want := map[string]int{}
	for p := range before {
		for _, kind := range []string{"media", "evidence", "reports"} {
			if strings.HasPrefix(p, filepath.Join(data, kind)+string(os.PathSeparator)) {
				want[kind]++
			}
		}
	}
	for kind, n := range importCounts(t, out) {
		if n[0] != strconv.Itoa(want[kind]) || n[1] != "0" || want[kind] == 0 {
			t.Errorf("files import, %s: %s copied, %s already there; want %d copied", kind, n[0], n[1], want[kind])
		}
	}

	// A cluster server serves what the single server stored.
	node := startNode(t, db, ns.URL(), nil)
	got, _, err := on(teen, node).Media(ctx, m.MediaID)
	if err != nil || !bytes.Equal(got, cat) {
		t.Fatalf("the image through the cluster: %d bytes, %v", len(got), err)
	}
	if got, err := on(y, node).Blob(ctx, e2ee.ID, bl.ID); err != nil || !bytes.Equal(got, attachment) {
		t.Fatalf("the attachment through the cluster: %d bytes, %v", len(got), err)
	}
	nodeAdmin := &client.Client{BaseURL: node.url, Token: "operator-token"}
	view, err := nodeAdmin.AdminCase(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var item int64
	for _, e := range view.Evidence {
		if e.ItemKind == "media" {
			item = e.Seq
		}
	}
	rev, err := nodeAdmin.AdminReveal(ctx, id, item, client.CaseAction{Moderator: "mod", Why: "TEST: after the move to a cluster"})
	if err != nil || !bytes.Equal(rev.Data, jpeg) {
		t.Fatalf("reveal through the cluster: %v", err)
	}
	pub := hex.EncodeToString(node.vault.PublicKey())
	out, errOut, code = runCmd(t, kek, "evidence", "verify", "--db", db, "--nats", ns.URL(), "--data", t.TempDir(), "--evidence-pubkey", pub)
	if code != 0 || !strings.Contains(out, "evidence log verified") || !regexp.MustCompile(`[1-9]\d* items checked`).MatchString(out) {
		t.Fatalf("evidence verify --nats: exit %d\n%s%s", code, out, errOut)
	}

	// Again: nothing to copy, and the data directory is as it was.
	out, errOut, code = runCmd(t, kek, importArgs...)
	if code != 0 {
		t.Fatalf("files import again: exit %d\n%s%s", code, out, errOut)
	}
	for kind, n := range importCounts(t, out) {
		if n[0] != "0" || n[1] != strconv.Itoa(want[kind]) {
			t.Errorf("files import again, %s: %s copied, %s already there; want 0 copied", kind, n[0], n[1])
		}
	}
	if after := dataFiles(t, data); !maps.Equal(before, after) {
		t.Errorf("the data directory changed: %d files before, %d after", len(before), len(after))
	}

	// An object with other bytes is named, and left.
	files := sharedFiles(t, &cluster{nats: ns})
	rel, err := filepath.Rel(filepath.Join(data, "reports"), reports[0])
	if err != nil {
		t.Fatal(err)
	}
	key := sharedReports + filepath.ToSlash(rel)
	if err := files.Put(ctx, key, []byte(`{"TEST": "other bytes"}`)); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCmd(t, kek, importArgs...); code == 0 || !strings.Contains(errOut, key) {
		t.Fatalf("files import over other bytes: exit %d, %q; want %s named", code, errOut, key)
	}
	if b, err := files.Get(ctx, key); err != nil || string(b) != `{"TEST": "other bytes"}` {
		t.Errorf("the object with other bytes: %q, %v; want it left", b, err)
	}

	// Another cluster's object store is refused.
	elsewhere := natstest.Start(t)
	nc, err := nats.Connect(elsewhere.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := natsblob.Open(ctx, js, natsblob.Config{Cluster: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	importArgs[len(importArgs)-1] = elsewhere.URL()
	if _, errOut, code := runCmd(t, kek, importArgs...); code == 0 || !strings.Contains(errOut, "belongs to another Safeguard cluster") {
		t.Fatalf("files import into another cluster's object store: exit %d, %q", code, errOut)
	}
}
