package client

import "context"

// RiskRules is the rule set in force on the server, with each rule's counts
// since the server started (GET /api/v1/admin/risk/rules).
type RiskRules struct {
	RuleSetVersion string     `json:"rule_set_version"`
	Rules          []RiskRule `json:"rules"`
}

// RiskRule is one grooming or sextortion rule and its counts: messages it
// was evaluated on, messages it fired on, evaluations that failed.
type RiskRule struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	Category    string `json:"category"`
	Severity    string `json:"severity"`
	Mode        string `json:"mode"` // enforce or shadow
	Notice      string `json:"notice,omitempty"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Evaluated   int64  `json:"evaluated"`
	Fired       int64  `json:"fired"`
	Errors      int64  `json:"errors"`
}

// RiskReload is the answer to a successful reload of the risk rules.
type RiskReload struct {
	RuleSetVersion string `json:"rule_set_version"`
	Rules          int    `json:"rules"`
}

// RiskRules lists the risk rules in force with their counters (operator).
func (c *Client) RiskRules(ctx context.Context) (*RiskRules, error) {
	var out RiskRules
	return &out, c.do(ctx, "GET", "/api/v1/admin/risk/rules", nil, &out)
}

// ReloadRiskRules has the server read its rule and lexicon files again
// (operator). A file with a problem leaves the rules in force and is a 400
// error naming each problem at its file:line:col.
func (c *Client) ReloadRiskRules(ctx context.Context) (*RiskReload, error) {
	var out RiskReload
	return &out, c.do(ctx, "POST", "/api/v1/admin/risk/reload", nil, &out)
}
