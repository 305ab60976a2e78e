// Package web is Safeguard's HTTP layer: the JSON API under /api/v1, the live
// event stream, health and metrics. It depends on the use cases
// (internal/messaging) and never on a concrete store; the wire types are those
// of package client.
package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/app"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/console"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
)

// Defaults of Config.
const (
	DefaultMaxJSONBody  = 256 << 10
	DefaultSSEHeartbeat = 25 * time.Second
)

// Config configures the HTTP layer.
type Config struct {
	// AdminToken guards the operator API (/api/v1/admin/…). Empty turns the
	// operator API off.
	AdminToken string
	// MaxJSONBody caps JSON request bodies; image uploads are capped by the
	// messaging service's image limit plus room for the form.
	MaxJSONBody int64
	// ClientAddrHeader, if set, names a header that a trusted reverse proxy
	// appends the client's address (and source port) to: X-Forwarded-For
	// style ("203.0.113.7:51234, 10.0.0.2") or RFC 7239 Forwarded
	// ("for=\"[2001:db8::1]:4711\""). It is honoured only from
	// TrustedProxies, and read from the right: the client is the first hop
	// that is not a trusted proxy.
	ClientAddrHeader string
	TrustedProxies   []netip.Prefix
	SSEHeartbeat     time.Duration
	// MaxStreamsPerAccount and MaxStreamsPerAddress cap the live event
	// streams open at once for one account and from one client address (an
	// IPv6 /64); a new stream over a cap ends the oldest (see streamSet).
	MaxStreamsPerAccount int
	MaxStreamsPerAddress int
	// SupportContact says how people reach the operator's support team (an
	// email address, a URL or a sentence); the app shows it where a person
	// needs a person: a reset code, age verification, an operator's
	// suspension. Empty: the app says to ask the team without an address.
	SupportContact string
}

// Server serves the API.
type Server struct {
	cfg     Config
	svc     *messaging.Service
	bus     bus.Bus
	log     *slog.Logger
	clock   Clock
	now     func() time.Time
	streams *streamSet
	metrics *metrics
	reg     *prometheus.Registry
	mux     *http.ServeMux
	cases   *cases.Service
	stats   *platform.Service
	console *console.Console
	risk    RiskRules
	e2ee    *e2ee.Service
	banks   HashBanks
}

// New returns a Server. reg receives the server's metrics (a new registry if
// nil).
func New(cfg Config, svc *messaging.Service, b bus.Bus, log *slog.Logger, reg *prometheus.Registry, opts ...Option) *Server {
	if cfg.MaxJSONBody <= 0 {
		cfg.MaxJSONBody = DefaultMaxJSONBody
	}
	if cfg.SSEHeartbeat <= 0 {
		cfg.SSEHeartbeat = DefaultSSEHeartbeat
	}
	if cfg.MaxStreamsPerAccount <= 0 {
		cfg.MaxStreamsPerAccount = DefaultMaxStreamsPerAccount
	}
	if cfg.MaxStreamsPerAddress <= 0 {
		cfg.MaxStreamsPerAddress = DefaultMaxStreamsPerAddress
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, svc: svc, bus: b, log: log, clock: systemClock{}, now: time.Now, metrics: newMetrics(reg), reg: reg, mux: http.NewServeMux(),
		streams: newStreamSet(cfg.MaxStreamsPerAccount, cfg.MaxStreamsPerAddress)}
	s.streams.bus, s.streams.log = b, log
	for _, o := range opts {
		o(s)
	}
	s.routes(reg)
	return s
}

// Handler returns the server's handler, with logging, metrics and panic
// recovery around every request.
func (s *Server) Handler() http.Handler { return s.middleware(s.mux) }

// Notifier returns the notifier that the messaging service should use to
// deliver live events through this server's bus.
func Notifier(b bus.Bus, log *slog.Logger) messaging.Notifier {
	return &liveNotifier{bus: b, log: log}
}

