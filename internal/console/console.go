// Package console is the moderators' web console, served by the same binary
// under /console/: the review queue, case pages with their timeline, the
// signals that fired, occurrences and recipients, the evidence — images
// served only as blurred greyscale derivatives until a moderator reveals one,
// with a reason, in an audited read — decisions, appeals, legal holds, the
// export of report packages, and the management of moderators.
//
// Pages are server-rendered with html/template; the stylesheet is embedded
// and nothing is loaded from elsewhere; no script is needed. Moderators log
// in with their own accounts (internal/moderators), never a chat account's
// session; every POST carries the session's synchronizer token. See
// docs/console.md for the roles, the pages and the security measures.
package console

import (
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
)

// Defaults of Config.
const (
	DefaultRevealFor    = 5 * time.Minute // how long a revealed item stays shown
	DefaultPreviewCache = 256             // derivatives kept in memory
	// maxForm caps a form body.
	maxForm = 64 << 10
	// maxReason caps a reason given in a form, in bytes.
	maxReason = 2000
)

// Config configures the console.
type Config struct {
	// TestReports says that reports are marked as tests (the export
	// button and the reports say TEST).
	TestReports bool
	// SecureCookie sets the Secure attribute on the session cookie even
	// when the request did not come over TLS (behind a proxy that does
	// not say so). Without it the attribute follows Env.HTTPS.
	SecureCookie bool
	// RevealFor is how long a revealed item stays viewable by the
	// moderator who revealed it, before it must be revealed (and
	// recorded) again.
	RevealFor time.Duration
	// PreviewCache is how many blurred derivatives are kept in memory.
	PreviewCache int
}

// Deps are what the console works with. Now and Log are optional.
type Deps struct {
	Cases      *cases.Service
	Moderators *moderators.Service
	// Stats, if set, serves the statistics page: the platform's own table
	// of a period, with its chart.
	Stats *platform.Service
	Now   func() time.Time
	Log   *slog.Logger
}

// Env is what the HTTP layer tells the console about a request.
type Env struct {
	// ClientAddr is where the request came from (behind a trusted proxy,
	// the client it names).
	ClientAddr func(*http.Request) netip.AddrPort
	// HTTPS reports whether the browser's connection is HTTPS: TLS here,
	// or a trusted proxy says so.
	HTTPS func(*http.Request) bool
	// Status maps an error to its HTTP status (the API's one table).
	Status func(error) int
}

// Console serves the moderators' web console. Create it with New.
type Console struct {
	cfg Config
	Deps
	pages    pages
	grants   *grants
	previews *previews
}

//go:embed templates/*.html static/*
var assets embed.FS

// New returns a Console.
func New(cfg Config, d Deps) (*Console, error) {
	if d.Cases == nil || d.Moderators == nil {
		return nil, errors.New("console: cases and moderators are required")
	}
	if cfg.RevealFor <= 0 {
		cfg.RevealFor = DefaultRevealFor
	}
	if cfg.PreviewCache <= 0 {
		cfg.PreviewCache = DefaultPreviewCache
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, Deps: d, pages: p}
	c.grants = newGrants(d.Now, cfg.RevealFor)
	c.previews = newPreviews(cfg.PreviewCache)
	return c, nil
}

func (c *Console) clock() time.Time { return c.Now().UTC() }

// Handler returns the console's handler for paths under /console/.
func (c *Console) Handler(env Env) http.Handler {
	if env.ClientAddr == nil {
		env.ClientAddr = func(r *http.Request) netip.AddrPort { ap, _ := netip.ParseAddrPort(r.RemoteAddr); return ap }
	}
	if env.HTTPS == nil {
		env.HTTPS = func(r *http.Request) bool { return r.TLS != nil }
	}
	if env.Status == nil {
		env.Status = func(error) int { return http.StatusInternalServerError }
	}
	h := &handler{Console: c, env: env}
	m := http.NewServeMux()
	m.HandleFunc("GET /console/static/console.css", h.stylesheet)
	m.HandleFunc("GET /console/login", h.loginPage)
	m.HandleFunc("POST /console/login", h.login)
	m.HandleFunc("POST /console/logout", h.authed(h.logout))

	m.HandleFunc("GET /console/{$}", h.authed(h.queue))
	m.HandleFunc("POST /console/no-violation", h.authed(h.bulkNoViolation))
	m.HandleFunc("GET /console/cases/{id}", h.authed(h.casePage))
	m.HandleFunc("POST /console/cases/{id}/claim", h.authed(h.claim))
	m.HandleFunc("POST /console/cases/{id}/decide", h.authed(h.decide))
	m.HandleFunc("POST /console/cases/{id}/close", h.authed(h.closeCase))
	m.HandleFunc("POST /console/cases/{id}/legal-hold", h.authed(h.legalHold))
	m.HandleFunc("POST /console/cases/{id}/export", h.authed(h.export))
	m.HandleFunc("POST /console/cases/{id}/report-retry", h.authed(h.retryReport))
	m.HandleFunc("POST /console/cases/{id}/report-submitted", h.authed(h.reportSubmitted))
	m.HandleFunc("POST /console/cases/{id}/evidence/{seq}/reveal", h.authed(h.reveal))
	m.HandleFunc("POST /console/cases/{id}/conversation/reveal", h.authed(h.revealConversation))
	m.HandleFunc("GET /console/cases/{id}/evidence/{seq}/preview", h.authed(h.preview))
	m.HandleFunc("GET /console/cases/{id}/evidence/{seq}/original", h.authed(h.original))
	m.HandleFunc("POST /console/appeals/{id}/decide", h.authed(h.decideAppeal))

	m.HandleFunc("GET /console/stats", h.authed(h.statsPage))
	m.HandleFunc("GET /console/moderators", h.authed(h.moderatorsPage))
	m.HandleFunc("POST /console/moderators", h.authed(h.addModerator))
	m.HandleFunc("POST /console/moderators/{id}/{action}", h.authed(h.changeModerator))

	m.HandleFunc("/console/", h.authed(func(w http.ResponseWriter, r *http.Request, rq *request) {
		h.fail(w, r, rq, errNoPage)
	}))
	return h.headers(m)
}

// handler serves one Env.
type handler struct {
	*Console
	env Env
}
