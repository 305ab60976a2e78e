package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// TestMemoryUnderLoad starts the real server as a separate process on
// SQLite, with its default memory budgets, and wears at it as an attacker
// would: 400 sign-ups, 200 at a time, each an argon2id hash of 19 MiB; then
// 20 uploads at once of a small PNG that declares 7000×7000 pixels (49
// megapixels, under the 50-megapixel limit). The server's peak resident
// memory (VmHWM) must stay under 1 GiB. It takes a minute or two, so it
// runs only with SAFEGUARD_TEST_MEMORY=1 (a step of its own in CI);
// SAFEGUARD_TEST_MEMORY_BINARY runs another build of the server instead,
// to measure it the same way, and SAFEGUARD_TEST_MEMORY_PHASE=uploads (or
// signups) runs one of the two alone.
func TestMemoryUnderLoad(t *testing.T) {
	if os.Getenv("SAFEGUARD_TEST_MEMORY") != "1" {
		t.Skip("set SAFEGUARD_TEST_MEMORY=1 to run the memory test")
	}
	const (
		signUps, signUpsAtOnce = 400, 200
		uploads                = 20
		side                   = 7000
		limit                  = 1 << 30
	)
	dir := t.TempDir()
	url, pid := startMeasuredServer(t, dir)
	ctx := t.Context()
	base := vm(t, pid, "VmRSS")

	phase := os.Getenv("SAFEGUARD_TEST_MEMORY_PHASE")
	var afterSignUps, afterUploads int64
	var wg sync.WaitGroup
	if phase == "" || phase == "signups" {
		// Sign-ups, as from 200 addresses at once: the per-address limit is
		// off, so that every request reaches the password hash.
		statuses := newTally()
		sem := make(chan struct{}, signUpsAtOnce)
		start := time.Now()
		for i := range signUps {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				_, err := client.New(url).SignUp(ctx, client.SignUpRequest{Handle: fmt.Sprintf("load%03d", i),
					Password: "memory test password", BirthDate: "1990-01-01"})
				statuses.add(err)
			}()
		}
		wg.Wait()
		signUpTime := time.Since(start)
		afterSignUps = vm(t, pid, "VmHWM")
		t.Logf("sign-ups: %d, %d at once, in %s: %s; peak RSS %s", signUps, signUpsAtOnce, signUpTime.Round(time.Millisecond), statuses, mib(afterSignUps))
	}
	if phase == "" || phase == "uploads" {
		afterUploads = uploadLarge(t, url, pid, uploads, side)
	}
	t.Logf("resident memory: %s at start, peak %s during the sign-ups, peak %s during the uploads (limit %s)",
		mib(base), mib(afterSignUps), mib(afterUploads), mib(limit))
	if peak := max(afterSignUps, afterUploads); peak >= limit {
		t.Errorf("peak resident memory %s, want under %s", mib(peak), mib(limit))
	}
}

// uploadLarge has one adult send another the same side×side PNG n times
// at once, and returns the server's peak resident memory meanwhile.
func uploadLarge(t *testing.T, url string, pid, n, side int) int64 {
	t.Helper()
	ctx := t.Context()
	// The uploads' own peak: writing 5 to clear_refs resets VmHWM.
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Logf("peak not reset (%v): the uploads' peak includes the sign-ups'", err)
	}

	// Two adults in a chat; one sends the same large image 20 times at once.
	a, b := loadUser(t, url, "loadsender"), loadUser(t, url, "loadreceiver")
	bMe, err := b.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req, err := a.RequestContact(ctx, bMe.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcceptContact(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	conv, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{bMe.Handle}})
	if err != nil {
		t.Fatal(err)
	}
	data := largePNG(t, side)
	statuses := newTally()
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.SendImage(ctx, conv.ID, "large.png", "image/png", data, "")
			statuses.add(err)
		}()
	}
	wg.Wait()
	peak := vm(t, pid, "VmHWM")
	t.Logf("uploads: %d at once of a %d-byte %d×%d PNG, in %s: %s", n, len(data), side, side,
		time.Since(start).Round(time.Millisecond), statuses)
	return peak
}

// startMeasuredServer runs "safeguard serve" on SQLite in dir as a child
// process and returns its URL and process id once it is ready.
func startMeasuredServer(t *testing.T, dir string) (string, int) {
	t.Helper()
	u, cmd := runServer(t, os.Getenv("SAFEGUARD_TEST_MEMORY_BINARY"), serverArgs(dir, filepath.Join(dir, "load.db")),
		[]string{"SAFEGUARD_TEST_MAIN=1", "SAFEGUARD_LIMIT_SIGNUP_ADDRESS=0", "SAFEGUARD_LIMIT_MESSAGES=0"})
	return u, cmd.Process.Pid
}

// vm reads a memory figure of pid (VmRSS, VmHWM) in bytes.
func vm(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

func loadUser(t *testing.T, url, handle string) *client.Client {
	t.Helper()
	c := client.New(url)
	acct, err := c.SignUp(t.Context(), client.SignUpRequest{Handle: handle, Password: "memory test password", BirthDate: "1990-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), acct.Handle, "memory test password"); err != nil {
		t.Fatal(err)
	}
	return c
}

// largePNG is a side×side synthetic picture, smooth gradients with a fine
// texture, which PNG compresses to a few hundred kilobytes.
func largePNG(t *testing.T, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		row := img.Pix[y*img.Stride:]
		for x := range side {
			row[4*x+0] = byte(x * 255 / side)
			row[4*x+1] = byte(y * 255 / side)
			row[4*x+2] = byte((x/50 + y/50) % 2 * 64)
			row[4*x+3] = 255
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tally counts answers by status.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func newTally() *tally { return &tally{n: map[string]int{}} }

func (c *tally) add(err error) {
	k := "ok"
	var ae *client.APIError
	switch {
	case errors.As(err, &ae):
		k = strconv.Itoa(ae.Status) + " " + ae.Code
	case err != nil:
		k = err.Error()
	}
	c.mu.Lock()
	c.n[k]++
	c.mu.Unlock()
}

func (c *tally) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for k, v := range c.n {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, v))
	}
	return strings.Join(parts, ", ")
}
