package web

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/safeguard-dev/safeguard/internal/console"
)

// WithConsole serves the moderators' web console under /console/.
func WithConsole(c *console.Console) Option { return func(s *Server) { s.console = c } }

// routesConsole adds the console. It tells the console where a request came
// from and whether the browser's connection is HTTPS by the same rules as
// the API (trusted proxies only), and maps errors through the one table.
func (s *Server) routesConsole(m *http.ServeMux) {
	if s.console == nil {
		return
	}
	h := s.console.Handler(console.Env{
		ClientAddr: func(r *http.Request) netip.AddrPort { return s.origin(r).Addr },
		HTTPS:      s.https,
		Status:     status,
	})
	m.Handle("/console/", h)
	m.Handle("/console", http.RedirectHandler("/console/", http.StatusMovedPermanently))
}

// https reports whether the browser's connection is HTTPS: TLS here, or a
// trusted proxy says so with X-Forwarded-Proto or Forwarded proto=.
func (s *Server) https(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !s.trusted(peer.Addr()) {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
		return true
	}
	first, _, _ := strings.Cut(r.Header.Get("Forwarded"), ",")
	for _, part := range strings.Split(first, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && strings.EqualFold(k, "proto") {
			return strings.EqualFold(strings.Trim(v, `"`), "https")
		}
	}
	return false
}
