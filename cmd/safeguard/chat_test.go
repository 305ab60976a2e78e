package main

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// startTestServer runs the server in this process on a fresh SQLite file.
func startTestServer(t *testing.T) (url string, admin *client.Client) {
	t.Helper()
	return startTestServerWith(t, nil)
}

// startTestServerWith is startTestServer with the configuration changed by
// tweak first (nil: as it is).
func startTestServerWith(t *testing.T, tweak func(*serveConfig)) (url string, admin *client.Client) {
	t.Helper()
	dir := t.TempDir()
	var c serveConfig
	bindServeFlags(flag.NewFlagSet("test", flag.ContinueOnError), &c, true)
	c.addr, c.db, c.mediaDir = "127.0.0.1:0", filepath.Join(dir, "x.db"), filepath.Join(dir, "media")
	c.frankingKeysFile = filepath.Join(dir, "franking.keys")
	c.guardianKeyFile, c.metricsAddr = filepath.Join(dir, "guardian.key"), ""
	c.cases.evidenceDir, c.cases.reportDir = filepath.Join(dir, "evidence"), filepath.Join(dir, "reports")
	c.adminToken = "operator-token"
	c.argon2.MemoryKiB, c.argon2.Time = 64, 1
	if tweak != nil {
		tweak(&c)
	}
	srv, err := start(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })
	return srv.url, &client.Client{BaseURL: srv.url, Token: c.adminToken}
}

// screen is what a chat process printed, which a test waits on.
type screen struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newScreen() *screen { return &screen{changed: make(chan struct{}, 1)} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the screen matches re (after position from) and
// returns the match and where it ends.
func (s *screen) waitFor(t *testing.T, from int, re string) ([]string, int) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(20 * time.Second)
	for {
		text := s.String()
		if loc := rx.FindStringSubmatchIndex(text[from:]); loc != nil {
			var groups []string
			for i := 0; i < len(loc); i += 2 {
				if loc[i] >= 0 {
					groups = append(groups, text[from+loc[i]:from+loc[i+1]])
				}
			}
			return groups, from + loc[1]
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("waited for %q; the screen shows:\n%s", re, text[from:])
		}
	}
}

// terminal is one `safeguard chat` process, driven through its stdin.
type terminal struct {
	t      *testing.T
	name   string
	in     *io.PipeWriter
	screen *screen
	pos    int
	done   chan int
	once   sync.Once
	code   int
}

// wait waits for the chat to end and returns its exit code.
func (tm *terminal) wait() int {
	tm.once.Do(func() { tm.code = <-tm.done })
	return tm.code
}

func startChat(t *testing.T, name string, env map[string]string, args ...string) *terminal {
	t.Helper()
	r, w := io.Pipe()
	term := &terminal{t: t, name: name, in: w, screen: newScreen(), done: make(chan int, 1)}
	getenv := func(k string) string { return env[k] }
	errOut := newScreen()
	go func() {
		code := run(context.WithoutCancel(t.Context()), append([]string{"chat"}, args...), getenv, r, term.screen, errOut)
		if code != 0 {
			term.screen.Write([]byte("EXIT " + errOut.String()))
		}
		term.done <- code
	}()
	t.Cleanup(func() {
		w.Close()
		term.wait()
	})
	return term
}

func (tm *terminal) typeLine(line string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.in, line+"\n"); err != nil {
		tm.t.Fatalf("%s: type %q: %v", tm.name, line, err)
	}
}

// expect waits for re after what the previous expectation matched.
func (tm *terminal) expect(re string) []string {
	tm.t.Helper()
	groups, end := tm.screen.waitFor(tm.t, tm.pos, re)
	tm.pos = end
	return groups
}