func (s *Server) routes(reg *prometheus.Registry) {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	// Metrics are the operator's: without the token /metrics is not here.
	m.HandleFunc("GET /metrics", s.admin(metricsHandler(reg).ServeHTTP))

	m.HandleFunc("POST /api/v1/accounts", s.signUp)
	m.HandleFunc("POST /api/v1/sessions", s.login)
	m.HandleFunc("DELETE /api/v1/sessions/current", s.authSuspended(s.logout))
	m.HandleFunc("GET /api/v1/me", s.authSuspended(s.me))
	m.HandleFunc("GET /api/v1/about", s.about)
	m.HandleFunc("GET /api/v1/accounts/{handle}", s.auth(s.lookup))

	m.HandleFunc("POST /api/v1/guardian/link", s.auth(s.guardianLink))
	m.HandleFunc("POST /api/v1/guardian/code", s.auth(s.guardianCode))
	m.HandleFunc("GET /api/v1/guardian/children", s.auth(s.guardianChildren))
	m.HandleFunc("POST /api/v1/guardian/children/{handle}/code", s.auth(s.secondGuardianCode))
	m.HandleFunc("DELETE /api/v1/guardian/children/{handle}", s.authSuspended(s.stepDown))
	m.HandleFunc("POST /api/v1/guardian/children/{handle}/reset-code", s.auth(s.guardianReset))
	m.HandleFunc("GET /api/v1/guardian/requests", s.auth(s.guardianRequests))
	m.HandleFunc("GET /api/v1/guardian/contacts", s.auth(s.guardianContacts))
	m.HandleFunc("POST /api/v1/guardian/requests/{id}/approve", s.auth(s.guardianDecide(true)))
	m.HandleFunc("POST /api/v1/guardian/requests/{id}/decline", s.auth(s.guardianDecide(false)))

	m.HandleFunc("GET /api/v1/contacts", s.auth(s.contacts))
	m.HandleFunc("POST /api/v1/contacts", s.auth(s.requestContact))
	m.HandleFunc("POST /api/v1/contacts/{id}/accept", s.auth(s.answerContact(true)))
	m.HandleFunc("POST /api/v1/contacts/{id}/decline", s.auth(s.answerContact(false)))
	m.HandleFunc("POST /api/v1/contacts/{id}/block", s.auth(s.blockContact))
	m.HandleFunc("POST /api/v1/blocks", s.auth(s.block))
	m.HandleFunc("DELETE /api/v1/blocks/{handle}", s.auth(s.unblock))

	m.HandleFunc("GET /api/v1/conversations", s.auth(s.conversations))
	m.HandleFunc("POST /api/v1/conversations", s.auth(s.createConversation))
	m.HandleFunc("GET /api/v1/conversations/{id}", s.auth(s.conversation))
	m.HandleFunc("POST /api/v1/conversations/{id}/members", s.auth(s.addMember))
	m.HandleFunc("DELETE /api/v1/conversations/{id}/members/{handle}", s.auth(s.removeMember))
	m.HandleFunc("POST /api/v1/conversations/{id}/accept", s.auth(s.acceptInvitation))
	m.HandleFunc("POST /api/v1/conversations/{id}/leave", s.auth(s.leave))
	m.HandleFunc("GET /api/v1/conversations/{id}/messages", s.auth(s.history))
	m.HandleFunc("POST /api/v1/conversations/{id}/messages", s.auth(s.sendMessage))
	m.HandleFunc("POST /api/v1/conversations/{id}/read", s.auth(s.markRead))
	m.HandleFunc("GET /api/v1/conversations/{id}/read", s.auth(s.readMarkers))
	m.HandleFunc("POST /api/v1/messages", s.auth(s.sendDirect))
	m.HandleFunc("GET /api/v1/media/{id}", s.auth(s.media))
	m.HandleFunc("GET /api/v1/events", s.auth(s.events))

	m.HandleFunc("POST /api/v1/admin/accounts/{id}/age-assurance", s.admin(s.adminAgeAssurance()))
	m.HandleFunc("GET /api/v1/admin/audit", s.admin(s.adminAudit))
	s.routesAccountLife(m)
	s.routesRisk(m, reg)
	s.routesCases(m)
	s.routesStats(m)
	s.routesConsole(m)
	s.routesE2EE(m)
	s.routesBanks(m)
	s.routesMe(m)

	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, safeguard.Errorf(safeguard.ErrNotFound, "no_such_endpoint", "There is no such endpoint."))
	})
	// Everything else is the web app (internal/app).
	m.Handle("/", app.Handler())
}

// AppHeader names the app a request comes through, when one backend serves
// several apps; without it, the account's own app is recorded.
const AppHeader = "X-Safeguard-App"

// errSuspended answers a suspended account everywhere but its own account
// and its appeals.
var errSuspended = safeguard.Errorf(safeguard.ErrPermission, "account_suspended",
	"This account is suspended. You can see why and appeal the decision.")

// auth wraps h so that it runs only with a valid bearer session of an account
// that is not suspended, the session's account in the request context.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, a *safeguard.Account)) http.HandlerFunc {
	return s.authAs(false, h)
}

// authSuspended is auth that also lets a suspended account through: for its
// own account and the export of its data, logging out, and appeals.
func (s *Server) authSuspended(h func(w http.ResponseWriter, r *http.Request, a *safeguard.Account)) http.HandlerFunc {
	return s.authAs(true, h)
}

func (s *Server) authAs(suspendedOK bool, h func(w http.ResponseWriter, r *http.Request, a *safeguard.Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			s.writeError(w, r, safeguard.Errorf(safeguard.ErrUnauthenticated, "unauthenticated", "Please log in."))
			return
		}
		a, err := s.svc.Authenticate(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.svc.Touch(r.Context(), token)
		if a.Status == safeguard.Suspended && !suspendedOK {
			s.writeError(w, r, errSuspended)
			return
		}
		ctx := messaging.WithActor(r.Context(), a)
		if app := r.Header.Get(AppHeader); app != "" {
			if !s.svc.ValidApp(app) {
				s.writeError(w, r, safeguard.Invalid("unknown_app", "There is no app called %q here.", app))
				return
			}
			ctx = messaging.WithApp(ctx, app)
		}
		h(w, r.WithContext(ctx), a)
	}
}

// admin wraps h so that it runs only with the operator token. With no token
// configured the operator API does not exist.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" {
			s.writeError(w, r, safeguard.Errorf(safeguard.ErrNotFound, "no_such_endpoint", "There is no such endpoint."))
			return
		}
		token, ok := bearer(r)
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) != 1 {
			s.writeError(w, r, safeguard.Errorf(safeguard.ErrUnauthenticated, "unauthenticated", "The operator token is missing or wrong."))
			return
		}
		h(w, r)
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// middleware logs each request once (method, route, status, duration —
// never bodies), counts it, and turns a panic into a 500.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "method", r.Method, "route", r.Pattern, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(route, sw.status, d)
			if route != "GET /metrics" && route != "GET /healthz" && route != "GET /readyz" {
				s.log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("route", route),
					slog.Int("status", sw.status), slog.Duration("duration", d))
			}
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	out := map[string]string{"store": "ok", "bus": "ok"}
	code := http.StatusOK
	if err := s.svc.Ready(ctx); err != nil {
		out["store"], code = "unavailable", http.StatusServiceUnavailable
	}
	if err := s.bus.Ping(ctx); err != nil {
		out["bus"], code = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, code, out)
}
