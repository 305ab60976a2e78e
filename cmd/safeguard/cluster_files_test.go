package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/blob/natsblob"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// sharedFiles opens, as a server of the cluster does, the object store the
// servers keep their files in.
func sharedFiles(t *testing.T, cl *cluster) blob.Store {
	t.Helper()
	s, err := natsblob.Open(t.Context(), otherJetStream(t, cl.nats.URL()), natsblob.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// nodeFiles lists the regular files under a node's data directory (the
// parent of its media directory) other than its key files.
func nodeFiles(t *testing.T, srv *running, mediaDir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Dir(mediaDir), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasSuffix(p, ".key") && !strings.HasSuffix(p, ".keys") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestClusterFiles: with two servers, an image sent through B is fetched
// through A; a known image held through B gets its case, with the image
// as an evidence item, from A's case consumer, and a moderator reveals it
// through B; the report package is in the shared files; retention on A
// deletes the items from them, with one tombstone each, and the log still
// verifies against the shared files.
func TestClusterFiles(t *testing.T) {
	var dirs []string
	cl := startCluster(t, 2, func(c *serveConfig) { dirs = append(dirs, c.mediaDir) })
	a, b := cl.nodes[0], cl.nodes[1]
	pub := a.vault.PublicKey() // the keyring's evidence key, which both nodes sign with
	ctx := t.Context()
	files := sharedFiles(t, cl)
	known := hashbanktest.Image(21, 640, 480)
	if out, errOut, code := bankCLI(t, cl.db, "add", "known", writeFile(t, "known.png", hashbanktest.PNG(known))); code != 0 {
		t.Fatalf("bank add: %d %s %s", code, out, errOut)
	}
	adult, teen, conv := teenAndAdult(t, b)

	// An image sent through B is fetched through A.
	cat := hashbanktest.PNG(hashbanktest.Image(22, 640, 480))
	m, err := adult.SendImage(ctx, conv, "cat.png", "image/png", cat, "")
	if err != nil {
		t.Fatal(err)
	}
	got, ctype, err := on(teen, a).Media(ctx, m.MediaID)
	if err != nil || !bytes.Equal(got, cat) || ctype != "image/png" {
		t.Fatalf("the image through A: %d bytes %q, %v", len(got), ctype, err)
	}
	if keys, err := files.List(ctx, sharedMedia); err != nil || len(keys) != 1 {
		t.Fatalf("shared media: %q, %v; want the one image", keys, err)
	}

	// A known image, held through B; A's consumer opens its case.
	jpeg := hashbanktest.JPEG(hashbanktest.Scale(known, 0.6), 40)
	held, err := adult.SendImage(ctx, conv, "holiday.jpg", "image/jpeg", jpeg, "")
	if err != nil {
		t.Fatal(err)
	}
	var ds []*safeguard.Detection
	if err := a.store.View(ctx, func(tx store.Tx) (err error) {
		ds, err = tx.Detections(ctx, store.DetectionQuery{MessageID: held.ID})
		return err
	}); err != nil || len(ds) != 1 || !ds[0].Held {
		t.Fatalf("detections of the known image: %+v, %v", ds, err)
	}
	if _, err := a.cases.Process(ctx); err != nil {
		t.Fatal(err)
	}
	adminA := &client.Client{BaseURL: a.url, Token: "operator-token"}
	adminB := &client.Client{BaseURL: b.url, Token: "operator-token"}
	queue, err := adminA.AdminCases(ctx)
	if err != nil || len(queue) != 1 || queue[0].Category != "csam_known" {
		t.Fatalf("the queue: %+v, %v", queue, err)
	}
	id := queue[0].ID
	view, err := adminB.AdminCase(ctx, id)
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
		t.Fatalf("the case has no image item: %+v", view.Evidence)
	}
	rev, err := adminB.AdminReveal(ctx, id, item, client.CaseAction{Moderator: "mod_b", Why: "TEST: review of the match"})
	if err != nil {
		t.Fatalf("reveal through B: %v", err)
	}
	if !bytes.Equal(rev.Data, jpeg) {
		t.Fatalf("revealed %d bytes, want the %d sent", len(rev.Data), len(jpeg))
	}

	// A moderator reveals the image in the console on A; behind a load
	// balancer their next request, for the image, may reach B, which
	// shows it too (read again there, and recorded).
	consoleReveal(t, cl, id, item, jpeg)

	// A moderator on B decides to report: the package is in the shared
	// files, with the image; the one prepared when the case opened too.
	if _, err := adminB.AdminCaseAction(ctx, id, "claim", client.CaseAction{Moderator: "mod_b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := adminB.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod_b", Decision: "report", Reason: "TEST: known image to a teen"}); err != nil {
		t.Fatal(err)
	}
	reports, err := files.List(ctx, sharedReports)
	if err != nil {
		t.Fatal(err)
	}
	var receipts, images int
	for _, k := range reports {
		if strings.HasSuffix(k, "/receipt.json") {
			receipts++
		}
		if strings.Contains(k, "/media/") {
			images++
		}
	}
	if receipts != 2 || images != 2 || !slices.ContainsFunc(reports, func(k string) bool { return strings.HasPrefix(k, sharedReports+"prepared/") }) {
		t.Errorf("shared report files: %q; want a package and a prepared one, each with its image", reports)
	}
	for i, dir := range dirs {
		if f := nodeFiles(t, cl.nodes[i], dir); len(f) != 0 {
			t.Errorf("node %d wrote files of its own: %q", i, f)
		}
	}

	// The log and every item verify from the shared files, with the
	// command an operator runs anywhere, given the key-encryption key.
	// The cluster's NATS as the environment gives it, as to every command.
	out, errOut, code := runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK, "SAFEGUARD_NATS": cl.nats.URL()}, "evidence", "verify", "--db", cl.db,
		"--evidence-dir", filepath.Join(t.TempDir(), "evidence"), "--evidence-pubkey", hex.EncodeToString(pub))
	if code != 0 || !regexp.MustCompile(`[1-9]\d* items checked`).MatchString(out) {
		t.Fatalf("evidence verify with SAFEGUARD_NATS: exit %d\n%s%s", code, out, errOut)
	}

	// An operator on a server's data directory writes the case's package
	// into a directory of their own, from the shared evidence.
	out = filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, "report", "export",
		"--data", filepath.Dir(dirs[0]), "--db", cl.db, "--nats", cl.nats.URL(), "--case", strconv.FormatInt(id, 10), "--out", out)
	if code != 0 {
		t.Fatalf("report export --nats: exit %d\n%s%s", code, stdout, stderr)
	}
	// Without --nats, a command on the cluster's database would use files
	// nobody else sees: it is refused, and retention deletes nothing.
	for _, args := range [][]string{{"report", "export", "--case", strconv.FormatInt(id, 10), "--out", filepath.Join(t.TempDir(), "x")},
		{"evidence", "retain"}, {"evidence", "verify", "--evidence-pubkey", hex.EncodeToString(pub)},
		{"account", "export", handleOf(t, adult), "--reference", "order 1", "--by", "amir", "--out", filepath.Join(t.TempDir(), "y")}} {
		args = append(args, "--data", t.TempDir(), "--db", cl.db)
		if _, stderr, code := runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, args...); code != 2 ||
			!strings.Contains(stderr, "give --nats URL") {
			t.Errorf("%v without --nats: exit %d, %q; want it refused", args[:2], code, stderr)
		}
	}
	// Nor with another NATS: one with no store, one whose store names no
	// cluster (as a single server, or a NATS before 2.10, leaves it).
	other := natstest.Start(t)
	for _, step := range []struct{ want string }{{"there is no object store SAFEGUARD_BLOBS on this NATS"}, {"is not this database's cluster's"}} {
		for _, args := range [][]string{{"evidence", "retain"}, {"account", "export", handleOf(t, adult), "--reference", "order 2", "--by", "amir", "--out", filepath.Join(t.TempDir(), "z")}} {
			args = append(args, "--data", t.TempDir(), "--db", cl.db, "--nats", other.URL())
			if _, stderr, code := runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, args...); code == 0 || !strings.Contains(stderr, step.want) {
				t.Errorf("%v with another NATS: exit %d, %q; want %q", args[:2], code, stderr, step.want)
			}
		}
		if _, err := natsblob.Open(ctx, otherJetStream(t, other.URL()), natsblob.Config{Replicas: 1}); err != nil {
			t.Fatal(err)
		}
	}
	exported, _ := filepath.Glob(filepath.Join(out, "*", "media", "*"))
	if len(exported) != 1 {
		t.Fatalf("report export --nats wrote media %q\n%s", exported, stdout)
	}
	if b, err := os.ReadFile(exported[0]); err != nil || !bytes.Equal(b, jpeg) {
		t.Errorf("the exported image: %d bytes, %v; want the %d sent", len(b), err, len(jpeg))
	}

	// The report is submitted by hand (until then its evidence is kept,
	// however late).
	if _, err := adminB.AdminCaseAction(ctx, id, "report-submitted", client.CaseAction{Moderator: "mod_b", Senior: true, Reference: "NCA-TEST-0001"}); err != nil {
		t.Fatal(err)
	}
	// Retention, past every period, on A, on B and by an operator's
	// command, all at once: between them they delete the shared items and
	// tombstone each once.
	later := time.Now().Add(6 * 365 * 24 * time.Hour).Truncate(time.Second)
	var (
		wg             sync.WaitGroup
		resA, resB     evidence.RetainResult
		errA, errB     error
		cmdOut, cmdErr string
		cmdCode        int
	)
	wg.Go(func() { resA, errA = a.cases.Vault.Retain(ctx, a.store, evidence.Retention{}, later) })
	wg.Go(func() { resB, errB = b.cases.Vault.Retain(ctx, b.store, evidence.Retention{}, later) })
	wg.Go(func() {
		cmdOut, cmdErr, cmdCode = runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, "evidence", "retain", "--now", later.UTC().Format(time.RFC3339),
			"--data", t.TempDir(), "--db", cl.db, "--nats", cl.nats.URL())
	})
	wg.Wait()
	if errA != nil || errB != nil || cmdCode != 0 {
		t.Fatalf("retention at once: A %+v, %v; B %+v, %v; the command: exit %d\n%s%s", resA, errA, resB, errB, cmdCode, cmdOut, cmdErr)
	}
	said := regexp.MustCompile(`(\d+) items deleted`).FindStringSubmatch(cmdOut)
	if said == nil {
		t.Fatalf("evidence retain said:\n%s", cmdOut)
	}
	byCmd, _ := strconv.Atoi(said[1])
	deleted := resA.Deleted + resB.Deleted + byCmd
	if deleted == 0 {
		t.Fatal("retention at once deleted nothing")
	}
	if keys, err := files.List(ctx, sharedEvidence); err != nil || len(keys) != 0 {
		t.Errorf("evidence left in the shared files after retention: %q, %v", keys, err)
	}
	if _, err := adminB.AdminReveal(ctx, id, item, client.CaseAction{Moderator: "mod_b", Why: "TEST: after retention"}); client.ErrorCode(err) != "evidence_deleted" {
		t.Errorf("reveal after retention: %v, want evidence_deleted", err)
	}
	// A package exported now says what retention took.
	stdout, stderr, code = runCmd(t, map[string]string{"SAFEGUARD_KEK": testKEK}, "report", "export",
		"--data", t.TempDir(), "--db", cl.db, "--nats", cl.nats.URL(), "--case", strconv.FormatInt(id, 10), "--out", filepath.Join(t.TempDir(), "late"))
	if code != 0 || !regexp.MustCompile(`note: [1-9]\d* of the case's evidence items were deleted by retention`).MatchString(stdout) {
		t.Errorf("report export after retention: exit %d\n%s%s", code, stdout, stderr)
	}
	items, err := media.New(blob.Sub(files, sharedEvidence), mustKeys(t, a.store).EvidenceData)
	if err != nil {
		t.Fatal(err)
	}
	r, err := evidence.Verify(ctx, a.store, pub, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 0 || r.Tombstones != int64(deleted) || r.Tombstones != r.Items || r.ItemsMissing != 0 {
		t.Errorf("verify after %d items deleted: %+v", deleted, r)
	}
}

