package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/web"
)

var consoleFormToken = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleLogin posts the console's login form to srv as a fresh browser,
// and returns the status and the Retry-After header.
func consoleLogin(t *testing.T, srv *running, name, password string) (status int, retryAfter string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.url + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := consoleFormToken.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the login page (%d)", resp.StatusCode)
	}
	resp, err = c.PostForm(srv.url+"/console/login", url.Values{"name": {name}, "password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestClusterConsoleLogin: a password guesser who spreads guesses over
// two servers gets what one server gives: five wrong passwords for a
// moderator, through A and B in turn, and the sixth is refused on both,
// with the wait one server gives.
func TestClusterConsoleLogin(t *testing.T) {
	cl := startCluster(t, 2, nil)
	a, b := cl.nodes[0], cl.nodes[1]
	const password = "a moderator's long password"
	if _, err := a.mods.Add(t.Context(), moderators.Operator, "cluster_mod", safeguard.RoleModerator, password); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		if status, _ := consoleLogin(t, srv, "cluster_mod", "wrong password "+strconv.Itoa(i)); status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, status)
		}
	}
	for _, srv := range []*running{b, a} {
		// The right password too: the guesser cannot tell it. The wait is
		// the limit per name and address's (an attempt every 3 minutes),
		// not the address's own (every 30 seconds).
		status, retry := consoleLogin(t, srv, "cluster_mod", password)
		if secs, _ := strconv.Atoi(retry); status != http.StatusTooManyRequests || secs <= 30 || secs > 180 {
			t.Fatalf("sixth attempt on %s: %d, Retry-After %q; want 429 and about 180", srv.url, status, retry)
		}
	}
}

// openStream opens c's live event stream on srv, and returns its events
// and the function that closes it.
func openStream(t *testing.T, c *client.Client, srv *running) (<-chan client.Event, context.CancelFunc, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := on(c, srv).Events(ctx)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	t.Cleanup(cancel)
	return ch, cancel, nil
}

// TestClusterStreamCaps: the caps on live event streams per account and
// per address count both servers' streams, with the semantics of one: a
// stream over the account's cap replaces the account's oldest on the other
// server; over the address's cap it replaces a spare stream there, its
// own first, or is refused when every stream there is another account's
// only one; a stream closed on one server frees its place for the other.
// (Every client of the test is at 127.0.0.1: one address.)
func TestClusterStreamCaps(t *testing.T) {
	cl := startCluster(t, 2, func(c *serveConfig) {
		c.maxStreamsPerAccount, c.maxStreamsPerAddress = 2, 3
	})
	a, b := cl.nodes[0], cl.nodes[1]
	x, y := newUser(t, a.url, "caps_x"), newUser(t, a.url, "caps_y")
	z, w := newUser(t, a.url, "caps_z"), newUser(t, a.url, "caps_w")
	open := func(c *client.Client, srv *running) (<-chan client.Event, context.CancelFunc) {
		t.Helper()
		ch, cancel, err := openStream(t, c, srv)
		if err != nil {
			t.Fatalf("open a stream of %s on %s: %v", c.Handle, srv.url, err)
		}
		return ch, cancel
	}
	replaced := func(ch <-chan client.Event) {
		t.Helper()
		nextEvent(t, ch, "stream.replaced")
		for range ch { // the stream ends after it
		}
	}

	x1, _ := open(x, b)
	x2, _ := open(x, a)
	x3, closeX3 := open(x, a) // x's third: x1, on B, is replaced
	replaced(x1)

	// The address holds x's two; y's makes three.
	y1, _ := open(y, b)
	// z's: the address is full; x holds the most there, and its oldest
	// (on A) goes.
	_, _ = open(z, a)
	replaced(x2)
	// w's: every stream there is its account's only one (x3, y1, z1).
	_, _, err := openStream(t, w, b)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || ae.Code != "too_many_streams" {
		t.Fatalf("a fourth account's stream at a full address: %v, want 429 too_many_streams", err)
	}
	// y's second, on A: its own oldest there (on B) goes.
	_, _ = open(y, a)
	replaced(y1)
	// x3 closes on A: w's stream on B gets its place.
	closeX3()
	for range x3 {
	}
	waitFor(t, "w's stream after x3 closed", func() bool {
		_, _, err := openStream(t, w, b)
		return err == nil
	})
}

