package console

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		query string
		want  Filter
		err   bool
	}{
		{"", Filter{Status: "todo"}, false},
		{"status=open&priority=1", Filter{Status: "open", Priority: 1}, false},
		{"status=all&priority=any&source=any", Filter{Status: "all"}, false},
		{"source=risk_rule&mine=1", Filter{Status: "todo", Source: safeguard.RiskRule, Mine: true}, false},
		{"mine=on", Filter{Status: "todo", Mine: true}, false},
		{"mine=0", Filter{Status: "todo"}, false},
		{"status=deleted", Filter{}, true},
		{"priority=0", Filter{}, true},
		{"priority=4", Filter{}, true},
		{"priority=one", Filter{}, true},
		{"source=telepathy", Filter{}, true},
		{"mine=yes", Filter{}, true},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, err := ParseFilter(q)
		if (err != nil) != tt.err {
			t.Errorf("ParseFilter(%q): %v, want error %v", tt.query, err, tt.err)
			continue
		}
		if err != nil {
			if safeguard.ErrorCode(err) != "invalid_filter" {
				t.Errorf("ParseFilter(%q): code %q", tt.query, safeguard.ErrorCode(err))
			}
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseFilter(%q) (-want +got):\n%s", tt.query, d)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "status=open&priority=1", "source=hash_match&mine=1", "priority=%ff", "status=all&status=open"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		got, err := ParseFilter(q)
		if err != nil {
			return
		}
		if got.Priority < 0 || got.Priority > 3 || got.Status == "" {
			t.Fatalf("ParseFilter(%q) = %+v", query, got)
		}
	})
}

