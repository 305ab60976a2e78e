package main

import (
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// bankDBs are the databases the end-to-end bank tests run on: a SQLite file
// always, a PostgreSQL schema when SAFEGUARD_TEST_POSTGRES is set. The
// server and the CLI both open them by their --db value.
func bankDBs(t *testing.T) map[string]func(t *testing.T) string {
	m := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "safeguard.db") },
	}
	if pgtest.Enabled() {
		m["postgres"] = func(t *testing.T) string { return pgtest.Schema(t) }
	}
	return m
}

// startBankServer runs the server in this process on db, as serve would.
func startBankServer(t *testing.T, db string) (*running, *client.Client) {
	t.Helper()
	dir := t.TempDir()
	var c serveConfig
	bindServeFlags(flag.NewFlagSet("test", flag.ContinueOnError), &c, true)
	c.addr, c.db, c.mediaDir = "127.0.0.1:0", db, filepath.Join(dir, "media")
	c.frankingKeysFile = filepath.Join(dir, "franking.keys")
	c.guardianKeyFile, c.metricsAddr = filepath.Join(dir, "guardian.key"), ""
	c.cases.evidenceDir, c.cases.reportDir = filepath.Join(dir, "evidence"), filepath.Join(dir, "reports")
	c.cases.casesInterval = time.Hour // the test processes detections itself
	c.adminToken = "operator-token"
	c.argon2.MemoryKiB, c.argon2.Time = 64, 1
	srv, err := start(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })
	return srv, &client.Client{BaseURL: srv.url, Token: c.adminToken}
}