// TestClusterE2EEBlob: an end-to-end encrypted attachment uploaded through
// A downloads through B, and is gone from both once deleted from the
// shared files.
func TestClusterE2EEBlob(t *testing.T) {
	cl := startCluster(t, 2, nil)
	a, b := cl.nodes[0], cl.nodes[1]
	ctx := t.Context()
	admin := &client.Client{BaseURL: a.url, Token: "operator-token"}
	verified := func(nickname string) *client.Client {
		t.Helper()
		c := newUser(t, a.url, nickname)
		me, err := c.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.SetAgeAssurance(ctx, me.ID, "verified"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	x, y := verified("blob_x"), verified("blob_y")
	conv := e2eeChat(t, x, y)
	data := bytes.Repeat([]byte("TEST opaque ciphertext "), 40000) // ~900 KiB, several chunks
	bl, err := x.UploadBlob(ctx, conv.ID, data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := on(y, b).Blob(ctx, conv.ID, bl.ID)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the attachment through B: %d bytes, %v", len(got), err)
	}
	files := sharedFiles(t, cl)
	keys, err := files.List(ctx, sharedMedia)
	if err != nil || len(keys) != 1 {
		t.Fatalf("shared media: %q, %v", keys, err)
	}
	if err := files.Delete(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*running{a, b} {
		if _, err := on(y, srv).Blob(ctx, conv.ID, bl.ID); client.ErrorCode(err) != "not_found" {
			t.Errorf("a deleted attachment through %s: %v", srv.url, err)
		}
	}
}

// consoleReveal logs a moderator into the console on a, reveals item seq
// of case id there, and fetches the image with the reveal's token on b.
func consoleReveal(t *testing.T, cl *cluster, id, seq int64, want []byte) {
	t.Helper()
	a, b := cl.nodes[0], cl.nodes[1]
	const password = "a moderator's long password"
	if _, err := a.mods.Add(t.Context(), moderators.Operator, "reveal_mod", safeguard.RoleSenior, password); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil) // cookies go to every port of 127.0.0.1: one browser, two servers
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, []byte) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	_, page := get(a.url + "/console/login")
	m := consoleFormToken.FindSubmatch(page)
	if m == nil {
		t.Fatal("no form token on the login page")
	}
	resp, err := c.PostForm(a.url+"/console/login", url.Values{"name": {"reveal_mod"}, "password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("console login: %d", resp.StatusCode)
	}
	status, page := get(fmt.Sprintf("%s/console/cases/%d", a.url, id))
	if m = consoleFormToken.FindSubmatch(page); status != http.StatusOK || m == nil {
		t.Fatalf("the case page: %d, form token %v", status, m != nil)
	}
	resp, err = c.PostForm(fmt.Sprintf("%s/console/cases/%d/evidence/%d/reveal", a.url, id, seq),
		url.Values{"csrf": {string(m[1])}, "why": {"TEST: review of the match"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther || loc.Query().Get("shown") == "" {
		t.Fatalf("reveal on A: %d, to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	original := fmt.Sprintf("/console/cases/%d/evidence/%d/original?shown=%s", id, seq, url.QueryEscape(loc.Query().Get("shown")))
	for _, srv := range []*running{a, b} {
		if status, body := get(srv.url + original); status != http.StatusOK || !bytes.Equal(body, want) {
			t.Fatalf("the revealed image through %s: %d, %d bytes; want the %d revealed", srv.url, status, len(body), len(want))
		}
	}
	// A token changed by a byte is refused on B.
	changed := original[:len(original)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(original, "A")]
	if status, _ := get(b.url + changed); status != http.StatusNotFound {
		t.Fatalf("a changed token on B: %d, want 404", status)
	}

	// Revealed again on A; with NATS away, B cannot read the item again:
	// the page fails and says to try again, rather than show it unrevealed.
	status, page = get(fmt.Sprintf("%s/console/cases/%d", a.url, id))
	if m = consoleFormToken.FindSubmatch(page); status != http.StatusOK || m == nil {
		t.Fatalf("the case page: %d", status)
	}
	resp, err = c.PostForm(fmt.Sprintf("%s/console/cases/%d/evidence/%d/reveal", a.url, id, seq),
		url.Values{"csrf": {string(m[1])}, "why": {"TEST: second look"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err = url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second reveal on A: %d", resp.StatusCode)
	}
	casePage := fmt.Sprintf("%s/console/cases/%d?shown=%s", b.url, id, url.QueryEscape(loc.Query().Get("shown")))
	cl.nats.Stop()
	resp, err = c.Get(casePage)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the case page on B with NATS away: %d, Retry-After %q; want 503 and when to try again", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	cl.nats.Restart()
	waitFor(t, "B reads the item again once NATS is back", func() bool {
		status, _ := get(casePage)
		return status == http.StatusOK
	})
}

// otherJetStream connects to the NATS at url, for JetStream.
func otherJetStream(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