func TestChat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two chat clients against a server")
	}
	ctx := t.Context()
	url, admin := startTestServer(t)
	// Three accounts through the API: two verified adults, and a teen who
	// is the first one's contact.
	people := map[string]*client.Client{}
	for _, p := range []struct {
		handle string
		age    int
	}{{"alice", 40}, {"bob", 35}, {"leo", 15}} {
		c := client.New(url)
		a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: p.handle, Password: "password-" + p.handle,
			BirthDate: time.Now().AddDate(-p.age, 0, -1).Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, a.Handle, "password-"+p.handle); err != nil {
			t.Fatal(err)
		}
		if p.age >= 18 {
			if _, err := admin.SetAgeAssurance(ctx, a.ID, "verified"); err != nil {
				t.Fatal(err)
			}
		}
		people[p.handle] = c
	}
	for _, other := range []string{"bob", "leo"} {
		req, err := people[other].RequestContact(ctx, people["alice"].Handle)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := people["alice"].AcceptContact(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
	}
	family, err := people["alice"].CreateConversation(ctx, client.ConversationRequest{Members: []string{people["leo"].Handle}})
	if err != nil {
		t.Fatal(err)
	}

	stateDirs := t.TempDir()
	chatFor := func(nickname string) *terminal {
		return startChat(t, nickname, map[string]string{"SAFEGUARD_PASSWORD": "password-" + nickname},
			"--server", url, "--handle", people[nickname].Handle, "--state-dir", filepath.Join(stateDirs, nickname),
			"--device", strings.ToUpper(nickname)+"-LAPTOP", "--kdf-memory", "64", "--kdf-time", "1")
	}
	// h is the handle of one of the people, as a pattern for expect.
	h := func(nickname string) string { return regexp.QuoteMeta(people[nickname].Handle) }
	alice := chatFor("alice")
	// A new device asks for its passphrase twice.
	alice.expect(`Choose a passphrase: `)
	alice.typeLine("alice's long passphrase")
	alice.expect(`Repeat it: `)
	alice.typeLine("alice's long passphrase")
	alice.expect(`This device is ALICE-LAPTOP`)
	alice.expect(`Type /help`)

	bob := chatFor("bob")
	bob.expect(`Choose a passphrase: `)
	bob.typeLine("bob's passphrase here")
	bob.typeLine("bob's passphrase here")
	bob.expect(`Type /help`)

	// Alice starts an end-to-end encrypted chat with Bob; the list shows
	// the padlock, and the chat with Leo says why it is not encrypted.
	alice.typeLine("/new e2ee " + people["bob"].Handle)
	alice.expect(`— ` + h("bob") + ` \(🔒 end-to-end encrypted\)`)
	alice.typeLine("/list")
	alice.expect(`\[\d+\] ` + h("leo") + `\s+young person — not end-to-end encrypted`) // the older conversation first
	alice.expect(`\[\d+\] ` + h("bob") + `\s+🔒 end-to-end encrypted`)
	alice.typeLine("hello bob, only we can read this")
	alice.expect(`#\d+ \d\d:\d\d 🔒 you: hello bob, only we can read this`)

	bob.expect(`new 🔒 message from ` + h("alice") + ` in conversation (\d+)`)
	bob.typeLine("/list")
	id := bob.expect(`\[(\d+)\] ` + h("alice") + `\s+🔒 end-to-end encrypted`)[1]
	bob.typeLine("/open " + id)
	bob.expect(`#\d+ \d\d:\d\d 🔒 ` + h("alice") + `: hello bob, only we can read this`)

	// Bob sends an image from a file; Alice's client decrypts and saves it.
	img := filepath.Join(t.TempDir(), "hills.png")
	if err := os.WriteFile(img, pngBytes(t), 0o600); err != nil {
		t.Fatal(err)
	}
	bob.typeLine("/image " + img + " the view from the top")
	bob.expect(`🔒 you: \[image .*\] the view from the top`)
	saved := alice.expect(`#(\d+) \d\d:\d\d 🔒 ` + h("bob") + `: \[image (\S+), (\d+) bytes\] the view from the top`)
	got, err := os.ReadFile(saved[2])
	if err != nil || !bytes.Equal(got, pngBytes(t)) {
		t.Errorf("alice's saved image: %v", err)
	}

	// Safety numbers are the same on both sides.
	alice.typeLine("/safety")
	an := alice.expect(h("bob") + `, device BOB-LAPTOP \(\w+\):\n\s+((?:\d{5} ){11}\d{5})`)[1]
	bob.typeLine("/safety")
	bn := bob.expect(h("alice") + `, device ALICE-LAPTOP \(\w+\):\n\s+((?:\d{5} ){11}\d{5})`)[1]
	if an != bn {
		t.Errorf("safety numbers differ:\n%s\n%s", an, bn)
	}
	bob.typeLine("/verify " + people["alice"].Handle + " ALICE-LAPTOP")
	bob.expect(h("alice") + `'s device ALICE-LAPTOP is verified`)

	// Bob reports Alice's first message; the server verifies it.
	msgID := regexp.MustCompile(`#(\d+) \d\d:\d\d 🔒 ` + h("alice") + `: hello bob`).FindStringSubmatch(bob.screen.String())[1]
	bob.typeLine("/report " + msgID + " mean_or_threatening")
	bob.expect(`Reported\. The message was verified and sent to the moderators \(reference \d+\)`)
	bob.typeLine("/report " + msgID)
	bob.expect(`! This message has already been reported\.`)

	// In the chat with Leo, Alice's messages are plain, and Leo sees them.
	alice.typeLine("/open " + itoa(family.ID))
	alice.expect(`This chat includes a young person, so it is not end-to-end encrypted`)
	alice.typeLine("homework club is at four")
	alice.expect(`#\d+ \d\d:\d\d you: homework club is at four`)
	page, err := people["leo"].History(ctx, family.ID, client.HistoryQuery{})
	if err != nil || len(page.Messages) != 1 || page.Messages[0].Text != "homework club is at four" {
		t.Errorf("leo's history: %+v, %v", page, err)
	}

	alice.typeLine("/quit")
	alice.expect(`Bye\.`)
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's chat exit %d", code)
	}

	// Alice comes back on the same device: one passphrase, and her history
	// is still there although the server no longer holds it.
	alice2 := chatFor("alice")
	alice2.expect(`Passphrase for this device's keys: `)
	alice2.typeLine("alice's long passphrase")
	alice2.expect(`This device is ALICE-LAPTOP`)
	alice2.typeLine("/open " + id)
	alice2.expect(`🔒 you: hello bob, only we can read this`)
	alice2.expect(`🔒 ` + h("bob") + `: \[image .*\] the view from the top`)
	alice2.typeLine("/quit")
	alice2.expect(`Bye\.`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// pngBytes is a small synthetic image with texture.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for y := range 24 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{R: byte(x * 8), G: byte(y * 10), B: byte(x * y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