// TestStoreStreams: the registry of live streams in the store, for two
// servers on one database: a stream one server's Open ends is gone from
// the other's Renew; a stream not renewed for streamTTL (its server died)
// stops counting, and counts again if its server renews it before
// streamKeep; a refusal stores nothing; on both stores.
func TestStoreStreams(t *testing.T) {
	for name, newDB := range bankDBs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st, err := openStore(t.Context(), newDB(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			ctx := t.Context()
			var mu sync.Mutex
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			a, b := storeStreams{st: st, node: "a", now: clock}, storeStreams{st: st, node: "b", now: clock}
			var seen []web.OpenStream
			open := func(r storeStreams, account int64, end func([]web.OpenStream) []web.OpenStream) int64 {
				t.Helper()
				id, err := r.Open(ctx, account, "192.0.2.1", func(atAddress, ofAccount []web.OpenStream) ([]web.OpenStream, error) {
					seen = atAddress
					return end(atAddress), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			none := func([]web.OpenStream) []web.OpenStream { return nil }
			renew := func(r storeStreams, ids ...int64) []int64 {
				t.Helper()
				live, err := r.Renew(ctx, ids)
				if err != nil {
					t.Fatal(err)
				}
				return live
			}

			id1 := open(a, 1, none)
			id2 := open(b, 2, func(l []web.OpenStream) []web.OpenStream { return l }) // ends id1
			if len(seen) != 1 || seen[0] != (web.OpenStream{ID: id1, Account: 1}) {
				t.Fatalf("B's Open saw %v, want A's stream %d", seen, id1)
			}
			if live := renew(a, id1); len(live) != 0 {
				t.Fatalf("A renewed %v, a stream B ended", live)
			}
			if live := renew(b, id2); len(live) != 1 || live[0] != id2 {
				t.Fatalf("B renewed %v, want [%d]", live, id2)
			}
			// B dies: past streamTTL its stream no longer counts.
			advance(streamTTL + time.Second)
			id3 := open(a, 3, none)
			if len(seen) != 0 {
				t.Fatalf("A's Open after B's streams expired saw %v", seen)
			}
			// B was only cut off: it renews its stream, which counts again.
			if live := renew(b, id2); len(live) != 1 {
				t.Fatalf("B renewed %v after a short outage, want [%d]", live, id2)
			}
			open(a, 4, none)
			if len(seen) != 2 || seen[0].ID != id2 || seen[1].ID != id3 {
				t.Fatalf("A's Open saw %v, want %d and %d", seen, id2, id3)
			}
			// A refusal stores nothing.
			refused := errors.New("refused")
			if _, err := a.Open(ctx, 5, "192.0.2.1", func(_, _ []web.OpenStream) ([]web.OpenStream, error) { return nil, refused }); !errors.Is(err, refused) {
				t.Fatalf("a refused Open: %v", err)
			}
			open(a, 6, none)
			if len(seen) != 3 {
				t.Fatalf("after a refusal the address holds %d streams, want 3", len(seen))
			}
			// Past streamKeep a stream never renewed is forgotten.
			advance(streamKeep + streamTTL + time.Second)
			renew(a)
			if live := renew(b, id2); len(live) != 0 {
				t.Fatalf("B renewed %v after streamKeep", live)
			}
		})
	}
}

// TestClusterReportOnce: a report sent many times at once, through both
// servers, is stored once: every answer names the one report.
func TestClusterReportOnce(t *testing.T) {
	cl := startCluster(t, 2, nil)
	a, b := cl.nodes[0], cl.nodes[1]
	ctx := t.Context()
	adult, teen, conv := teenAndAdult(t, a)
	m, err := adult.SendText(ctx, conv, "are you on your own this weekend")
	if err != nil {
		t.Fatal(err)
	}
	const tries = 10
	ids := make([]int64, tries)
	var wg sync.WaitGroup
	for i := range tries {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		wg.Go(func() {
			rec, err := on(teen, srv).Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "mean_or_threatening"})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = rec.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one report sent %d times at once was stored as reports %v", tries, ids)
		}
	}
}