func TestFindingsOf(t *testing.T) {
	i := func(n int) *int { return &n }
	tests := []struct {
		name   string
		source safeguard.DetectionSource
		detail string
		want   Findings
		err    bool
	}{
		{"empty", safeguard.ScanFailure, ``, Findings{}, false},
		{"hash match", safeguard.HashMatch, `{"bank":"iwf","entry":"e-1","distance":4,"pdq_quality":90}`,
			Findings{Matches: []safeguard.BankMatch{{Bank: "iwf", Entry: "e-1", Distance: 4}}, Quality: 90}, false},
		{"several matches", safeguard.HashMatch, `{"bank":"a","entry":"1","matches":[{"bank":"b","entry":"2","distance":-3}]}`,
			Findings{Matches: []safeguard.BankMatch{{Bank: "a", Entry: "1"}, {Bank: "b", Entry: "2"}}}, false},
		{"risk alert", safeguard.RiskRule, `{"rule_set_version":"v3","message_index":4,"rules":[{"id":"grooming.secrecy","severity":"high","category":"grooming","first_at":4},{"id":"x","shadow":true}],
			"signals":[{"name":"secrecy","message_index":3,"pattern":"between us","evidence":"this is between us"},{"name":"sender.connected","message_index":-1,"evidence":"false"}]}`,
			Findings{RuleSetVersion: "v3", MessageIndex: i(4),
				Rules:   []FiredRule{{ID: "grooming.secrecy", Category: "grooming", Severity: "high", FirstAt: i(4)}, {ID: "x", Shadow: true, FirstAt: i(0)}},
				Signals: []Signal{{Name: "secrecy", MessageIndex: i(3)}, {Name: "sender.connected", MessageIndex: i(-1)}}}, false},
		{"url match", safeguard.URLMatch, `{"url":"bad.example/x","list":{"id":1,"name":"IWF URL list","source":"iwf"},"entry":{"kind":"domain","key":"bad.example","line":12}}`,
			Findings{List: "IWF URL list", ListEntry: "domain, line 12"}, false},
		{"member report", safeguard.UserReport, `{"reason":"asked_for_photos","reporter_id":3,"reporter_band":"teen","signals":["image_request"]}`,
			Findings{Reason: "asked_for_photos", ReporterBand: safeguard.Teen, Signals: []Signal{{Name: "image_request"}}}, false},
		{"verified report", safeguard.FrankingReport, `{"verified_by":"franking","reason":"something_else","reporter_id":4,"reporter_band":"adult","plaintext":"SECRET","commitment":"ab"}`,
			Findings{Reason: "something_else", ReporterBand: safeguard.Adult, VerifiedBy: "franking"}, false},
		{"wrong types", safeguard.HashMatch, `{"bank":7}`, Findings{}, true},
		{"not an object", safeguard.RiskRule, `[1,2]`, Findings{}, true},
		{"not JSON", safeguard.URLMatch, `{bank`, Findings{}, true},
	}
	for _, tt := range tests {
		got, err := FindingsOf(&safeguard.Detection{Source: tt.source, Detail: []byte(tt.detail)})
		if (err != nil) != tt.err {
			t.Errorf("%s: %v, want error %v", tt.name, err, tt.err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"":                        "/console/",
		"/console/cases/3?x=1":    "/console/cases/3?x=1",
		"/console/":               "/console/",
		"/console":                "/console/",
		"/console/./cases/4":      "/console/cases/4",
		"/console/../api/":        "/console/",
		"/console/login":          "/console/",
		"https://example.com/":    "/console/",
		"//example.com/console/":  "/console/",
		"/\\example.com":          "/console/",
		"javascript:alert(1)":     "/console/",
		"/console/%2e%2e/api/v1/": "/console/",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDerivative(t *testing.T) {
	// A checkerboard of 4-pixel squares: all detail, no layout.
	img := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for y := range 100 {
		for x := range 200 {
			c := color.RGBA{R: 250, G: 20, B: 20, A: 255}
			if (x/4+y/4)%2 == 0 {
				c = color.RGBA{R: 10, G: 10, B: 240, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	out, w, h, err := Derivative(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if w != previewSide || h != previewSide/2 {
		t.Errorf("size %d×%d, want %d×%d", w, h, previewSide, previewSide/2)
	}
	d, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := d.(*image.Gray)
	if !ok {
		t.Fatalf("derivative is %T, want *image.Gray", d)
	}
	// The squares average out: every pixel is close to the mean grey.
	lo, hi := uint8(255), uint8(0)
	for _, p := range g.Pix {
		lo, hi = min(lo, p), max(hi, p)
	}
	if hi-lo > 8 {
		t.Errorf("the checkerboard survives: grey levels %d to %d", lo, hi)
	}
	if _, _, _, err := Derivative([]byte("not an image")); err == nil {
		t.Error("Derivative of bytes that are no image")
	}
}

func TestGrants(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newGrants(func() time.Time { return now }, time.Minute)
	e := &safeguard.EvidenceEntry{Seq: 4, CaseID: 2}
	tok := g.add([]byte("session-a"), signGrant("csrf-a", 2, 4, g.until()), g.until(), 2, e, []byte("bytes"))
	if g.get(tok, []byte("session-a"), 2) == nil {
		t.Fatal("the grant is not there")
	}
	for _, tc := range []struct {
		name    string
		tok     string
		session string
		caseID  int64
	}{
		{"another session", tok, "session-b", 2},
		{"another case", tok, "session-a", 3},
		{"no token", "", "session-a", 2},
		{"made-up token", "x" + tok, "session-a", 2},
	} {
		if g.get(tc.tok, []byte(tc.session), tc.caseID) != nil {
			t.Errorf("%s: the grant is given", tc.name)
		}
	}
	now = now.Add(61 * time.Second)
	if g.get(tok, []byte("session-a"), 2) != nil {
		t.Error("an expired grant is given")
	}
	// Bounds: the oldest go first.
	for i := range maxGrants + 10 {
		g.add([]byte("s"), signGrant("c", int64(i), 4, g.until()), g.until(), int64(i), e, []byte("x"))
	}
	if len(g.m) != maxGrants || len(g.order) != maxGrants {
		t.Errorf("%d grants kept (%d in order), want %d", len(g.m), len(g.order), maxGrants)
	}
}

// TestGrantTokens: a grant's token says its case, item and end, signed
// for one session; any change, or another session's secret, is refused.
func TestGrantTokens(t *testing.T) {
	until := time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC)
	tok := signGrant("csrf-a", 7, 12, until)
	if id, seq, end, ok := parseGrant("csrf-a", tok); !ok || id != 7 || seq != 12 || !end.Equal(until) {
		t.Fatalf("parseGrant = %d %d %v %v", id, seq, end, ok)
	}
	for _, tc := range []struct{ name, csrf, tok string }{
		{"another session", "csrf-b", tok},
		{"no session secret", "", tok},
		{"another case", "csrf-a", "8" + tok[1:]},
		{"a later end", "csrf-a", strings.Replace(tok, fmt.Sprint(until.Unix()), fmt.Sprint(until.Unix()+60), 1)},
		{"no signature", "csrf-a", tok[:strings.LastIndex(tok, ".")]},
		{"a random token", "csrf-a", randomToken()},
	} {
		if _, _, _, ok := parseGrant(tc.csrf, tc.tok); ok {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// BenchmarkDerivative makes the blurred preview of a 4000×3000 photo-sized
// image (decoding included).
func BenchmarkDerivative(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 4000, 3000))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 251)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, _, err := Derivative(data); err != nil {
			b.Fatal(err)
		}
	}
}
