package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/safeguard-dev/safeguard/internal/browsertest"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// e2eeServer is "safeguard serve" in this process on one of the stores,
// with what the tests look at: the database (a SQLite file, or a
// PostgreSQL schema) and the media directory.
type e2eeServer struct {
	url, dir, db string
	admin        *client.Client
	raw          *sql.DB
	tables       string
}

func startE2EEServer(t *testing.T, storeName string) *e2eeServer {
	t.Helper()
	dir := t.TempDir()
	var c serveConfig
	bindServeFlags(flag.NewFlagSet("test", flag.ContinueOnError), &c, true)
	c.addr, c.mediaDir = "127.0.0.1:0", filepath.Join(dir, "media")
	c.frankingKeysFile = filepath.Join(dir, "franking.keys")
	c.guardianKeyFile, c.metricsAddr = filepath.Join(dir, "guardian.key"), ""
	c.cases.evidenceDir, c.cases.reportDir = filepath.Join(dir, "evidence"), filepath.Join(dir, "reports")
	c.adminToken = "operator-token"
	c.argon2.MemoryKiB, c.argon2.Time = 64, 1
	s := &e2eeServer{dir: dir}
	var err error
	switch storeName {
	case "sqlite":
		c.db = filepath.Join(dir, "x.db")
		s.raw, err = sql.Open("sqlite", "file:"+c.db+"?_pragma=busy_timeout(5000)")
		s.tables = `SELECT name FROM sqlite_master WHERE type = 'table'`
	case "postgres":
		c.db = pgtest.Schema(t)
		s.raw, err = sql.Open("pgx", c.db)
		s.tables = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.raw.Close() })
	s.db = c.db
	srv, err := start(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })
	s.url, s.admin = srv.url, &client.Client{BaseURL: srv.url, Token: c.adminToken}
	return s
}