// bankCLI runs `safeguard bank ARGS… --db db` as a separate command would,
// on its own connection to the database.
func bankCLI(t *testing.T, db string, args ...string) (string, string, int) {
	t.Helper()
	full := append([]string{"bank", args[0], "--db", db, "--by", "test-operator"}, args[1:]...)
	return runCmd(t, nil, full...)
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKnownImagesEndToEnd is the known-image story through the API, as a
// new user would meet it: a generated image put into a bank with `safeguard
// bank add`, then copies of it sent to a teen.
func TestKnownImagesEndToEnd(t *testing.T) {
	for name, newDB := range bankDBs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			srv, admin := startBankServer(t, db)
			ctx := t.Context()
			known := hashbanktest.Image(11, 640, 480)
			if out, errOut, code := bankCLI(t, db, "add", "known", writeFile(t, "known.png", hashbanktest.PNG(known))); code != 0 || !strings.Contains(out, "added to new bank known") {
				t.Fatalf("bank add: %d %s %s", code, out, errOut)
			}

			adult := newUser(t, srv.url, "e2e_adult")
			teen := client.New(srv.url)
			ta, err := teen.SignUp(ctx, client.SignUpRequest{Nickname: "e2e_teen", Password: "correct horse battery",
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
			conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teen.Handle}})
			if err != nil {
				t.Fatal(err)
			}
			events, err := teen.Events(ctx)
			if err != nil {
				t.Fatal(err)
			}
			send := func(name, ctype string, data []byte) *client.Message {
				t.Helper()
				m, err := adult.SendImage(ctx, conv.ID, name, ctype, data, "")
				if err != nil {
					t.Fatalf("send %s: %v", name, err)
				}
				if m.Status != "sent" {
					t.Fatalf("the sender of %s sees %q, not an ordinary send", name, m.Status)
				}
				return m
			}
			delivered := func(m *client.Message) bool {
				t.Helper()
				page, err := teen.History(ctx, conv.ID, client.HistoryQuery{})
				if err != nil {
					t.Fatal(err)
				}
				for _, pm := range page.Messages {
					if pm.ID == m.ID {
						return true
					}
				}
				return false
			}
			detections := func(m *client.Message) []*safeguard.Detection {
				t.Helper()
				var ds []*safeguard.Detection
				if err := srv.store.View(ctx, func(tx store.Tx) (err error) {
					ds, err = tx.Detections(ctx, store.DetectionQuery{MessageID: m.ID})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return ds
			}

			// The known image, re-encoded as JPEG quality 40 at 60% of its size.
			held := send("holiday.jpg", "image/jpeg", hashbanktest.JPEG(hashbanktest.Scale(known, 0.6), 40))
			if delivered(held) {
				t.Fatal("the teen received the known image")
			}
			if page, _ := adult.History(ctx, conv.ID, client.HistoryQuery{}); len(page.Messages) != 1 || page.Messages[0].Status != "sent" {
				t.Errorf("the sender's history: %+v", page)
			}
			if _, _, err := teen.Media(ctx, held.MediaID); client.ErrorCode(err) != "not_found" {
				t.Errorf("the teen fetches the held media: %v", err)
			}
			ds := detections(held)
			if len(ds) != 1 || ds[0].Source != safeguard.HashMatch || ds[0].Category != "csam_known" || !ds[0].Held {
				t.Fatalf("detections of the held image: %+v", ds)
			}
			var det map[string]any
			json.Unmarshal(ds[0].Detail, &det)
			if det["bank"] != "known" || det["entry"] != "known.png" || det["kind"] != "pdq" || det["distance"].(float64) > 31 {
				t.Errorf("detail: %s", ds[0].Detail)
			}

			// A different image is delivered, and is the first thing the
			// teen's live stream shows.
			other := send("cat.png", "image/png", hashbanktest.PNG(hashbanktest.Image(12, 640, 480)))
			if !delivered(other) {
				t.Error("a different image was not delivered")
			}
			select {
			case ev := <-events:
				if ev.Message == nil || ev.Message.ID != other.ID {
					t.Errorf("the teen's first live event: %+v", ev)
				}
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}

			// Not an image, sent to the teen as an image: held for review.
			junk := send("photo.jpg", "image/jpeg", []byte("this is a text file, named like a photo\n"))
			if delivered(junk) {
				t.Error("a file that is not an image reached the teen")
			}
			if ds := detections(junk); len(ds) != 1 || ds[0].Source != safeguard.ScanFailure {
				t.Errorf("detections of the non-image: %+v", ds)
			}

			// A rotated copy is caught.
			rotated := send("rotated.png", "image/png", hashbanktest.PNG(hashbanktest.Rotate90(known)))
			if delivered(rotated) || len(detections(rotated)) != 1 {
				t.Error("a rotated copy was delivered")
			}

			// A hash in a negative bank suppresses a match.
			lookalike := hashbanktest.Image(13, 640, 480)
			path := writeFile(t, "lookalike.png", hashbanktest.PNG(lookalike))
			for _, args := range [][]string{{"add", "known", path}, {"add", "--negative", "false-positives", path}} {
				if out, errOut, code := bankCLI(t, db, args...); code != 0 {
					t.Fatalf("bank %v: %s %s", args, out, errOut)
				}
			}
			if m := send("lookalike.jpg", "image/jpeg", hashbanktest.JPEG(lookalike, 80)); !delivered(m) || len(detections(m)) != 0 {
				t.Error("an image in a negative bank was not delivered")
			}

			// A change the CLI makes while the server runs is seen by the
			// very next match; the copy delivered before is found
			// retroactively.
			later := hashbanktest.Image(14, 800, 600)
			before := send("later.jpg", "image/jpeg", hashbanktest.JPEG(later, 85))
			if !delivered(before) {
				t.Fatal("not yet known, yet held")
			}
			if _, errOut, code := bankCLI(t, db, "add", "known", writeFile(t, "later.png", hashbanktest.PNG(later))); code != 0 {
				t.Fatalf("bank add: %s", errOut)
			}
			after := send("later-again.jpg", "image/jpeg", hashbanktest.JPEG(later, 70))
			if delivered(after) {
				t.Error("the next match did not see the CLI's change")
			}
			if _, err := srv.images.Retro(ctx); err != nil {
				t.Fatal(err)
			}
			if ds := detections(before); len(ds) != 1 || ds[0].Held || ds[0].Source != safeguard.HashMatch {
				t.Errorf("retroactive detection of the image delivered earlier: %+v", ds)
			}

			// Cases open: the known image at priority 1.
			if _, err := srv.cases.Process(ctx); err != nil {
				t.Fatal(err)
			}
			queue, err := admin.AdminCases(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range queue {
				found = found || c.Category == "csam_known" && c.Priority == 1
			}
			if !found {
				t.Errorf("no priority-1 csam_known case in the queue: %+v", queue)
			}
			// The sender, by the default policy, is held silently: their
			// account looks as it did, and their next image is held.
			if me, err := adult.Me(ctx); err != nil || me.Status != "active" {
				t.Errorf("the sender's own view after the match: %+v %v", me, err)
			}
			if m := send("innocent.jpg", "image/jpeg", hashbanktest.JPEG(hashbanktest.Image(15, 800, 600), 85)); delivered(m) {
				t.Error("a held sender's next image was delivered")
			}

			// The operator API lists the banks.
			banks, err := admin.AdminBanks(ctx)
			if err != nil || len(banks.Banks) != 2 || banks.Banks[1].Name != "known" || banks.Banks[1].Entries != 3 || !banks.Banks[0].Negative {
				t.Errorf("GET /api/v1/admin/banks: %+v %v", banks, err)
			}
		})
	}
}

