package safety

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

func TestURLScanner(t *testing.T) {
	w := newWorld(t, RiskConfig{})
	ctx := t.Context()
	l, err := ImportURLList(ctx, w.st, URLImport{Name: "iwf", Source: "IWF URL List"}, "list.txt", []byte(testList), t0)
	if err != nil {
		t.Fatal(err)
	}
	s := NewURLScanner(w.st)
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
	var detail urlDetail
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