// storesForBrowser are the stores the browser tests run on: SQLite, and
// PostgreSQL when SAFEGUARD_TEST_POSTGRES is set.
func storesForBrowser() []string {
	if pgtest.Enabled() {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// verifiedAdult signs up an adult, logs in and has the operator verify the
// account's age, as the end-to-end encryption policy asks.
func (s *e2eeServer) verifiedAdult(t *testing.T, nickname string) *client.Client {
	t.Helper()
	c := client.New(s.url)
	a, err := c.SignUp(t.Context(), client.SignUpRequest{Nickname: nickname, Password: "password-" + nickname,
		BirthDate: time.Now().AddDate(-35, 0, -1).Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), a.Handle, "password-"+nickname); err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.SetAgeAssurance(t.Context(), a.ID, "verified"); err != nil {
		t.Fatal(err)
	}
	return c
}

// e2eeChat makes a and b contacts and starts an encrypted chat of theirs.
func e2eeChat(t *testing.T, a, b *client.Client) *client.Conversation {
	t.Helper()
	req, err := b.RequestContact(t.Context(), a.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcceptContact(t.Context(), req.ID); err != nil {
		t.Fatal(err)
	}
	conv, err := a.CreateConversation(t.Context(), client.ConversationRequest{Members: []string{b.Handle}, E2EE: true})
	if err != nil {
		t.Fatal(err)
	}
	if !conv.E2EE {
		t.Fatalf("conversation %d is not end-to-end encrypted", conv.ID)
	}
	return conv
}

// leaks lists where in the database (every text and byte value of every
// table) and in the raw database files a secret appears.
func (s *e2eeServer) leaks(t *testing.T, secrets map[string][]byte) []string {
	t.Helper()
	var found []string
	rows, err := s.raw.QueryContext(t.Context(), s.tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if len(names) < 10 {
		t.Fatalf("only %d tables found: %v", len(names), names)
	}
	values := 0
	for _, name := range names {
		rows, err := s.raw.QueryContext(t.Context(), `SELECT * FROM `+name)
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var b []byte
				switch v := v.(type) {
				case string:
					b = []byte(v)
				case []byte:
					b = v
				default:
					continue
				}
				values++
				for what, secret := range secrets {
					if bytes.Contains(b, secret) {
						found = append(found, fmt.Sprintf("%s in %s.%s", what, name, cols[i]))
					}
				}
			}
		}
		rows.Close()
	}
	if values < 20 {
		t.Fatalf("only %d values read from the database", values)
	}
	// SQLite: the files themselves too (free pages, the write-ahead log).
	if !strings.Contains(s.db, "://") {
		for _, f := range []string{s.db, s.db + "-wal"} {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for what, secret := range secrets {
				if bytes.Contains(b, secret) {
					found = append(found, fmt.Sprintf("%s in %s", what, filepath.Base(f)))
				}
			}
		}
	}
	return found
}

// texturedPNG is a harmless generated picture with texture (colour bands,
// rings and noise), so that its bytes do not repeat.
func texturedPNG(t *testing.T, w, h int, seed uint32) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	x := seed*2654435761 + 7
	for py := range h {
		for px := range w {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			noise := float64(x%40) - 20
			fx, fy := float64(px)/float64(w), float64(py)/float64(h)
			ring := 50 * math.Cos(math.Hypot(fx-0.4, fy-0.5)*30)
			c := func(base, k float64) uint8 { return uint8(math.Max(0, math.Min(255, base+ring*k+noise))) }
			img.SetNRGBA(px, py, color.NRGBA{R: c(60+150*fy, 0.7), G: c(110+110*fx, -0.4), B: c(190-100*fx*fy, 0.5), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// browser is one headless Chromium; each person gets a browser context of
// their own (their own IndexedDB) and a tab in it.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	root := browsertest.Browser(t) // one way to start Chromium for every browser test
	return &browser{t: t, ctx: root}
}

// tab is one person's window.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func (b *browser) person(name string, width, height int64) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	p := &tab{t: b.t, ctx: ctx, name: name}
	p.do("viewport", chromedp.EmulateViewport(width, height))
	return p
}

func (p *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

// await runs a JavaScript expression (a promise is awaited) and decodes
// its value.
func await[T any](p *tab, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %.120s: %v", p.name, expr, err)
	}
	return v
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// unlockE2EE loads e2ee.js in p's page, as chats.js does, and unlocks (or
// creates) the browser's device with the passphrase; it answers the
// device's name.
func (p *tab) unlockE2EE(base, token, passphrase string) string {
	p.t.Helper()
	return await[string](p, fmt.Sprintf(`(async () => {
		const E = await import('/js/e2ee.js');
		window.sg = await E.load({token: %s, base: location.origin});
		await window.sg.unlock(%s);
		return window.sg.device;
	})()`, jsString(token), jsString(passphrase)))
}

// decrypted is a message as e2ee.js's decrypt answers it, with the image
// as base64.
type decrypted struct {
	Text     string `json:"text"`
	Image    string `json:"image"`
	Outgoing bool   `json:"outgoing"`
	Sender   string `json:"sender"`
}

func (p *tab) decrypt(conv, msg int64) decrypted {
	p.t.Helper()
	return await[decrypted](p, fmt.Sprintf(`(async () => {
		const m = await window.sg.decrypt({id: %d, conversation_id: %d});
		let image = '';
		if (m.image) {
			const b = new Uint8Array(await m.image.arrayBuffer());
			let s = ''; for (const x of b) s += String.fromCharCode(x);
			image = btoa(s);
		}
		return {text: m.text, image, outgoing: m.outgoing, sender: m.sender};
	})()`, msg, conv))
}

// TestE2EEInTheBrowser has two verified adults chat end to end encrypted in
// Chromium, through the app's e2ee.js and the Go SDK compiled to
// WebAssembly, against the real server: text one way, a photo the other,
// the same safety numbers on both sides, nothing of either in the
// database, and a report whose franking the server verifies into a case.
func TestE2EEInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium against a server")
	}
	for _, storeName := range storesForBrowser() {
		t.Run(storeName, func(t *testing.T) { testE2EEInTheBrowser(t, storeName) })
	}
}

func testE2EEInTheBrowser(t *testing.T, storeName string) {
	s := startE2EEServer(t, storeName)
	b := newBrowser(t)
	alice, bob := s.verifiedAdult(t, "alice"), s.verifiedAdult(t, "bob")
	conv := e2eeChat(t, alice, bob)
	pa, pb := b.person("alice", 1280, 900), b.person("bob", 390, 844)
	for _, p := range []*tab{pa, pb} {
		p.do("open the app", chromedp.Navigate(s.url+"/"))
	}
	aliceDevice := pa.unlockE2EE(s.url, alice.Token, "alice's long passphrase")
	bobDevice := pb.unlockE2EE(s.url, bob.Token, "bob's long passphrase")
	if aliceDevice == "" || bobDevice == "" || aliceDevice == bobDevice {
		t.Fatalf("devices %q and %q", aliceDevice, bobDevice)
	}

	text := "the lighthouse key is under the blue stone 7431"
	sent := await[struct {
		ID int64 `json:"id"`
	}](pa, fmt.Sprintf(`window.sg.send(%d, %s)`, conv.ID, jsString(text)))
	if got := pb.decrypt(conv.ID, sent.ID); got.Text != text || got.Outgoing || got.Sender != alice.Handle {
		t.Errorf("bob read %+v", got)
	}
	if got := pa.decrypt(conv.ID, sent.ID); got.Text != text || !got.Outgoing {
		t.Errorf("alice's own message: %+v", got)
	}

	photo := texturedPNG(t, 96, 72, 11)
	photoID := await[int64](pb, fmt.Sprintf(`(async () => {
		const bytes = Uint8Array.from(atob(%s), c => c.charCodeAt(0));
		const file = new File([bytes], 'harbour.png', {type: 'image/png'});
		return (await window.sg.sendImage(%d, file)).id;
	})()`, jsString(base64.StdEncoding.EncodeToString(photo)), conv.ID))
	got := pa.decrypt(conv.ID, photoID)
	if img, err := base64.StdEncoding.DecodeString(got.Image); err != nil || !bytes.Equal(img, photo) {
		t.Errorf("alice's photo: %d base64 characters, %v", len(got.Image), err)
	}

	t.Logf("devices %s and %s; message %d, photo %d (%d bytes)", aliceDevice, bobDevice, sent.ID, photoID, len(photo))
	// The same safety number on both sides.
	na := await[string](pa, fmt.Sprintf(`window.sg.safetyNumber(%d, %s)`, conv.ID, jsString(bob.Handle)))
	nb := await[string](pb, fmt.Sprintf(`window.sg.safetyNumber(%d, %s)`, conv.ID, jsString(alice.Handle)))
	if na != nb || len(strings.ReplaceAll(na, " ", "")) != 60 {
		t.Errorf("safety numbers %q and %q", na, nb)
	}

	t.Logf("safety number %s", na)
	// The database holds neither the text nor the photo.
	secrets := map[string][]byte{"the text": []byte(text), "the photo": photo,
		"the photo's pixels": photo[len(photo)/2 : len(photo)/2+64], "the photo in base64": []byte(base64.StdEncoding.EncodeToString(photo)[:64])}
	if found := s.leaks(t, secrets); len(found) > 0 {
		t.Errorf("plaintext in the database: %s", strings.Join(found, "; "))
	}

	// Bob reports Alice's message; the server verifies its franking and a
	// case opens.
	rep := await[struct {
		DetectionID int64  `json:"detection_id"`
		Status      string `json:"status"`
	}](pb, fmt.Sprintf(`window.sg.report(%d, %d, 'mean_or_threatening', '')`, conv.ID, sent.ID))
	if rep.DetectionID == 0 || rep.Status != "received" {
		t.Fatalf("report: %+v", rep)
	}
	s.waitForFrankingCase(t, rep.DetectionID, sent.ID)

	// A second report of the same message is refused with a sentence.
	msg := await[string](pb, fmt.Sprintf(`window.sg.report(%d, %d, 'mean_or_threatening', '').then(() => 'reported twice', e => e.message)`, conv.ID, sent.ID))
	if msg != "This message has already been reported." {
		t.Errorf("second report: %q", msg)
	}

	// IndexedDB holds Bob's device sealed: not the text, not the photo.
	sealed := await[string](pb, fmt.Sprintf(`new Promise((resolve, reject) => {
		const r = indexedDB.open('safeguard-e2ee');
		r.onsuccess = () => {
			const q = r.result.transaction('devices').objectStore('devices').get(%s);
			q.onsuccess = () => { let s = ''; for (const x of q.result.sealed) s += String.fromCharCode(x); resolve(btoa(s)); };
			q.onerror = () => reject(q.error);
		};
		r.onerror = () => reject(r.error);
	})`, jsString(s.url+"#"+fmt.Sprint(accountID(t, bob)))))
	kept, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || !bytes.HasPrefix(kept, []byte("SGKB")) {
		t.Fatalf("IndexedDB holds %d bytes (%.8q): %v", len(kept), kept, err)
	}
	for what, secret := range secrets {
		if bytes.Contains(kept, secret) {
			t.Errorf("%s in IndexedDB", what)
		}
	}

	// A second tab of Bob's browser cannot open the same device while the
	// first has it.
	other, cancel := chromedp.NewContext(pb.ctx)
	defer cancel()
	second := &tab{t: t, ctx: other, name: "bob's second tab"}
	second.do("open the app", chromedp.Navigate(s.url+"/"))
	refused := await[string](second, fmt.Sprintf(`(async () => {
		const E = await import('/js/e2ee.js');
		const e = await E.load({token: %s, base: location.origin});
		return e.unlock("bob's long passphrase").then(() => 'unlocked', e => e.message);
	})()`, jsString(bob.Token)))
	if !strings.Contains(refused, "open in another Safeguard tab") {
		t.Errorf("a second tab: %q", refused)
	}
	cancel()

	// After a reload (the page forgets everything but IndexedDB), a wrong
	// passphrase is refused with a sentence, and the right one opens the
	// same device with its history: the server no longer holds the text.
	pb.do("reload", chromedp.Navigate(s.url+"/"))
	wrong := await[string](pb, fmt.Sprintf(`(async () => {
		const E = await import('/js/e2ee.js');
		window.sg = await E.load({token: %s, base: location.origin});
		return window.sg.unlock('not bob\'s passphrase').then(() => 'unlocked', e => e.message + ' / ' + e.code);
	})()`, jsString(bob.Token)))
	if wrong != "That passphrase does not unlock this device's keys. / e2ee_wrong_passphrase" {
		t.Errorf("wrong passphrase: %q", wrong)
	}
	if again := pb.unlockE2EE(s.url, bob.Token, "bob's long passphrase"); again != bobDevice {
		t.Errorf("after the reload the device is %q, not %q", again, bobDevice)
	}
	if got := pb.decrypt(conv.ID, sent.ID); got.Text != text {
		t.Errorf("bob's history after the reload: %+v", got)
	}
}

func accountID(t *testing.T, c *client.Client) int64 {
	t.Helper()
	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return me.ID
}

// waitForFrankingCase waits until a case holds the detection, and checks
// that the detection is a verified franking report of the message.
func (s *e2eeServer) waitForFrankingCase(t *testing.T, detectionID, messageID int64) {
	t.Helper()
	var detail string
	q := `SELECT detail FROM detections WHERE id = ` + fmt.Sprint(detectionID)
	if err := s.raw.QueryRowContext(t.Context(), q).Scan(&detail); err != nil {
		t.Fatalf("detection %d: %v", detectionID, err)
	}
	var d struct {
		VerifiedBy string `json:"verified_by"`
		Delivery   struct {
			MessageID int64 `json:"message_id"`
		} `json:"delivery"`
	}
	if err := json.Unmarshal([]byte(detail), &d); err != nil || d.VerifiedBy != "franking" || d.Delivery.MessageID != messageID {
		t.Errorf("detection detail %s: %v", detail, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		cases, err := s.admin.AdminCases(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			v, err := s.admin.AdminCase(t.Context(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range v.Occurrences {
				if o.DetectionID == detectionID && o.Source == "franking_report" && o.MessageID == messageID {
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no case holds detection %d", detectionID)
}

// TestE2EEBrowserAndTerminal has a browser (e2ee.js over the WebAssembly
// SDK) and `safeguard chat` (the same SDK, native) talk end to end
// encrypted both ways, and agree on their safety number.
func TestE2EEBrowserAndTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium and a chat client against a server")
	}
	for _, storeName := range storesForBrowser() {
		t.Run(storeName, func(t *testing.T) { testE2EEBrowserAndTerminal(t, storeName) })
	}
}

func testE2EEBrowserAndTerminal(t *testing.T, storeName string) {
	s := startE2EEServer(t, storeName)
	b := newBrowser(t)
	alice, bob := s.verifiedAdult(t, "alice"), s.verifiedAdult(t, "bob")
	conv := e2eeChat(t, alice, bob)
	h := regexp.QuoteMeta

	term := startChat(t, "bob", map[string]string{"SAFEGUARD_PASSWORD": "password-bob"},
		"--server", s.url, "--handle", bob.Handle, "--state-dir", filepath.Join(t.TempDir(), "bob"),
		"--device", "BOB-LAPTOP", "--kdf-memory", "64", "--kdf-time", "1")
	term.expect(`Choose a passphrase: `)
	term.typeLine("bob's passphrase here")
	term.expect(`Repeat it: `)
	term.typeLine("bob's passphrase here")
	term.expect(`Type /help`)

	pa := b.person("alice", 1280, 900)
	pa.do("open the app", chromedp.Navigate(s.url+"/"))
	aliceDevice := pa.unlockE2EE(s.url, alice.Token, "alice's long passphrase")

	// Browser to terminal.
	text := "the ferry leaves at ten past nine"
	await[map[string]any](pa, fmt.Sprintf(`window.sg.send(%d, %s)`, conv.ID, jsString(text)))
	term.expect(`new 🔒 message from ` + h(alice.Handle) + ` in conversation ` + itoa(conv.ID))
	term.typeLine("/open " + itoa(conv.ID))
	term.expect(`#\d+ \d\d:\d\d 🔒 ` + h(alice.Handle) + `: ` + h(text))

	// Terminal to browser.
	reply := "see you on the upper deck"
	term.typeLine(reply)
	id, _ := strconv.ParseInt(term.expect(`#(\d+) \d\d:\d\d 🔒 you: ` + h(reply))[1], 10, 64)
	if got := pa.decrypt(conv.ID, id); got.Text != reply || got.Outgoing || got.Sender != bob.Handle {
		t.Errorf("alice read %+v", got)
	}

	// The same safety number in both programs.
	inBrowser := await[string](pa, fmt.Sprintf(`window.sg.safetyNumber(%d, %s)`, conv.ID, jsString(bob.Handle)))
	term.typeLine("/safety")
	inTerminal := term.expect(h(alice.Handle) + `, device ` + aliceDevice + ` \(\w+\):\n\s+((?:\d{5} ){11}\d{5})`)[1]
	if inBrowser != inTerminal {
		t.Errorf("safety numbers differ: browser %q, terminal %q", inBrowser, inTerminal)
	}
	term.typeLine("/quit")
	term.expect(`Bye\.`)
}
