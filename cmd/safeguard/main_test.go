package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// TestMain lets the test binary stand in for the safeguard binary: with
// SAFEGUARD_TEST_MAIN set it runs main with the arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv("SAFEGUARD_TEST_MAIN") == "1" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Args = append([]string{"safeguard"}, args...)
		main()
		return
	}
	os.Exit(m.Run())
}

func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = run(t.Context(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestUsage(t *testing.T) {
	out, _, code := runCmd(t, nil, "-h")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "demo") {
		t.Errorf("-h: %d\n%s", code, out)
	}
	_, errOut, code := runCmd(t, nil, "nonsense")
	if code != 2 || !strings.Contains(errOut, `unknown command "nonsense"`) {
		t.Errorf("unknown command: %d %s", code, errOut)
	}
	out, _, code = runCmd(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "safeguard ") {
		t.Errorf("version: %d %q", code, out)
	}
	out, _, code = runCmd(t, nil, "serve", "-h")
	for _, want := range []string{"--addr", "SAFEGUARD_ADDR", "--data", "SAFEGUARD_DATA", "--db", "SAFEGUARD_DB", "--encryption", "(default nspcc)"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve -h lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("serve -h exit %d", code)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	_, errOut, code := runCmd(t, map[string]string{"SAFEGUARD_ENCRYPTION": "sometimes", "SAFEGUARD_ADDR": "127.0.0.1:0",
		"SAFEGUARD_DATA": t.TempDir()}, "serve")
	if code != 1 || !strings.Contains(errOut, `--encryption "sometimes"`) {
		t.Errorf("env flag not read: %d %s", code, errOut)
	}
	_, errOut, code = runCmd(t, map[string]string{"SAFEGUARD_LIMIT_MESSAGES": "lots"}, "serve")
	if code != 2 || !strings.Contains(errOut, "SAFEGUARD_LIMIT_MESSAGES") {
		t.Errorf("bad env value: %d %s", code, errOut)
	}
	_, _, code = runCmd(t, nil, "serve", "--no-such-flag")
	if code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo story takes a few seconds")
	}
	out, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", t.TempDir(), "--argon2-memory", "64", "--argon2-time", "1")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"stranger asks to add leo:                  404 account_not_found",
		"stranger asks to add nobody_has_this_name: 404 account_not_found",
		"stranger signs up as nobody.42:            400 invalid_handle",
		"403 e2ee_requires_verified_adults",
		"This chat includes a young person, so it is not end-to-end encrypted.",
		"e2ee=true",
		"maya is now active",
		"403 recipient_unavailable",
		"Leo sees: \"Some messages in this chat look like they could put you at risk.",
		"Call Childline free on 0800 1111",
		"The warning is kept: whenever Leo opens the chat, even after logging in later, it is under \"gg last night!",
		"grooming.image_request.secrecy",
		"his app shows \"sent\".",
		"the link never reached him",
		`What uncle_raj's laptop reads (decrypted on the device, franking checked): "Are we still on for the climbing wall on Sunday?"`,
		"the server drops the envelope: 0 bytes left",
		"verified; detection",
		"The same report with the text changed: 400 report_unverifiable",
		"The same report again:                409 report_duplicate",
		"demo-moderator logs in at http://127.0.0.1:",
		"priority 2, user report, harassment, open",
		// The platform's own statistics: five cases in Bedfordshire (the
		// risk alert, the held link and the known image to leo, his two
		// reports), one in Cambridgeshire (the franking report between two
		// adults), one in Norfolk (joanne's report of the stranger); one
		// reported. Published with the small counts suppressed.
		"     Bedfordshire                      5                                     1",
		"     Cambridgeshire                    1                                     0",
		"     Norfolk                           1                                     0",
		"     Total (3 police force areas)      7                                     1",
		"     Bedfordshire                  withheld                                    <3",
		"     Cambridgeshire                      <3                                     0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The story ends with how to click through it in the web app: its
	// address and each account's handle and password.
	if !strings.Contains(out, "Click through the story in the web app: http://127.0.0.1:") {
		t.Errorf("demo output lacks the web app's address")
	}
	for _, nick := range []string{"sam", "maya", "leo", "uncle_raj", "joanne", "stranger", "gamer_vic", "coach_dan", "tutor_ed"} {
		if !regexp.MustCompile(`(?m)^   ` + nick + `\.\d+ +` + regexp.QuoteMeta(demoPassword) + ` +\S`).MatchString(out) {
			t.Errorf("demo output lacks %s's handle and password", nick)
		}
	}
	if m := regexp.MustCompile(`(?m)^   \S+ +` + regexp.QuoteMeta(demoPassword) + ` *$`).FindString(out); m != "" {
		t.Errorf("a person of the story has no line in demoGuide: %q", m)
	}
	// Asking for leo's whole handle answers as for one nobody has.
	if !regexp.MustCompile(`stranger signs up as leo\.\d\d: +400 invalid_handle`).MatchString(out) {
		t.Errorf("demo output lacks the sign-up as leo's handle")
	}
}

// TestKillUnderLoad starts the real server as a separate process on SQLite,
// sends messages from several senders, kills the server with SIGKILL in the
// middle, restarts it on the same database, and checks that every message
// the server acknowledged is there.
func TestKillUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a server process")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "crash.db")
	env := []string{"SAFEGUARD_TEST_MAIN=1", "SAFEGUARD_ADMIN_TOKEN=t", "SAFEGUARD_ARGON2_MEMORY=64", "SAFEGUARD_ARGON2_TIME=1",
		"SAFEGUARD_LIMIT_MESSAGES=0"}
	url, proc := startServer(t, dir, db, env)

	ctx := t.Context()
	const pairs = 4
	type sender struct {
		c    *client.Client
		conv int64
	}
	var senders []sender
	for i := range pairs {
		a, b := newUser(t, url, fmt.Sprintf("crash_a%d", i)), newUser(t, url, fmt.Sprintf("crash_b%d", i))
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
		senders = append(senders, sender{a, conv.ID}, sender{b, conv.ID})
	}

	var mu sync.Mutex
	acked := map[int64]int64{} // message ID → conversation
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m, err := s.c.SendText(context.Background(), s.conv, fmt.Sprintf("msg %d", i))
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[m.ID] = s.conv
				mu.Unlock()
			}
		}()
	}
	// Kill once enough messages are acknowledged.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	proc.Process.Signal(syscall.SIGKILL)
	proc.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d messages acknowledged before the kill", len(acked))
	}

	url, _ = startServer(t, dir, db, env)
	found := map[int64]bool{}
	for i := range pairs {
		c := client.New(url)
		if _, err := c.Login(ctx, senders[2*i].c.Handle, "crash test password"); err != nil {
			t.Fatal(err)
		}
		q := client.HistoryQuery{Limit: 200}
		for {
			page, err := c.History(ctx, senders[2*i].conv, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page.Messages {
				found[m.ID] = true
			}
			if page.Next == 0 {
				break
			}
			q.Before = page.Next
		}
	}
	lost := 0
	for id := range acked {
		if !found[id] {
			lost++
		}
	}
	t.Logf("%d messages acknowledged before SIGKILL, %d stored after restart", len(acked), len(found))
	if lost > 0 {
		t.Fatalf("%d acknowledged messages lost", lost)
	}
}

