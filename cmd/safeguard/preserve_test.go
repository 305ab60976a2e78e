package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// TestAccountPreserveAndExport: on both stores, through a running server
// and the command line, a preservation request holds an account; its
// deletion keeps what is held, and retention keeps it while the hold
// lasts; the account export is a package that evidence verify checks, and
// a changed file fails it; the account's own views show nothing of it.
func TestAccountPreserveAndExport(t *testing.T) {
	dbs := map[string]func(t *testing.T, dir string) string{
		"sqlite": func(t *testing.T, dir string) string { return filepath.Join(dir, "safeguard.db") },
	}
	if pgtest.Enabled() {
		dbs["postgres"] = func(t *testing.T, dir string) string { return pgtest.Schema(t) }
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			testPreserveAndExport(t, dir, db(t, dir))
		})
	}
}

// preserveServer runs serve on the data directory dir and database db.
func preserveServer(t *testing.T, dir, db string) *client.Client {
	t.Helper()
	var c serveConfig
	bindServeFlags(flag.NewFlagSet("test", flag.ContinueOnError), &c, true)
	c.addr, c.db, c.mediaDir, c.metricsAddr = "127.0.0.1:0", db, filepath.Join(dir, "media"), ""
	c.frankingKeysFile, c.guardianKeyFile = filepath.Join(dir, "franking.keys"), filepath.Join(dir, "guardian.key")
	c.cases.evidenceDir, c.cases.reportDir = filepath.Join(dir, "evidence"), filepath.Join(dir, "reports")
	c.adminToken = "operator-token"
	c.argon2.MemoryKiB, c.argon2.Time = 64, 1
	srv, err := start(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })
	return &client.Client{BaseURL: srv.url, Token: c.adminToken}
}

