package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/police"
)

// page is what every template gets.
type page struct {
	Title  string
	Nav    string // "queue", "moderators"
	Me     *safeguard.Moderator
	CSRF   string
	Notice string // what was just done
	Error  string // what went wrong, in words
	Now    time.Time
	Admin  bool
	Stats  bool // the statistics page exists
	Test   bool // reports are tests
	Data   any
}

// pages holds one template set per page, each with the layout.
type pages map[string]*template.Template

var pageNames = []string{"login", "queue", "case", "moderators", "stats", "error"}

func parsePages() (pages, error) {
	p := pages{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		p[name] = t
	}
	return p, nil
}

// render writes a page. It renders into a buffer first, so a template
// error becomes a clean error page rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, code int, name string, p *page) {
	p.Now, p.Test = h.clock(), h.cfg.TestReports
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.Log.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// base returns the page frame for a logged-in moderator.
func (h *handler) base(rq *request, title, nav string) *page {
	return &page{Title: title, Nav: nav, Me: rq.sess.Moderator, CSRF: rq.sess.CSRFToken, Admin: rq.can(moderators.ManageModerators),
		Stats: h.Stats != nil && rq.can(moderators.ViewCases)}
}

// fail shows err as an error page with its status. Internal causes are
// logged, never shown.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	code := h.env.Status(err)
	if code >= 500 {
		h.Log.ErrorContext(r.Context(), "console: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := &page{Title: "Something went wrong"}
	if rq != nil {
		p = h.base(rq, "Something went wrong", "")
	}
	p.Error = safeguard.ErrorMessage(err)
	switch code {
	case http.StatusServiceUnavailable:
		// As the API: a part that is down (a cluster's NATS) may be back
		// in a moment.
		w.Header().Set("Retry-After", strconv.Itoa(safeguard.RetrySeconds(safeguard.RetryAfter(err))))
	case http.StatusForbidden:
		p.Title = "Not allowed"
	case http.StatusNotFound:
		p.Title = "Not found"
	}
	h.render(w, r, code, "error", p)
}

var funcs = template.FuncMap{
	"when":     when,
	"ago":      ago,
	"status":   statusWords,
	"priority": priorityWords,
	"source":   sourceWords,
	"category": categoryWords,
	"band":     bandWords,
	"decision": decisionWords,
	"action":   actionWords,
	"size":     sizeWords,
	"short":    func(b []byte) string { return shortHex(b) },
	"role":     func(r safeguard.ModeratorRole) string { return r.Words() },
	"index1":   index1,
	"around":   func() int { return cases.ThreadAround },
	"force":    forceWords,
	"signal":   signalWords,
	"args":     func(v ...any) []any { return v },
	"score":    scoreWords,
	"sexualSum": func(s safeguard.NudityScores) float64 {
		return s.Porn + s.Hentai + s.Sexy
	},
	"nudityBranch": func(b string) string {
		switch b {
		case "adult_to_minor":
			return "by an adult to a young person"
		case "minor_to_adult":
			return "by a young person to an adult"
		case "minor_to_minor":
			return "by a young person to young people only"
		}
		return b
	},
	"nudityAction": func(a string) string {
		switch a {
		case "held":
			return "held, never delivered"
		case "delivered_blurred":
			return "delivered blurred, with a support notice"
		case "none":
			return "not acted on (shadow mode)"
		}
		return a
	},
}

// scoreWords writes a classifier score or threshold to four significant
// digits, in scientific notation when it is tiny, so that a low threshold
// (1e-09, to make every image count in a test) is not shown as 0.00.
func scoreWords(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// forceWords names a police force area by its ONS code: "Bedfordshire".
func forceWords(code string) string {
	if code == "" {
		return "not known"
	}
	if f, ok := police.ByCode(code); ok && f.Area != "" {
		return f.Area
	}
	return code
}

// index1 writes a message index (counted from 0 in the detail) as people
// count: from 1. A negative index marks a fact about the accounts.
func index1(p *int) string {
	switch {
	case p == nil:
		return "—"
	case *p < 0:
		return "about the accounts"
	}
	return strconv.Itoa(*p + 1)
}

// signalWords names a signal: a priority fact in words, any other as
// written.
func signalWords(name string) string {
	if w, ok := factWords[name]; ok {
		return w + " (" + name + ")"
	}
	return name
}

// when writes a time for people: "2 Mar 2026, 09:05 UTC".
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// ago writes how long ago t was, roughly: "3 h 12 min", "2 days".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func statusWords(s safeguard.CaseStatus) string {
	switch s {
	case safeguard.CaseOpen:
		return "Open"
	case safeguard.CaseInReview:
		return "In review"
	case safeguard.CaseDecided:
		return "Decided, report being filed"
	case safeguard.CaseReportFailed:
		return "Report failed"
	case safeguard.CaseAwaitingSubmission:
		return "Awaiting manual submission"
	case safeguard.CaseReported:
		return "Reported"
	case safeguard.CaseClosed:
		return "Closed"
	}
	return words(string(s))
}

// priorityWords names a priority: the number and what it means.
func priorityWords(p int) string {
	switch p {
	case 1:
		return "Priority 1 — urgent"
	case 2:
		return "Priority 2 — high"
	case 3:
		return "Priority 3 — standard"
	}
	return "Priority " + strconv.Itoa(p)
}

func sourceWords(s safeguard.DetectionSource) string {
	switch s {
	case safeguard.HashMatch:
		return "Known image match"
	case safeguard.URLMatch:
		return "Listed link"
	case safeguard.RiskRule:
		return "Risk rules"
	case safeguard.ScanFailure:
		return "Could not be checked"
	case safeguard.NewImage:
		return "Nudity classifier (new image)"
	case safeguard.UserReport:
		return "Member report"
	case safeguard.FrankingReport:
		return "Verified report (encrypted chat)"
	}
	return words(string(s))
}

func categoryWords(c safeguard.Category) string {
	switch c {
	case safeguard.CategoryKnownImage:
		return "Known child abuse image"
	case safeguard.CategorySuspectedImage:
		return "Suspected child abuse image"
	case safeguard.CategoryGrooming:
		return "Grooming"
	case safeguard.CategorySextortion:
		return "Sextortion"
	case safeguard.CategoryMeeting:
		return "Arranging to meet"
	case safeguard.CategoryAgeDeception:
		return "Lying about age"
	case safeguard.CategorySelfHarm:
		return "Self-harm"
	case safeguard.CategoryHarassment:
		return "Harassment or threats"
	case safeguard.CategoryURL:
		return "Listed link"
	case safeguard.CategoryNudity:
		return "May show nudity (new image)"
	case "":
		return "Other"
	}
	return words(string(c))
}

func bandWords(b safeguard.AgeBand) string {
	switch b {
	case safeguard.Child:
		return "child, under 13"
	case safeguard.Teen:
		return "teen, 13 to 17"
	case safeguard.Adult:
		return "adult"
	}
	return "age unknown"
}

func decisionWords(d safeguard.Decision) string {
	for _, o := range decisionOptions {
		if o.Value == d {
			return o.Label
		}
	}
	return words(string(d))
}

func actionWords(a string) string {
	switch a {
	case "opened":
		return "Case opened"
	case "occurrence":
		return "Found again (new occurrence)"
	case "assessed":
		return "Priority assessed"
	case "sender_suspended":
		return "Sender suspended by policy"
	case "sender_held":
		return "Sender held silently until decided"
	case "package_prepared":
		return "Report package prepared"
	case "oncall_alerted":
		return "On-call alerted"
	case "oncall_failed":
		return "On-call alert failed"
	case "claimed":
		return "Claimed"
	case "decided":
		return "Decided"
	case "reported":
		return "Reported to law enforcement"
	case "exported":
		return "Report package downloaded"
	case "draft_exported":
		return "DRAFT report package downloaded"
	case "report_failed":
		return "Report failed"
	case "report_retried":
		return "Report retried"
	case "report_exported":
		return "Report package exported, awaiting manual submission"
	case "report_submitted":
		return "Report submitted by hand"
	case "closed":
		return "Closed"
	case "appealed":
		return "Appealed"
	case "appeal_decided":
		return "Appeal decided"
	case "hold_contested":
		return "Hold contested by the sender"
	case "legal_hold":
		return "Legal hold placed"
	case "legal_hold_lifted":
		return "Legal hold lifted"
	}
	return words(a)
}

// words turns a code into words: "in_review" → "In review".
func words(code string) string {
	s := strings.ReplaceAll(code, "_", " ")
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func sizeWords(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

func shortHex(b []byte) string {
	const n = 8
	s := fmt.Sprintf("%x", b)
	if len(s) > 2*n {
		return s[:2*n] + "…"
	}
	return s
}

func (h *handler) stylesheet(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(assets, "static/console.css")
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(b)
}
