package web

import (
	"bytes"
	"net/http"
	"strconv"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/stats"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
)

// WithStats serves the platform's statistics, policy impact and
// transparency report to operators from p.
func WithStats(p *platform.Service) Option { return func(s *Server) { s.stats = p } }

// routesStats adds the operators' statistics routes. Without a statistics
// service they answer as endpoints that do not exist.
func (s *Server) routesStats(m *http.ServeMux) {
	if s.stats == nil {
		return
	}
	m.HandleFunc("GET /api/v1/admin/stats/platform", s.admin(s.adminStatsPlatform))
	m.HandleFunc("GET /api/v1/admin/stats/compare", s.admin(s.adminStatsCompare))
	m.HandleFunc("GET /api/v1/admin/stats/impact", s.admin(s.adminStatsImpact))
	m.HandleFunc("GET /api/v1/admin/transparency", s.admin(s.adminTransparency))
}

// contentTypes are the media types of the statistics formats.
var contentTypes = map[stats.Format]string{
	stats.FormatText:     "text/plain; charset=utf-8",
	stats.FormatMarkdown: "text/markdown; charset=utf-8",
	stats.FormatCSV:      "text/csv; charset=utf-8",
	stats.FormatJSON:     "application/json",
	stats.FormatHTML:     "text/html; charset=utf-8",
}

// statsQuery reads the period, the format (def when absent, one of
// allowed) and whether small counts are shown.
func statsQuery(r *http.Request, def stats.Format, allowed []stats.Format) (platform.Period, stats.Format, platform.Options, error) {
	q := r.URL.Query()
	var opt platform.Options
	if q.Get("period") == "" {
		return platform.Period{}, "", opt, safeguard.Invalid("stats_period", "Give a period: a year (2026), a quarter (2026-Q3) or a month (2026-07).")
	}
	p, err := platform.ParsePeriod(q.Get("period"))
	if err != nil {
		return p, "", opt, err
	}
	f := def
	if v := q.Get("format"); v != "" {
		if f, err = stats.ParseFormat(v); err != nil {
			return p, "", opt, err
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			return p, "", opt, safeguard.Invalid("stats_format", "This is not published as %s.", f)
		}
	}
	if v := q.Get("unsuppressed"); v != "" {
		if opt.Unsuppressed, err = strconv.ParseBool(v); err != nil {
			return p, "", opt, safeguard.Invalid("stats_unsuppressed", "unsuppressed is true or false.")
		}
	}
	return p, f, opt, nil
}

// writeStats renders out in f. An HTML page may use only its own inline
// style: it has no scripts and loads nothing.
func (s *Server) writeStats(w http.ResponseWriter, r *http.Request, f stats.Format, render func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentTypes[f])
	if f == stats.FormatHTML {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func (s *Server) adminStatsPlatform(w http.ResponseWriter, r *http.Request) {
	p, f, opt, err := statsQuery(r, stats.FormatJSON, stats.Formats)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	by, err := platform.ParseBy(r.URL.Query().Get("by"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	count, err := platform.ParseCount(r.URL.Query().Get("count"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.stats.Platform(r.Context(), p, by, count, opt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeStats(w, r, f, func(b *bytes.Buffer) error { return t.Render(b, f) })
}

func (s *Server) adminStatsCompare(w http.ResponseWriter, r *http.Request) {
	p, f, opt, err := statsQuery(r, stats.FormatJSON, stats.Formats)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.URL.Query().Get("returns")
	if name == "" {
		s.writeError(w, r, safeguard.Invalid("stats_returns", "Name a stored police return: returns=NAME."))
		return
	}
	t, err := s.stats.Compare(r.Context(), p, name, opt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeStats(w, r, f, func(b *bytes.Buffer) error { return t.Render(b, f) })
}

func (s *Server) adminStatsImpact(w http.ResponseWriter, r *http.Request) {
	p, f, opt, err := statsQuery(r, stats.FormatJSON, platform.ImpactFormats)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	im, err := s.stats.Impact(r.Context(), p, opt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeStats(w, r, f, func(b *bytes.Buffer) error { return im.Render(b, f) })
}

func (s *Server) adminTransparency(w http.ResponseWriter, r *http.Request) {
	p, f, opt, err := statsQuery(r, stats.FormatHTML, platform.TransparencyFormats)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.stats.Transparency(r.Context(), p, opt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeStats(w, r, f, func(b *bytes.Buffer) error { return rep.Render(b, f) })
}
