package urls

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety/safetytest"
	"github.com/safeguard-dev/safeguard/internal/store"
)

func TestURLScanner(t *testing.T) {
	w := safetytest.New(t, openSQLite(t), t0)
	ctx := t.Context()
	l, err := Import(ctx, w.Store, ListImport{Name: "iwf", Source: "IWF URL List"}, "list.txt", []byte(testList), t0)
	if err != nil {
		t.Fatal(err)
	}
	s := newScanner(t, Config{}, Deps{Store: w.Store})
	a, b := w.Account("a", 30), w.Account("b", 31)
	c := w.Conversation(false, a, b)

	for _, text := range []string{"no link here", "see https://fine.example/a", "see bad.example/a/other.html"} {
		v, err := s.Scan(ctx, safetytest.Content(c, a, []*safeguard.Account{b}, text, t0))
		if err != nil || v.Hold || v.Record != nil {
			t.Errorf("%q: %+v %v", text, v, err)
		}
	}

	ct := safetytest.Content(c, a, []*safeguard.Account{b}, "look: WWW.Bad.Example/a/page.html?utm_source=x and sub.worse[.]example/x and again bad.example/a/page.html", t0.Add(time.Minute))
	v, err := s.Scan(ctx, ct)
	if err != nil || !v.Hold || v.Reason != "url_match" {
		t.Fatalf("listed links: %+v %v", v, err)
	}
	m := w.Deliver(ct, v)
	ds := w.Detections(c.ID)
	if len(ds) != 2 {
		t.Fatalf("%d detections, want one per listed link", len(ds))
	}
	keys := map[string]*safeguard.Detection{}
	for _, d := range ds {
		keys[d.ContentKey] = d
		if d.Source != safeguard.URLMatch || d.Category != "url" || !d.Held || d.MessageID != m.ID || d.SenderID != a.ID ||
			len(d.RecipientIDs) != 1 || strings.Contains(d.Summary, "bad.example") {
			t.Errorf("detection %+v", d)
		}
	}
	d := keys["bad.example/a/page.html"]
	if d == nil || keys["sub.worse.example/x"] == nil {
		t.Fatalf("content keys: %v", keys)
	}
	var detail safeguard.URLFinding
	if err := json.Unmarshal(d.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if detail.URL != "bad.example/a/page.html" || detail.List.ID != l.ID || detail.List.Source != "IWF URL List" || detail.List.SHA256 != l.SHA256 ||
		detail.Entry.Kind != safeguard.URLExact || detail.Entry.Line != 2 {
		t.Errorf("detail %+v", detail)
	}

	// End-to-end encrypted conversations are never read.
	e := w.Conversation(true, a, w.Account("e", 33))
	if v, err := s.Scan(ctx, safetytest.Content(e, a, []*safeguard.Account{b}, "bad.example/a/page.html", t0)); err != nil || v.Hold {
		t.Errorf("E2EE: %+v %v", v, err)
	}
	// Text beyond what the API allows is an error, never a partial check.
	if _, err := s.Scan(ctx, safetytest.Content(c, a, []*safeguard.Account{b}, strings.Repeat("x", MaxScanBytes+1), t0)); err == nil {
		t.Errorf("oversized text scanned")
	}
	// An image caption is text like any other.
	img := safetytest.Content(c, a, []*safeguard.Account{b}, "worse.example", t0)
	img.Message.Kind = safeguard.ImageMessage
	if v, err := s.Scan(ctx, img); err != nil || !v.Hold {
		t.Errorf("caption with a listed domain: %+v %v", v, err)
	}
	var _ messaging.Scanner = s
}

func TestURLIndexRefresh(t *testing.T) {
	ctx := t.Context()
	w := safetytest.New(t, openSQLite(t), t0)
	now := t0
	s := newScanner(t, Config{Refresh: 10 * time.Second}, Deps{Store: w.Store, Now: func() time.Time { return now }})
	a, b := w.Account("a", 30), w.Account("b", 31)
	c := w.Conversation(false, a, b)
	held := func(text string) bool {
		t.Helper()
		v, err := s.Scan(ctx, safetytest.Content(c, a, []*safeguard.Account{b}, text, now))
		if err != nil {
			t.Fatal(err)
		}
		return v.Hold
	}
	if held("bad.example/a") {
		t.Fatal("held with no lists")
	}
	if _, err := Import(ctx, w.Store, ListImport{Name: "l"}, "l", []byte("bad.example\n"), now); err != nil {
		t.Fatal(err)
	}
	if held("bad.example/a") {
		t.Error("a new list in force before the refresh interval")
	}
	now = now.Add(10 * time.Second)
	if !held("bad.example/a") || !held("x.bad.example") || held("good.example") {
		t.Error("the new list is not in force after the refresh interval")
	}
	if _, err := Import(ctx, w.Store, ListImport{Name: "l", Replace: true}, "l", []byte("worse.example\n"), now); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Second)
	if held("bad.example/a") || !held("worse.example/") {
		t.Error("the replaced list is not in force")
	}
	w.Update(func(tx store.Tx) error {
		l, err := tx.URLListByName(ctx, "l")
		if err != nil {
			return err
		}
		return tx.DeleteURLList(ctx, l.ID)
	})
	now = now.Add(10 * time.Second)
	if held("worse.example/") {
		t.Error("a removed list still holds")
	}

	// Lists larger than the index looks links up in the store, at once.
	big := newScanner(t, Config{IndexMax: 1}, Deps{Store: w.Store, Now: func() time.Time { return now }})
	if _, err := Import(ctx, w.Store, ListImport{Name: "big"}, "big", []byte("one.example\ntwo.example\n"), now); err != nil {
		t.Fatal(err)
	}
	v, err := big.Scan(ctx, safetytest.Content(c, a, []*safeguard.Account{b}, "two.example/x", now))
	if err != nil || !v.Hold {
		t.Errorf("lookup in the store: %+v %v", v, err)
	}
	if !big.index.tooLarge {
		t.Error("the index holds lists over its size")
	}
}

func TestURLIndexFailsClosed(t *testing.T) {
	w := safetytest.New(t, openSQLite(t), t0)
	a, b := w.Account("a", 30), w.Account("b", 31)
	c := w.Conversation(false, a, b)
	s := newScanner(t, Config{}, Deps{Store: w.Store})
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the lists cannot be read
	if _, err := s.Scan(ctx, safetytest.Content(c, a, []*safeguard.Account{b}, "bad.example/a", t0)); err == nil {
		t.Error("a scan with lists that cannot be read succeeded")
	}
	// Once loaded, a failed refresh keeps the lists in memory.
	now := t0
	s = newScanner(t, Config{}, Deps{Store: w.Store, Now: func() time.Time { return now }})
	if _, err := Import(t.Context(), w.Store, ListImport{Name: "l"}, "l", []byte("bad.example\n"), now); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Scan(t.Context(), safetytest.Content(c, a, []*safeguard.Account{b}, "bad.example/a", now)); err != nil || !v.Hold {
		t.Fatalf("first scan: %+v %v", v, err)
	}
	now = now.Add(time.Hour)
	if v, err := s.Scan(ctx, safetytest.Content(c, a, []*safeguard.Account{b}, "bad.example/a", now)); err != nil || !v.Hold {
		t.Errorf("scan with a failed refresh: %+v %v", v, err)
	}
}

// newScanner returns a URL scanner, failing t if it cannot be built.
func newScanner(t *testing.T, cfg Config, d Deps) *Scanner {
	t.Helper()
	s, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
