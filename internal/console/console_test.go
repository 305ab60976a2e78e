package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/console"
	"github.com/safeguard-dev/safeguard/internal/store"
)

func TestSecurityHeaders(t *testing.T) {
	s := newStack(t)
	b := s.as("alice", safeguard.RoleModerator)
	known, _, _, _ := s.story()
	for _, path := range []string{"/console/login", "/console/", fmt.Sprintf("/console/cases/%d", known), "/console/static/console.css"} {
		p := b.get(path)
		if p.code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.code)
		}
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
			"X-Content-Type-Options":  "nosniff",
		}
		for k, v := range want {
			if got := p.header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
		if p.header.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s: HSTS over plain HTTP", path)
		}
		// No script, no inline style, nothing from elsewhere.
		for _, bad := range []string{"<script", "style=", "http://", "https://"} {
			if strings.Contains(p.body, bad) {
				t.Errorf("GET %s: the page holds %q", path, bad)
			}
		}
	}
}

func TestLogin(t *testing.T) {
	s := newStack(t)
	s.moderator("alice", safeguard.RoleModerator)
	tests := []struct {
		name       string
		form       url.Values
		withCookie bool
		wantCode   int
		wantText   string
	}{
		{"no form token", url.Values{"name": {"alice"}, "password": {pw}, "csrf": {""}}, true, http.StatusForbidden, "The login form had expired"},
		{"forged form token", url.Values{"name": {"alice"}, "password": {pw}, "csrf": {"forged"}}, true, http.StatusForbidden, "The login form had expired"},
		{"no login cookie", url.Values{"name": {"alice"}, "password": {pw}}, false, http.StatusForbidden, "The login form had expired"},
		{"wrong password", url.Values{"name": {"alice"}, "password": {"not the password"}}, true, http.StatusUnauthorized, "That name and password don&#39;t match."},
		{"unknown name", url.Values{"name": {"nobody"}, "password": {pw}}, true, http.StatusUnauthorized, "That name and password don&#39;t match."},
		{"right", url.Values{"name": {"alice"}, "password": {pw}}, true, http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := s.browser()
			if tt.withCookie {
				b.get("/console/login")
			} else {
				b.csrf = "whatever"
			}
			p := b.post("/console/login", tt.form)
			if p.code != tt.wantCode || !strings.Contains(p.body, tt.wantText) {
				t.Fatalf("POST /console/login: %d, want %d with %q\n%s", p.code, tt.wantCode, tt.wantText, p.body)
			}
			if p.code != http.StatusSeeOther {
				if q := b.get("/console/"); q.code != http.StatusSeeOther {
					t.Errorf("after a failed login the queue answers %d", q.code)
				}
				return
			}
			var session *http.Cookie
			for _, c := range p.header.Values("Set-Cookie") {
				if strings.HasPrefix(c, console.SessionCookie+"=") {
					session = &http.Cookie{Raw: c}
					for _, want := range []string{"Path=/console", "HttpOnly", "SameSite=Strict"} {
						if !strings.Contains(c, want) {
							t.Errorf("session cookie %q lacks %s", c, want)
						}
					}
					if strings.Contains(c, "Secure") {
						t.Errorf("session cookie %q is Secure over plain HTTP from no proxy", c)
					}
				}
			}
			if session == nil {
				t.Fatal("no session cookie")
			}
			if q := b.get("/console/"); q.code != http.StatusOK || !strings.Contains(q.body, "Signed in as <strong>alice</strong>") {
				t.Errorf("queue after login: %d", q.code)
			}
		})
	}
}

func TestSecureCookieBehindProxy(t *testing.T) {
	s := newStack(t)
	s.moderator("alice", safeguard.RoleModerator)
	b := s.browser()
	b.get("/console/login")
	form := url.Values{"name": {"alice"}, "password": {pw}, "csrf": {b.csrf}}
	req, _ := http.NewRequest("POST", s.url+"/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https") // the test server's peer, 127.0.0.1, is a trusted proxy
	p := b.do(req)
	if p.code != http.StatusSeeOther {
		t.Fatalf("login: %d", p.code)
	}
	ok := false
	for _, c := range p.header.Values("Set-Cookie") {
		ok = ok || (strings.HasPrefix(c, console.SessionCookie+"=") && strings.Contains(c, "Secure"))
	}
	if !ok || p.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("behind a trusted HTTPS proxy: cookies %q, HSTS %q", p.header.Values("Set-Cookie"), p.header.Get("Strict-Transport-Security"))
	}
}