// TestBankBadInput: files that are not images cannot go into a bank, a
// malformed list imports nothing and names its line, and between adults a
// non-image is refused.
func TestBankBadInput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "safeguard.db")
	files := map[string][]byte{
		"truncated.jpg":  hashbanktest.TruncatedJPEG(),
		"huge.png":       hashbanktest.HugePNG(100000, 100000),
		"notes.jpg":      []byte("a text file named .jpg\n"),
		"empty.png":      nil,
		"flat-photo.png": hashbanktest.PNG(hashbanktest.Flat(200, 200)),
	}
	for name, data := range files {
		_, errOut, code := bankCLI(t, db, "add", "known", writeFile(t, name, data))
		if name == "flat-photo.png" {
			if code != 0 {
				t.Errorf("a flat image (exact hashes only): %s", errOut)
			}
			continue
		}
		if code != 1 || !strings.Contains(errOut, "nothing was added") {
			t.Errorf("bank add %s: exit %d, %s", name, code, errOut)
		}
	}
	list := "pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22 A-1\nmd5:d41d8cd98f00b204e9800998ecf8427e A-2\nmd5:xyz A-3\n"
	_, errOut, code := bankCLI(t, db, "import", "--bank", "iwf", "--source", "IWF", writeFile(t, "list.txt", []byte(list)))
	if code != 1 || !strings.Contains(errOut, "line 3") || !strings.Contains(errOut, "nothing was imported") {
		t.Errorf("malformed list: exit %d, %s", code, errOut)
	}
	out, _, _ := bankCLI(t, db, "list")
	if strings.Contains(out, "iwf") || !strings.Contains(out, "known") {
		t.Errorf("after a failed import: %s", out)
	}
	if out, errOut, code := bankCLI(t, db, "import", "--bank", "iwf", "--source", "IWF", "--version", "2026-05",
		writeFile(t, "list.txt", []byte(strings.Replace(list, "xyz", strings.Repeat("e", 32), 1)))); code != 0 || !strings.Contains(out, "3 entries added to new bank iwf") {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	out, _, _ = bankCLI(t, db, "list")
	if !strings.Contains(out, "iwf") || !strings.Contains(out, "IWF") || !strings.Contains(out, "2026-05") {
		t.Errorf("bank list: %s", out)
	}

	srv, admin := startBankServer(t, db)
	ctx := t.Context()

	// The operator API imports lists the same way, all or nothing.
	_, err := admin.AdminImportBank(ctx, "api-bank", client.BankListImport{Source: "NCMEC"}, strings.NewReader(list))
	var apiErr *client.APIError
	if !asAPIError(err, &apiErr) || apiErr.Status != 400 || apiErr.Code != "hash_list_invalid" || !strings.Contains(apiErr.Message, "line 3") {
		t.Errorf("malformed list through the API: %v", err)
	}
	csv := "id,md5\nN-1," + strings.Repeat("a", 32) + "\nN-2," + strings.Repeat("b", 32) + "\n"
	res, err := admin.AdminImportBank(ctx, "api-bank", client.BankListImport{Format: "csv", Source: "NCMEC", Version: "7"}, strings.NewReader(csv))
	if err != nil || res.Added != 2 || !res.Created || res.Bank.Source != "NCMEC" || res.Generation == 0 || len(res.SHA256) != 64 {
		t.Errorf("import through the API: %+v %v", res, err)
	}
	if _, err := admin.AdminImportBank(ctx, "bad name", client.BankListImport{}, strings.NewReader(csv)); client.ErrorCode(err) != "invalid_bank_name" {
		t.Errorf("a bad bank name: %v", err)
	}
	if _, err := (&client.Client{BaseURL: srv.url, Token: "wrong"}).AdminBanks(ctx); client.ErrorCode(err) != "unauthenticated" {
		t.Errorf("the bank list without the operator token: %v", err)
	}
	banks, err := admin.AdminBanks(ctx)
	if err != nil || len(banks.Banks) != 3 || banks.Banks[0].Name != "api-bank" {
		t.Errorf("banks: %+v %v", banks, err)
	}
	a, b := newUser(t, srv.url, "bad_adult_a"), newUser(t, srv.url, "bad_adult_b")
	req, err := a.RequestContact(ctx, b.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcceptContact(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	conv, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{b.Handle}})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		_, err := a.SendImage(ctx, conv.ID, name, "image/png", data, "")
		var ae *client.APIError
		switch name {
		case "flat-photo.png":
			if err != nil {
				t.Errorf("a low-quality image between adults: %v", err)
			}
		case "empty.png":
			if client.ErrorCode(err) != "empty_image" {
				t.Errorf("empty file: %v", err)
			}
		default:
			if !asAPIError(err, &ae) || ae.Status != 400 || !strings.HasPrefix(ae.Code, "image_") {
				t.Errorf("%s between adults: %v", name, err)
			}
		}
	}
}

