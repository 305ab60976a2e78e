package web

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/risk"
)

// RiskRules is what the operator API needs of the risk scanner: the rules in
// force, their counters, and a reload.
type RiskRules interface {
	RuleSet() *risk.RuleSet
	// Counters are the counts the operator sees: in a cluster, summed
	// over every server.
	Counters() []risk.RuleCounter
	// Reload reads the rule files again; on an error the rules in force
	// stay, and the error says where each problem is.
	Reload(ctx context.Context) (*risk.RuleSet, error)
}

// WithRisk serves the operator's risk endpoints, with each rule's counters,
// from the risk scanner rr.
func WithRisk(rr RiskRules) Option { return func(s *Server) { s.risk = rr } }

// routesRisk adds the operator's risk endpoints, when the server has a risk
// scanner. Counters by rule are served there and only there: on /metrics a
// rule's alert count would tell a sender which rule their message fired.
func (s *Server) routesRisk(m *http.ServeMux, reg *prometheus.Registry) {
	rr := s.risk
	if rr == nil {
		return
	}
	reg.MustRegister(riskCollector{rr})
	m.HandleFunc("GET /api/v1/admin/risk/rules", s.admin(func(w http.ResponseWriter, r *http.Request) {
		rs := rr.RuleSet()
		counts := map[string]risk.RuleCounter{}
		for _, c := range rr.Counters() {
			counts[c.ID] = c
		}
		out := client.RiskRules{RuleSetVersion: rs.Version(), Rules: []client.RiskRule{}}
		for _, rule := range rs.Rules() {
			c := counts[rule.ID]
			out.Rules = append(out.Rules, client.RiskRule{ID: rule.ID, Description: rule.Description, Category: string(rule.Category),
				Severity: string(rule.Severity), Mode: string(rule.Mode), Notice: string(rule.Notice), File: rule.File, Line: rule.Line,
				Evaluated: c.Evaluated, Fired: c.Fired, Errors: c.Errors})
		}
		writeJSON(w, http.StatusOK, out)
	}))
	m.HandleFunc("POST /api/v1/admin/risk/reload", s.admin(func(w http.ResponseWriter, r *http.Request) {
		rs, err := rr.Reload(r.Context())
		if err != nil {
			if safeguard.ErrorCode(err) == "internal" {
				err = &safeguard.Error{Kind: safeguard.ErrInvalid, Code: "invalid_rules", Message: err.Error(), Err: err}
			}
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, client.RiskReload{RuleSetVersion: rs.Version(), Rules: len(rs.Rules())})
	}))
}

// riskCollector exports the totals over all rules, read at scrape time:
// how much work the rules do and how often one fails, never which rule fired
// or how often rules fired. Each server exports its own counts (a
// RiskRules with NodeCounters, in a cluster, says which they are), as
// Prometheus sums over the servers it scrapes.
type riskCollector struct{ rr RiskRules }

// nodeCounters is a RiskRules whose Counters are a cluster's, with this
// server's apart.
type nodeCounters interface {
	NodeCounters() []risk.RuleCounter
}

var (
	riskEvaluations = prometheus.NewDesc("safeguard_risk_rule_evaluations_total",
		"Evaluations of risk rules on messages, all rules together.", nil, nil)
	riskErrors = prometheus.NewDesc("safeguard_risk_rule_errors_total",
		"Evaluations of risk rules that failed (the rule did not fire), all rules together.", nil, nil)
)

func (c riskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- riskEvaluations
	ch <- riskErrors
}

func (c riskCollector) Collect(ch chan<- prometheus.Metric) {
	var evaluated, errs int64
	counters := c.rr.Counters
	if n, ok := c.rr.(nodeCounters); ok {
		counters = n.NodeCounters
	}
	for _, k := range counters() {
		evaluated += k.Evaluated
		errs += k.Errors
	}
	ch <- prometheus.MustNewConstMetric(riskEvaluations, prometheus.CounterValue, float64(evaluated))
	ch <- prometheus.MustNewConstMetric(riskErrors, prometheus.CounterValue, float64(errs))
}