func TestLoginRateLimited(t *testing.T) {
	s := newStack(t)
	s.moderator("alice", safeguard.RoleModerator)
	b := s.browser()
	var p page
	for range 6 {
		b.get("/console/login")
		p = b.post("/console/login", url.Values{"name": {"alice"}, "password": {"guess guess guess"}})
	}
	if p.code != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many attempts") {
		t.Fatalf("6th wrong password: %d\n%s", p.code, p.body)
	}
}

func TestNextStaysInConsole(t *testing.T) {
	s := newStack(t)
	s.moderator("alice", safeguard.RoleModerator)
	for next, want := range map[string]string{
		"/console/cases/3":          "/console/cases/3",
		"/console/?status=open":     "/console/?status=open",
		"https://evil.example/":     "/console/",
		"//evil.example/console/":   "/console/",
		"/api/v1/me":                "/console/",
		"/console/login?next=x":     "/console/",
		`/console/\evil.example`:    "/console/",
		"/console/../api/v1/admin/": "/console/",
	} {
		b := s.browser()
		b.get("/console/login")
		p := b.post("/console/login", url.Values{"name": {"alice"}, "password": {pw}, "next": {next}})
		if p.code != http.StatusSeeOther || p.location != want {
			t.Errorf("next %q: went to %q, want %q", next, p.location, want)
		}
	}
}