// newUser signs up and logs in an adult with the nickname; the client's
// Handle is the handle the server gave it.
func newUser(t *testing.T, url, nickname string) *client.Client {
	t.Helper()
	c := client.New(url)
	a, err := c.SignUp(t.Context(), client.SignUpRequest{Nickname: nickname, Password: "crash test password", BirthDate: "1990-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), a.Handle, "crash test password"); err != nil {
		t.Fatal(err)
	}
	return c
}

// serverArgs are the arguments of "safeguard serve" on a free port with
// everything it writes (database db, media, evidence, reports, keys) in dir,
// and no metrics listener.
func serverArgs(dir, db string) []string {
	// Each part is named (not --data alone), so that the memory test can run
	// an earlier build of the server the same way.
	return []string{"serve", "--addr", "127.0.0.1:0", "--db", db,
		"--media", filepath.Join(dir, "media"), "--evidence-dir", filepath.Join(dir, "evidence"),
		"--report-dir", filepath.Join(dir, "reports"), "--franking-keys-file", filepath.Join(dir, "franking.keys"),
		"--guardian-key-file", filepath.Join(dir, "guardian.key"), "--metrics-addr", ""}
}

// startServer runs "safeguard serve" as a child process on a free port and
// returns its URL once it is ready.
func startServer(t *testing.T, dir, db string, env []string) (string, *exec.Cmd) {
	t.Helper()
	return runServer(t, "", serverArgs(dir, db), env)
}

// runServer runs bin with args (this test binary as the safeguard command
// when bin is empty), killed when the test ends, and returns the URL the
// server logs once it is serving.
func runServer(t *testing.T, bin string, args, env []string) (string, *exec.Cmd) {
	t.Helper()
	if bin == "" {
		bin, args = os.Args[0], append([]string{"-test.run=^$", "--"}, args...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "url="); i >= 0 && strings.Contains(line, "serving") {
				urls <- strings.Fields(line[i+4:])[0]
			}
		}
	}()
	select {
	case u := <-urls:
		return u, cmd
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
		return "", nil
	}
}

// TestCommandsListedOnce keeps the top-level help free of repeats.
func TestCommandsListedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("command %q is listed twice", c.name)
		}
		seen[c.name] = true
	}
}
