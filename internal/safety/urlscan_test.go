package safety

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

func TestURLScanner(t *testing.T) {
	w := newWorld(t, RiskConfig{})
	ctx := t.Context()
	l, err := ImportURLList(ctx, w.st, URLImport{Name: "iwf", Source: "IWF URL List"}, "list.txt", []byte(testList), t0)
	if err != nil {
		t.Fatal(err)
	}
	s := NewURLScanner(w.st, URLOptions{})
	a, b := w.account("a", 30), w.account("b", 31)
	c := w.conversation(false, a, b)

	for _, text := range []string{"no link here", "see https://fine.example/a", "see bad.example/a/other.html"} {
		v, err := s.Scan(ctx, content(c, a, []*safeguard.Account{b}, text, t0))
		if err != nil || v.Hold || v.Record != nil {
			t.Errorf("%q: %+v %v", text, v, err)
		}
	}

	ct := content(c, a, []*safeguard.Account{b}, "look: WWW.Bad.Example/a/page.html?utm_source=x and sub.worse[.]example/x and again bad.example/a/page.html", t0.Add(time.Minute))
	v, err := s.Scan(ctx, ct)
	if err != nil || !v.Hold || v.Reason != "url_match" {
		t.Fatalf("listed links: %+v %v", v, err)
	}
	m := w.deliver(ct, v)
	ds := w.detections(c.ID)
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
	e := w.conversation(true, a, w.account("e", 33))
	if v, err := s.Scan(ctx, content(e, a, []*safeguard.Account{b}, "bad.example/a/page.html", t0)); err != nil || v.Hold {
		t.Errorf("E2EE: %+v %v", v, err)
	}
	// Text beyond what the API allows is an error, never a partial check.
	if _, err := s.Scan(ctx, content(c, a, []*safeguard.Account{b}, strings.Repeat("x", MaxLinkScanBytes+1), t0)); err == nil {
		t.Errorf("oversized text scanned")
	}
	// An image caption is text like any other.
	img := content(c, a, []*safeguard.Account{b}, "worse.example", t0)
	img.Message.Kind = safeguard.ImageMessage
	if v, err := (Scanners{s, w.risk}).Scan(ctx, img); err != nil || !v.Hold {
		t.Errorf("caption with a listed domain: %+v %v", v, err)
	}
	var _ messaging.Scanner = s
}

func TestURLIndexRefresh(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t, RiskConfig{})
	now := t0
	s := NewURLScanner(w.st, URLOptions{Refresh: 10 * time.Second, Now: func() time.Time { return now }})
	a, b := w.account("a", 30), w.account("b", 31)
	c := w.conversation(false, a, b)
	held := func(text string) bool {
		t.Helper()
		v, err := s.Scan(ctx, content(c, a, []*safeguard.Account{b}, text, now))
		if err != nil {
			t.Fatal(err)
		}
		return v.Hold
	}
	if held("bad.example/a") {
		t.Fatal("held with no lists")
	}
	if _, err := ImportURLList(ctx, w.st, URLImport{Name: "l"}, "l", []byte("bad.example\n"), now); err != nil {
		t.Fatal(err)
	}
	if held("bad.example/a") {
		t.Error("a new list in force before the refresh interval")
	}
	now = now.Add(10 * time.Second)
	if !held("bad.example/a") || !held("x.bad.example") || held("good.example") {
		t.Error("the new list is not in force after the refresh interval")
	}
	if _, err := ImportURLList(ctx, w.st, URLImport{Name: "l", Replace: true}, "l", []byte("worse.example\n"), now); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Second)
	if held("bad.example/a") || !held("worse.example/") {
		t.Error("the replaced list is not in force")
	}
	w.update(func(tx store.Tx) error {
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
	big := NewURLScanner(w.st, URLOptions{IndexMax: 1, Now: func() time.Time { return now }})
	if _, err := ImportURLList(ctx, w.st, URLImport{Name: "big"}, "big", []byte("one.example\ntwo.example\n"), now); err != nil {
		t.Fatal(err)
	}
	v, err := big.Scan(ctx, content(c, a, []*safeguard.Account{b}, "two.example/x", now))
	if err != nil || !v.Hold {
		t.Errorf("lookup in the store: %+v %v", v, err)
	}
	if !big.index.tooLarge {
		t.Error("the index holds lists over its size")
	}
}

func TestURLIndexFailsClosed(t *testing.T) {
	w := newWorld(t, RiskConfig{})
	a, b := w.account("a", 30), w.account("b", 31)
	c := w.conversation(false, a, b)
	s := NewURLScanner(w.st, URLOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the lists cannot be read
	if _, err := s.Scan(ctx, content(c, a, []*safeguard.Account{b}, "bad.example/a", t0)); err == nil {
		t.Error("a scan with lists that cannot be read succeeded")
	}
	// Once loaded, a failed refresh keeps the lists in memory.
	now := t0
	s = NewURLScanner(w.st, URLOptions{Now: func() time.Time { return now }})
	if _, err := ImportURLList(t.Context(), w.st, URLImport{Name: "l"}, "l", []byte("bad.example\n"), now); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Scan(t.Context(), content(c, a, []*safeguard.Account{b}, "bad.example/a", now)); err != nil || !v.Hold {
		t.Fatalf("first scan: %+v %v", v, err)
	}
	now = now.Add(time.Hour)
	if v, err := s.Scan(ctx, content(c, a, []*safeguard.Account{b}, "bad.example/a", now)); err != nil || !v.Hold {
		t.Errorf("scan with a failed refresh: %+v %v", v, err)
	}
}