func TestChatUserGetsNothing(t *testing.T) {
	s := newStack(t)
	known, _, _, adult := s.story()
	paths := []string{"/console/", fmt.Sprintf("/console/cases/%d", known), "/console/moderators",
		fmt.Sprintf("/console/cases/%d/evidence/1/preview", known)}
	for _, path := range paths {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+adult.Token)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login") {
			t.Errorf("GET %s with a chat session: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
		if bytes.Contains(body, []byte("mallory")) || bytes.Contains(body, []byte("Case ")) {
			t.Errorf("GET %s with a chat session leaks case data: %s", path, body)
		}
	}
	// Nor can a chat account log in to the console.
	b := s.browser()
	b.get("/console/login")
	if p := b.post("/console/login", url.Values{"name": {"mallory_35"}, "password": {pw}}); p.code != http.StatusUnauthorized {
		t.Errorf("a chat account's login: %d", p.code)
	}
	// A POST with a chat token changes nothing.
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/console/cases/%d/claim", s.url, known), strings.NewReader("csrf=x"))
	req.Header.Set("Authorization", "Bearer "+adult.Token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || caseOf(t, s, known).Status != safeguard.CaseOpen {
		t.Errorf("claim with a chat session: %d, case %s", resp.StatusCode, caseOf(t, s, known).Status)
	}
}

func caseOf(t testing.TB, s *stack, id int64) *safeguard.Case {
	t.Helper()
	var c *safeguard.Case
	if err := s.st.View(context.Background(), func(tx store.Tx) (err error) { c, err = tx.Case(context.Background(), id); return }); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCSRF(t *testing.T) {
	s := newStack(t)
	known, _, _, _ := s.story()
	alice := s.as("alice", safeguard.RoleModerator)
	eve := s.as("eve", safeguard.RoleModerator)
	path := fmt.Sprintf("/console/cases/%d/claim", known)
	tests := []struct {
		name  string
		token string
		site  string
	}{
		{"no token", "", ""},
		{"forged token", "forged-token-forged-token-forged-token-xx", ""},
		{"another session's token", eve.csrf, ""},
		{"right token, cross-site", alice.csrf, "cross-site"},
	}
	for _, tt := range tests {
		form := url.Values{"csrf": {tt.token}}
		req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tt.site != "" {
			req.Header.Set("Sec-Fetch-Site", tt.site)
		}
		p := alice.do(req)
		if p.code != http.StatusForbidden || !strings.Contains(p.body, "did not come from the console") {
			t.Errorf("%s: %d\n%s", tt.name, p.code, p.body)
		}
	}
	if c := caseOf(t, s, known); c.Status != safeguard.CaseOpen || c.Assignee != "" {
		t.Fatalf("a refused form changed the case: %s by %q", c.Status, c.Assignee)
	}
	alice.get(fmt.Sprintf("/console/cases/%d", known))
	if p := alice.post(path, nil); p.code != http.StatusSeeOther {
		t.Fatalf("claim with the right token: %d\n%s", p.code, p.body)
	}
	if c := caseOf(t, s, known); c.Status != safeguard.CaseInReview || c.Assignee != "alice" {
		t.Errorf("after claiming: %s by %q", c.Status, c.Assignee)
	}
}

func TestSessionEnds(t *testing.T) {
	s := newStack(t)
	b := s.as("alice", safeguard.RoleModerator)
	s.clock.advance(29 * time.Minute)
	if p := b.get("/console/"); p.code != http.StatusOK {
		t.Fatalf("used within the idle limit: %d", p.code)
	}
	s.clock.advance(31 * time.Minute)
	p := b.get("/console/cases/1")
	if p.code != http.StatusSeeOther || p.location != "/console/login?ended=1&next=%2Fconsole%2Fcases%2F1" {
		t.Fatalf("idle session: %d %q", p.code, p.location)
	}
	if q := b.get(p.location); !strings.Contains(q.body, "Your session has ended") {
		t.Errorf("the login page does not say the session ended")
	}
	// Logging in again goes back to the page asked for.
	if p := b.post("/console/login", url.Values{"name": {"alice"}, "password": {pw}, "next": {"/console/cases/1"}}); p.location != "/console/cases/1" {
		t.Errorf("login after the session ended goes to %q", p.location)
	}
	// Logout ends it.
	b.get("/console/")
	if p := b.post("/console/logout", nil); p.code != http.StatusSeeOther || p.location != "/console/login?bye=1" {
		t.Fatalf("logout: %d %q", p.code, p.location)
	}
	if p := b.get("/console/"); p.code != http.StatusSeeOther {
		t.Errorf("queue after logout: %d", p.code)
	}
}

func TestRoles(t *testing.T) {
	s := newStack(t)
	known, _, minor, _ := s.story()
	mod := s.as("alice", safeguard.RoleModerator)
	senior := s.as("sam", safeguard.RoleSenior)
	admin := s.as("ada", safeguard.RoleAdmin)
	minorPage := fmt.Sprintf("/console/cases/%d", minor)

	tests := []struct {
		name string
		b    *browser
		do   func(b *browser) page
		want int
	}{
		{"moderator opens the queue", mod, func(b *browser) page { return b.get("/console/") }, http.StatusOK},
		{"moderator opens a case", mod, func(b *browser) page { return b.get(fmt.Sprintf("/console/cases/%d", known)) }, http.StatusOK},
		{"moderator opens a young sender's case", mod, func(b *browser) page { return b.get(minorPage) }, http.StatusForbidden},
		{"moderator previews its image", mod, func(b *browser) page { return b.get(minorPage + "/evidence/1/preview") }, http.StatusForbidden},
		{"moderator claims it", mod, func(b *browser) page { return b.post(minorPage+"/claim", nil) }, http.StatusForbidden},
		{"moderator places a legal hold", mod, func(b *browser) page {
			return b.post(fmt.Sprintf("/console/cases/%d/legal-hold", known), url.Values{"on": {"1"}, "reason": {"order 12"}})
		}, http.StatusForbidden},
		{"moderator manages moderators", mod, func(b *browser) page { return b.get("/console/moderators") }, http.StatusForbidden},
		{"moderator adds a moderator", mod, func(b *browser) page {
			return b.post("/console/moderators", url.Values{"name": {"mallet"}, "role": {"admin"}})
		}, http.StatusForbidden},
		{"senior opens a young sender's case", senior, func(b *browser) page { return b.get(minorPage) }, http.StatusOK},
		{"senior places a legal hold", senior, func(b *browser) page {
			return b.post(fmt.Sprintf("/console/cases/%d/legal-hold", known), url.Values{"on": {"1"}, "reason": {"order 12"}})
		}, http.StatusForbidden},
		{"senior manages moderators", senior, func(b *browser) page { return b.get("/console/moderators") }, http.StatusForbidden},
		{"admin places a legal hold", admin, func(b *browser) page {
			return b.post(fmt.Sprintf("/console/cases/%d/legal-hold", known), url.Values{"on": {"1"}, "reason": {"preservation order 12"}})
		}, http.StatusSeeOther},
		{"admin manages moderators", admin, func(b *browser) page { return b.get("/console/moderators") }, http.StatusOK},
	}
	for _, tt := range tests {
		tt.b.get("/console/") // a fresh form token
		p := tt.do(tt.b)
		if p.code != tt.want {
			t.Errorf("%s: %d, want %d\n%s", tt.name, p.code, tt.want, p.body)
		}
		if p.code == http.StatusForbidden && strings.Contains(p.body, "kai_14") {
			t.Errorf("%s: the refusal names the young sender", tt.name)
		}
	}
	if c := caseOf(t, s, minor); c.Status != safeguard.CaseOpen {
		t.Errorf("a refused claim changed the case: %s", c.Status)
	}
	if c := caseOf(t, s, known); !c.LegalHold || c.HoldReason != "preservation order 12" {
		t.Errorf("legal hold: %v %q", c.LegalHold, c.HoldReason)
	}
	// The queue lists the young sender's case for everyone, openable only
	// by a senior moderator.
	q := mod.get("/console/")
	if !strings.Contains(q.body, fmt.Sprintf(`<span class="case-link">Case %d</span> <span class="sub">for a senior moderator</span>`, minor)) {
		t.Errorf("the queue of a moderator does not show the young sender's case as closed to them")
	}
	if q := senior.get("/console/"); !strings.Contains(q.body, fmt.Sprintf(`href="/console/cases/%d"`, minor)) {
		t.Errorf("the queue of a senior moderator does not link the young sender's case")
	}
}

func TestQueue(t *testing.T) {
	s := newStack(t)
	known, reported, minor, _ := s.story()
	b := s.as("alice", safeguard.RoleSenior)
	p := b.get("/console/")
	order := regexp.MustCompile(`data-case="(\d+)"`).FindAllStringSubmatch(p.body, -1)
	var got []string
	for _, m := range order {
		got = append(got, m[1])
	}
	// Priority 1 first; the young sender's case and the report after it.
	if len(got) != 3 || got[0] != fmt.Sprint(known) {
		t.Fatalf("queue order %v, want case %d first", got, known)
	}
	for _, want := range []string{"Priority 1 — urgent", "Known image match", "Known child abuse image", "Member report", "Nobody yet", "3 cases"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
	tests := []struct {
		query string
		code  int
		want  []int64
	}{
		{"?priority=1", http.StatusOK, []int64{known, minor}},
		{"?source=user_report", http.StatusOK, []int64{reported}},
		{"?source=hash_match&priority=any", http.StatusOK, []int64{known, minor}},
		{"?status=closed", http.StatusOK, nil},
		{"?mine=1", http.StatusOK, nil},
		{"?priority=9", http.StatusBadRequest, []int64{known, minor, reported}},
		{"?status=deleted", http.StatusBadRequest, []int64{known, minor, reported}},
	}
	for _, tt := range tests {
		p := b.get("/console/" + tt.query)
		if p.code != tt.code {
			t.Errorf("%s: %d, want %d", tt.query, p.code, tt.code)
		}
		n := len(regexp.MustCompile(`data-case="`).FindAllString(p.body, -1))
		if n != len(tt.want) {
			t.Errorf("%s: %d rows, want %d", tt.query, n, len(tt.want))
		}
		for _, id := range tt.want {
			if !strings.Contains(p.body, fmt.Sprintf(`data-case="%d"`, id)) {
				t.Errorf("%s: case %d missing", tt.query, id)
			}
		}
	}
}

// TestRevealAndDecide walks the moderator's path over HTTP: the blurred
// derivative, an audited reveal, the original for that session only, a
// decision to report, and the package as a zip.
func TestRevealAndDecide(t *testing.T) {
	s := newStack(t)
	known, _, _, _ := s.story()
	b := s.as("alice", safeguard.RoleModerator)
	eve := s.as("eve", safeguard.RoleModerator)
	casePath := fmt.Sprintf("/console/cases/%d", known)
	p := b.get(casePath)
	for _, want := range []string{"Case " + fmt.Sprint(known) + ": Known child abuse image", "test-bank", "test-entry-0001",
		"@tess_15", "teen, 13 to 17", "@mallory_35", "data-state=\"blurred\"", "Why do you need to see the original image?"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "just between us") {
		t.Error("the case page shows the conversation before it was revealed")
	}
	seq := itemSeq(t, p.body, "Image")
	preview := fmt.Sprintf("%s/evidence/%d/preview", casePath, seq)
	original := fmt.Sprintf("%s/evidence/%d/original", casePath, seq)

	// The preview is a derivative: greyscale, smooth, not the original.
	pv := b.get(preview)
	if pv.code != http.StatusOK || pv.header.Get("Content-Type") != "image/png" || pv.header.Get("X-Safeguard-Derivative") != "blurred-greyscale" {
		t.Fatalf("preview: %d %v", pv.code, pv.header)
	}
	checkDerivative(t, []byte(pv.body), s.img)
	if o := b.get(original); o.code != http.StatusNotFound {
		t.Fatalf("original before any reveal: %d", o.code)
	}
	readsBefore := reads(t, s, known)

	// A reveal needs a reason.
	if r := b.post(fmt.Sprintf("%s/evidence/%d/reveal", casePath, seq), url.Values{"why": {"  "}}); r.code != http.StatusBadRequest ||
		!strings.Contains(r.body, "Say why you need to see this item") {
		t.Fatalf("reveal without a reason: %d", r.code)
	}
	r := b.post(fmt.Sprintf("%s/evidence/%d/reveal", casePath, seq), url.Values{"why": {"confirm the match before deciding"}})
	if r.code != http.StatusSeeOther {
		t.Fatalf("reveal: %d\n%s", r.code, r.body)
	}
	after := reads(t, s, known)
	if len(after) != len(readsBefore)+1 {
		t.Fatalf("reads before %d, after %d", len(readsBefore), len(after))
	}
	last := after[len(after)-1]
	if last.Who != "alice" || last.Why != "confirm the match before deciding" || last.Seq != seq {
		t.Errorf("the recorded read: %+v", last)
	}
	shown := b.get(r.location)
	if !strings.Contains(shown.body, `data-state="revealed"`) || !strings.Contains(shown.body, "confirm the match before deciding") {
		t.Errorf("the page after the reveal does not show the original or the read")
	}
	u, _ := url.Parse(r.location)
	token := u.Query().Get("shown")
	o := b.get(original + "?shown=" + url.QueryEscape(token))
	if o.code != http.StatusOK || !bytes.Equal([]byte(o.body), s.img) || o.header.Get("Content-Type") != "image/png" {
		t.Fatalf("original after the reveal: %d, %d bytes", o.code, len(o.body))
	}
	if e := eve.get(original + "?shown=" + url.QueryEscape(token)); e.code != http.StatusNotFound {
		t.Errorf("another moderator used the reveal: %d", e.code)
	}
	if len(reads(t, s, known)) != len(after) {
		t.Error("serving the revealed original read the vault again")
	}
	s.clock.advance(6 * time.Minute)
	if o := b.get(original + "?shown=" + url.QueryEscape(token)); o.code != http.StatusNotFound {
		t.Errorf("original after the reveal expired: %d", o.code)
	}
	s.clock.advance(-6 * time.Minute)

	// Reveal the conversation.
	ctxSeq := itemSeq(t, shown.body, "The conversation before the detection")
	r = b.post(fmt.Sprintf("%s/evidence/%d/reveal", casePath, ctxSeq), url.Values{"why": {"read the grooming context"}})
	if c := b.get(r.location); !strings.Contains(c.body, "this is just between us, ok? (synthetic)") || !strings.Contains(c.body, "In this case:") {
		t.Errorf("the revealed conversation is not shown")
	}

	// Decide: a reason is needed, then the report is filed.
	b.get(casePath)
	if d := b.post(casePath+"/decide", url.Values{"decision": {"report"}}); d.code != http.StatusBadRequest || !strings.Contains(d.body, "Give a reason") {
		t.Fatalf("decide without a reason: %d", d.code)
	}
	d := b.post(casePath+"/decide", url.Values{"decision": {"report"}, "reason": {"Known image sent to a 15-year-old."}, "immediate_danger": {"1"}})
	if d.code != http.StatusSeeOther || d.location != casePath+"?done=reported" {
		t.Fatalf("decide: %d %q\n%s", d.code, d.location, d.body)
	}
	c := caseOf(t, s, known)
	if c.Status != safeguard.CaseReported || c.DecidedBy != "alice" || !strings.HasPrefix(c.ReportReference, "SG-TEST-") {
		t.Fatalf("after deciding: %+v", c)
	}
	page := b.get(d.location)
	for _, want := range []string{"the report has been filed", c.ReportReference, "TEST", "Exported for the NCA portal to", "Reported to law enforcement"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the case page after the report lacks %q", want)
		}
	}

	// Export: a zip of the package, marked TEST.
	x := b.post(casePath+"/export", nil)
	if x.code != http.StatusOK || x.header.Get("Content-Type") != "application/zip" ||
		x.header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="%s.zip"`, c.ReportReference) {
		t.Fatalf("export: %d %v", x.code, x.header)
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(x.body)), int64(len(x.body)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"nca-report.json", "ncmec-report.xml", "README.txt"} {
		if !names[c.ReportReference+"/"+want] {
			t.Errorf("the zip lacks %s: %v", want, names)
		}
	}
	if p := b.get(casePath); !strings.Contains(p.body, "Report package downloaded") {
		t.Error("the download is not in the timeline")
	}
}

// itemSeq finds the evidence entry of an item by its label on the page.
func itemSeq(t testing.TB, body, label string) int64 {
	t.Helper()
	re := regexp.MustCompile(`id="item-(\d+)"[^>]*>\s*<(?:h3|th scope="row")>` + regexp.QuoteMeta(label) + `</`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no evidence item %q on the page", label)
	}
	var seq int64
	fmt.Sscan(m[1], &seq)
	return seq
}

func reads(t testing.TB, s *stack, caseID int64) []safeguard.EvidenceRead {
	t.Helper()
	var out []safeguard.EvidenceRead
	if err := s.st.View(context.Background(), func(tx store.Tx) (err error) { out, err = tx.EvidenceReads(context.Background(), caseID); return }); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkDerivative checks that b is a greyscale PNG without the original's
// detail: neighbouring pixels differ little, where the original's differ a
// lot.
func checkDerivative(t testing.TB, b, original []byte) {
	t.Helper()
	if bytes.Equal(b, original) {
		t.Fatal("the preview is the original")
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	if _, ok := img.(*image.Gray); !ok {
		t.Errorf("preview is %T, want greyscale", img)
	}
	orig, _ := png.Decode(bytes.NewReader(original))
	if d, o := roughness(img), roughness(orig); d > 2 || o < 8 {
		t.Errorf("roughness: preview %.2f (want ≤ 2), original %.2f", d, o)
	}
}

// roughness is the mean absolute difference of horizontally neighbouring
// pixels' luminance.
func roughness(img image.Image) float64 {
	b := img.Bounds()
	var sum float64
	var n int
	lum := func(x, y int) float64 {
		r, g, bl, _ := img.At(x, y).RGBA()
		return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + 1; x < b.Max.X; x++ {
			d := lum(x, y) - lum(x-1, y)
			if d < 0 {
				d = -d
			}
			sum += d
			n++
		}
	}
	return sum / float64(n)
}

func TestAppealNeedsAnotherModerator(t *testing.T) {
	s := newStack(t)
	_, reported, _, _ := s.story()
	alice := s.as("alice", safeguard.RoleSenior)
	bob := s.as("bob", safeguard.RoleSenior)
	mod := s.as("carl", safeguard.RoleModerator)
	casePath := fmt.Sprintf("/console/cases/%d", reported)
	alice.get(casePath)
	if d := alice.post(casePath+"/decide", url.Values{"decision": {"warn"}, "reason": {"threats"}}); d.code != http.StatusSeeOther {
		t.Fatalf("decide: %d\n%s", d.code, d.body)
	}
	// The sender appeals (ollie_40 sent the reported message).
	if _, err := s.users["ollie_40"].Appeal(context.Background(), client.AppealRequest{CaseID: reported, Text: "It was a joke."}); err != nil {
		t.Fatal(err)
	}
	p := alice.get(casePath)
	if !strings.Contains(p.body, "You decided this case: another moderator decides the appeal.") {
		t.Errorf("the deciding moderator is offered the appeal")
	}
	appealID := regexp.MustCompile(`/console/appeals/(\d+)/decide`).FindStringSubmatch(bob.get(casePath).body)
	if appealID == nil {
		t.Fatal("no appeal form for another senior moderator")
	}
	if p := mod.get(casePath); !strings.Contains(p.body, "A senior moderator decides appeals.") {
		t.Errorf("a moderator is offered the appeal")
	}
	// The deciding moderator's POST is refused by the service too.
	alice.get(casePath)
	form := url.Values{"case": {fmt.Sprint(reported)}, "outcome": {"overturn"}, "reason": {"mine"}}
	if p := alice.post("/console/appeals/"+appealID[1]+"/decide", form); p.code != http.StatusForbidden {
		t.Errorf("the deciding moderator decides the appeal: %d", p.code)
	}
	bob.get(casePath)
	form.Set("reason", "The message was a joke between friends.")
	form.Del("csrf") // bob's own
	if p := bob.post("/console/appeals/"+appealID[1]+"/decide", form); p.code != http.StatusSeeOther {
		t.Fatalf("another moderator decides: %d\n%s", p.code, p.body)
	}
	if p := bob.get(casePath); !strings.Contains(p.body, "overturned") || !strings.Contains(p.body, "Appeal decided") {
		t.Errorf("the outcome is not on the page")
	}
}

func TestModeratorsPage(t *testing.T) {
	s := newStack(t)
	admin := s.as("ada", safeguard.RoleAdmin)
	p := admin.post("/console/moderators", url.Values{"name": {"newbie"}, "role": {"senior"}})
	if p.code != http.StatusCreated {
		t.Fatalf("add: %d\n%s", p.code, p.body)
	}
	m := regexp.MustCompile(`<code class="secret">([^<]+)</code>`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("the generated password is not shown")
	}
	if q := admin.get("/console/moderators"); strings.Contains(q.body, m[1]) {
		t.Error("the generated password is shown again")
	}
	nb := s.browser()
	if q := nb.login("newbie", m[1]); q.code != http.StatusSeeOther {
		t.Fatalf("login with the generated password: %d", q.code)
	}
	if p := admin.post("/console/moderators", url.Values{"name": {"NEWBIE"}, "role": {"moderator"}}); p.code != http.StatusConflict ||
		!strings.Contains(p.body, "There is a moderator with that name already.") {
		t.Errorf("add a taken name: %d", p.code)
	}
	var id int64
	ms, _ := s.mods.List(context.Background())
	for _, x := range ms {
		if x.Name == "newbie" {
			id = x.ID
		}
	}
	admin.get("/console/moderators")
	if p := admin.post(fmt.Sprintf("/console/moderators/%d/disable", id), nil); p.code != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.code)
	}
	if p := nb.get("/console/"); p.code != http.StatusSeeOther {
		t.Errorf("a disabled moderator's session still works: %d", p.code)
	}
	if p := admin.get("/console/moderators"); !strings.Contains(p.body, "Disabled since") {
		t.Error("the list does not show the moderator disabled")
	}
}