func asAPIError(err error, target **client.APIError) bool {
	ae, ok := err.(*client.APIError)
	if ok {
		*target = ae
	}
	return ok
}

// TestBankMatchCommand: bank match prints each file's matches with bank,
// entry, distance and transform.
func TestBankMatchCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "safeguard.db")
	img := hashbanktest.Image(21, 500, 400)
	if _, errOut, code := bankCLI(t, db, "add", "--source", "own moderators", "mods", writeFile(t, "k.png", hashbanktest.PNG(img))); code != 0 {
		t.Fatal(errOut)
	}
	rot := writeFile(t, "rot.png", hashbanktest.PNG(hashbanktest.Rotate90(img)))
	miss := writeFile(t, "miss.jpg", hashbanktest.JPEG(hashbanktest.Image(22, 500, 400), 80))
	out, errOut, code := bankCLI(t, db, "match", rot, miss)
	if code != 0 || !strings.Contains(out, "rot.png: 1 match(es)") || !strings.Contains(out, "bank mods, entry k.png (#1), pdq distance") ||
		!strings.Contains(out, "transform rot90") || !strings.Contains(out, "miss.jpg: no match") {
		t.Errorf("bank match: %d\n%s%s", code, out, errOut)
	}
	out, _, code = bankCLI(t, db, "match", "--bank-dihedral=false", rot)
	if code != 0 || !strings.Contains(out, "no match") {
		t.Errorf("without dihedral hashes: %s", out)
	}
	out, _, _ = bankCLI(t, db, "match", "--json", rot)
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got["matches"].([]any)) != 1 {
		t.Errorf("--json: %s %v", out, err)
	}
	for _, args := range [][]string{{"disable", "mods"}, {"remove", "mods", "k.png"}, {"enable", "mods"}} {
		if out, errOut, code := bankCLI(t, db, args...); code != 0 {
			t.Errorf("bank %v: %s %s", args, out, errOut)
		}
	}
	if out, _, _ := bankCLI(t, db, "match", rot); !strings.Contains(out, "no match") {
		t.Errorf("after removal: %s", out)
	}
	if _, errOut, code := bankCLI(t, db, "remove", "mods", "k.png"); code != 1 || !strings.Contains(errOut, "no entry") {
		t.Errorf("removing it twice: %d %s", code, errOut)
	}
}