// smallPNG is a synthetic 8×8 image of one grey.
func smallPNG(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 3)
	}
	img.Set(0, 0, color.Gray{Y: 200})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testPreserveAndExport(t *testing.T, dir, db string) {
	ctx := t.Context()
	admin := preserveServer(t, dir, db)
	const pass = "a long enough password"
	join := func(nick string, years int) *client.Client {
		c := client.New(admin.BaseURL)
		a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nick, Password: pass, BirthDate: time.Now().AddDate(-years, 0, -1).Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, a.Handle, pass); err != nil {
			t.Fatal(err)
		}
		return c
	}
	subject, friend, other := join("sam", 41), join("fin", 39), join("oli", 30)
	sh, fh := handleOf(t, subject), handleOf(t, friend)
	req, err := subject.RequestContact(ctx, fh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := friend.AcceptContact(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	conv, err := subject.CreateConversation(ctx, client.ConversationRequest{Members: []string{fh}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := subject.SendText(ctx, conv.ID, "the match is at six (synthetic)"); err != nil {
		t.Fatal(err)
	}
	if _, err := subject.SendImage(ctx, conv.ID, "pitch.png", "image/png", smallPNG(t), ""); err != nil {
		t.Fatal(err)
	}
	meBefore, err := subject.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}

	data := []string{"--data", dir, "--db", db}
	cli := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := runCmd(t, nil, append(args, data...)...)
		if code != want {
			t.Fatalf("%s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	out := cli(0, "account", "preserve", sh, "--reference", "TP/2026/1", "--agency", "Test Police", "--days", "90", "--by", "amir")
	if !regexp.MustCompile(`^preservation 1 of ` + regexp.QuoteMeta(sh) + ` recorded: Test Police, reference TP/2026/1\n.*held until`).MatchString(out) {
		t.Errorf("preserve: %s", out)
	}
	cli(1, "account", "preserve", sh, "--agency", "Test Police", "--by", "amir")
	if out := cli(1, "account", "preserve", sh, "--extend", "1", "--days", "30", "--reference", "TP/2026/2", "--agency", "Other Police", "--by", "amir"); !strings.Contains(out, "An extension takes only the number of days") {
		t.Errorf("extend with a new reference and agency: %s", out)
	}
	if out := cli(0, "account", "preserve", sh, "--extend", "1", "--days", "30", "--by", "amir"); !strings.Contains(out, "preservation 1 of "+sh+" extended") {
		t.Errorf("extend: %s", out)
	}
	if out := cli(0, "account", "preservations", sh); !regexp.MustCompile(`^1  holds  Test Police  TP/2026/1  recorded .* by amir  until `).MatchString(out) {
		t.Errorf("preservations: %s", out)
	}

	// The subject sees nothing of it.
	meAfter, err := subject.Me(ctx)
	planS, err2 := subject.DeletionPlan(ctx)
	planO, err3 := other.DeletionPlan(ctx)
	if err != nil || err2 != nil || err3 != nil || meAfter.Handle != meBefore.Handle || meAfter.Status != meBefore.Status {
		t.Fatalf("own views: %+v %v %v %v", meAfter, err, err2, err3)
	}
	if a, b := jsonOf(t, planS), jsonOf(t, planO); a != b {
		t.Errorf("the subject's deletion answer differs from anyone's")
	}

	// Deleted, the account keeps what is held, through retention while the
	// hold lasts (120 days).
	if out := cli(0, "account", "delete", sh, "--reason", "asked by the holder", "--by", "amir"); !strings.Contains(out, "preservation requests #1") {
		t.Errorf("delete: %s", out)
	}
	later := time.Now().Add(60 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if out := cli(0, "evidence", "retain", "--now", later); !strings.Contains(out, "deleted accounts: 0 erased past their retention, 0 lost what only an ended preservation or case kept (contacts, undelivered messages, logins but the last), 1 held by a case or a preservation request") {
		t.Errorf("retain while held: %s", out)
	}
	var shown struct {
		Counts struct {
			Contacts int `json:"contacts"`
		} `json:"counts"`
	}
	if err := jsonInto(cli(0, "account", "show", sh, "--json"), &shown); err != nil || shown.Counts.Contacts != 1 {
		t.Errorf("the held contact after deletion and retention: %+v %v", shown, err)
	}

	// The export: what is held, signed; verify checks it.
	pkg := filepath.Join(t.TempDir(), "disclosure")
	out = cli(0, "account", "export", sh, "--reference", "order 2026/77", "--out", pkg, "--by", "amir")
	m := regexp.MustCompile(`\((\d+) messages, (\d+) media, (\d+) logins, (\d+) contacts, (\d+) preservation requests\), signed by the evidence key ([0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil || m[1] != "2" || m[2] != "1" || m[3] == "0" || m[4] != "1" || m[5] != "1" {
		t.Fatalf("export: %s", out)
	}
	pub := m[6]
	if want, _, _ := runCmd(t, nil, "evidence", "pubkey", "--data", dir); strings.TrimSpace(want) != pub {
		t.Errorf("the package is signed by %s, the data directory's key is %s", pub, want)
	}
	for _, f := range []string{"account.json", "messages.json", "logins.json", "contacts.json", "preservations.json", "media.json", "manifest.json", "manifest.sig"} {
		if _, err := os.Stat(filepath.Join(pkg, f)); err != nil {
			t.Errorf("the package has no %s", f)
		}
	}
	var media []struct {
		File   string `json:"file"`
		SHA256 string `json:"sha256"`
	}
	if b, err := os.ReadFile(filepath.Join(pkg, "media.json")); err != nil || json.Unmarshal(b, &media) != nil || len(media) != 1 || media[0].File == "" {
		t.Fatalf("media.json: %s %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(pkg, media[0].File)); err != nil || media[0].SHA256 != fmt.Sprintf("%x", sha256.Sum256(b)) {
		t.Errorf("media.json gives the SHA-256 %q for %s (%v)", media[0].SHA256, media[0].File, err)
	}
	if b, _ := os.ReadFile(filepath.Join(pkg, "logins.json")); !regexp.MustCompile(`"addr": "127\.0\.0\.1",\s+"port": [1-9]`).Match(b) {
		t.Errorf("logins.json holds no address and port:\n%s", b)
	}
	if out := cli(0, "evidence", "verify", "--package", pkg, "--evidence-pubkey", pub); !strings.Contains(out, "package verified: account ") {
		t.Errorf("verify: %s", out)
	}
	b, err := os.ReadFile(filepath.Join(pkg, "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "messages.json"), bytes.Replace(b, []byte("six"), []byte("ten"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := cli(1, "evidence", "verify", "--package", pkg, "--evidence-pubkey", pub); !strings.Contains(out, "messages.json: its contents do not match the manifest (changed)") ||
		!strings.Contains(out, "does not verify: 1 problem (") {
		t.Errorf("verify of a changed file: %s", out)
	}
	if out := cli(1, "evidence", "verify", "--package", pkg, "--evidence-pubkey", strings.Repeat("ab", 32)); !strings.Contains(out, "does not verify under the pinned key") {
		t.Errorf("verify with another key: %s", out)
	}
	// A file of the package that is a link to a copy outside it is refused,
	// even when the copy matches.
	outside := filepath.Join(t.TempDir(), "messages.json")
	if err := os.WriteFile(outside, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(pkg, "messages.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(pkg, "messages.json")); err != nil {
		t.Fatal(err)
	}
	if out := cli(1, "evidence", "verify", "--package", pkg, "--evidence-pubkey", pub); !strings.Contains(out, "messages.json: not a plain file") {
		t.Errorf("verify of a package with a linked file: %s", out)
	}
	// The export makes its directory only: a path through directories that
	// do not exist makes none of them.
	base := t.TempDir()
	stray := base + "/a/b/../../x" // not cleaned, as typed
	cli(1, "account", "export", sh, "--reference", "order 2026/78", "--out", stray, "--by", "amir")
	if _, err := os.Stat(filepath.Join(base, "a")); err == nil {
		t.Error("the export made stray parent directories")
	}

	// Once the preservation has ended (120 days), a run erases what only it
	// kept, and says so; the details and last login stay their year.
	past := time.Now().Add(150 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if out := cli(0, "evidence", "retain", "--now", past); !strings.Contains(out, "deleted accounts: 0 erased past their retention, 1 lost what only an ended preservation or case kept") {
		t.Errorf("retain after the preservation: %s", out)
	}
	if err := jsonInto(cli(0, "account", "show", sh, "--json"), &shown); err != nil || shown.Counts.Contacts != 0 {
		t.Errorf("the contact after the preservation ended: %+v %v", shown, err)
	}
	// A period shorter than the law's is a test server's: refused unless
	// every report is TEST (--test-reports, as the servers say it).
	if out := cli(2, "evidence", "retain", "--content-retention", "1h"); !strings.Contains(out, "--content-retention 1h0m0s: shorter than the one year") {
		t.Errorf("retain with a short period: %s", out)
	}
	if out := cli(0, "evidence", "retain", "--content-retention", "1h", "--reference-retention", "2h", "--test-reports"); !strings.Contains(out, "retention as of") {
		t.Errorf("retain with a short period on TEST reports: %s", out)
	}

	entries, err := admin.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	all := strings.Join(actions, " ")
	for _, a := range []string{"account.preserved", "account.preservation_extended", "account.deleted", "account.disclosed", "account.retention_released"} {
		if !strings.Contains(all, a) {
			t.Errorf("the audit log has no %s: %s", a, all)
		}
	}
}

func handleOf(t *testing.T, c *client.Client) string {
	t.Helper()
	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return me.Handle
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonInto(s string, v any) error { return json.Unmarshal([]byte(s), v) }
