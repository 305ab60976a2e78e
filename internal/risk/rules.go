package risk

import (
	"regexp"
	"strings"

	"github.com/safeguard-dev/safeguard"
	"go.yaml.in/yaml/v3"
)

// Rule is one rule as written in a rules file.
type Rule struct {
	ID          string
	Description string
	Category    safeguard.Category // grooming, sextortion, meeting, …
	Severity    Severity
	Mode        Mode
	Notice      Notice // the notice a minor sees when it fires
	Expr        string // CEL, evaluating to a bool
	File        string
	Line        int
}

var (
	ruleIDRE   = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)
	categoryRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// rawRule is a rule with the nodes of its fields, for positions.
type rawRule struct {
	Rule
	idNode, exprNode *yaml.Node
	lines            []string
}

// readRules parses one rules file.
func readRules(src Source, list *[]Problem) []rawRule {
	p := problems{file: src.Name, list: list}
	root := parseYAML(src, p)
	if root == nil {
		return nil
	}
	lines := sourceLines(src.Data)
	f := fields(root, p, "version", "rules")
	checkVersion(f, root, p)
	rs := f["rules"]
	if rs == nil {
		p.at(root, "missing rules:")
		return nil
	}
	if rs.Kind != yaml.SequenceNode {
		p.at(rs, "rules: want a list")
		return nil
	}
	var out []rawRule
	for _, rn := range rs.Content {
		rf := fields(rn, p, "id", "description", "category", "severity", "mode", "notice", "expr")
		if rn.Kind != yaml.MappingNode {
			continue
		}
		r := rawRule{Rule: Rule{File: src.Name, Line: rn.Line}, lines: lines}
		get := func(key string, required bool) (string, *yaml.Node) {
			n, ok := rf[key]
			if !ok {
				if required {
					p.at(rn, "rule: missing %s", key)
				}
				return "", nil
			}
			v, _ := scalar(n, p, key)
			return v, n
		}
		var n *yaml.Node
		r.ID, r.idNode = get("id", true)
		if r.idNode != nil && !ruleIDRE.MatchString(r.ID) {
			p.at(r.idNode, "id %q: want lower-case letters, digits, '.', '_' or '-', starting with a letter", r.ID)
		}
		r.Description, _ = get("description", true)
		var cat string
		cat, n = get("category", true)
		r.Category = safeguard.Category(cat)
		if n != nil && !categoryRE.MatchString(cat) {
			p.at(n, "category %q: want a lower-case word such as grooming or sextortion", r.Category)
		}
		var s string
		s, n = get("severity", true)
		r.Severity = Severity(s)
		if n != nil && r.Severity.Rank() == 0 {
			p.at(n, "severity %q: want low, medium, high or critical", s)
		}
		s, n = get("mode", true)
		r.Mode = Mode(s)
		if n != nil && r.Mode != Enforce && r.Mode != Shadow {
			p.at(n, "mode %q: want enforce or shadow", s)
		}
		s, n = get("notice", false)
		switch {
		case n == nil && r.Category == safeguard.CategorySextortion:
			r.Notice = SextortionWarning
		case n == nil:
			r.Notice = RiskWarning
		case s == "none":
			r.Notice = NoNotice
		case Notice(s).rank() > 0:
			r.Notice = Notice(s)
		default:
			p.at(n, "notice %q: want risk_warning, sextortion_warning, sextortion_emergency or none", s)
		}
		r.Expr, r.exprNode = get("expr", true)
		if r.exprNode != nil && strings.TrimSpace(r.Expr) == "" {
			p.at(r.exprNode, "expr is empty")
		}
		out = append(out, r)
	}
	return out
}
