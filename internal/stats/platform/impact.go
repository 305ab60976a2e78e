package platform

import (
	"fmt"
	"sort"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

// Policy is an encryption policy to weigh: which conversations it would have
// end-to-end encrypted, decided from what each detection recorded.
type Policy struct {
	Name        string // "running policy (nspcc)", "E2EE for everyone"
	Description string
	// E2EE reports whether the policy would have encrypted the
	// conversation of d, given its members as d recorded them.
	E2EE func(d Detection) bool
}

// RunningPolicy is the policy in force, counted as if every conversation it
// allows to be end-to-end encrypted had asked to be: under nspcc, those whose
// every member — the sender included — was a verified adult at detection
// time; under none, no conversation. Its figure is the most it could cost.
func RunningPolicy(mode policy.Mode) Policy {
	cfg := policy.Config{Mode: mode}
	p := Policy{Name: fmt.Sprintf("running policy (%s)", mode)}
	switch mode {
	case policy.NSPCC:
		p.Description = "the policy in force: end-to-end encryption only where every member is a verified adult, counted as if every such conversation had asked for it"
	default:
		p.Description = "the policy in force: no end-to-end encryption"
	}
	p.E2EE = func(d Detection) bool {
		if d.ConversationID == 0 || len(d.Members) < 2 || !hasMember(d.Members, d.SenderID) {
			return false // a member whose facts were not recorded cannot be taken as verified
		}
		parties := make([]policy.Party, len(d.Members))
		for i, m := range d.Members {
			parties[i] = policy.Party{ID: m.AccountID, Band: m.Band, Assurance: m.Assurance, Status: safeguard.Active}
		}
		return cfg.Encryption(parties, true).E2EE
	}
	return p
}

func hasMember(ms []safeguard.MemberFacts, id int64) bool {
	for _, m := range ms {
		if m.AccountID == id {
			return true
		}
	}
	return false
}

// EveryonePolicy is end-to-end encryption for every conversation, children's
// included: what child-protection charities warned against.
func EveryonePolicy() Policy {
	return Policy{
		Name:        "E2EE for everyone",
		Description: "every conversation end-to-end encrypted, children's included",
		E2EE:        func(d Detection) bool { return d.ConversationID != 0 },
	}
}

// Lost reports whether the case would not have been found under p: it has
// detections, and every one of them is the server reading content in a
// conversation p would have encrypted. A case with a person's report in it
// is never lost: a report of an end-to-end encrypted message stays possible
// through franking.
func (p Policy) Lost(c *Case) bool {
	if len(c.Detections) == 0 {
		return false
	}
	for _, d := range c.Detections {
		if !d.ServerSide() || d.ConversationE2EE || !p.E2EE(d) {
			return false
		}
	}
	return true
}

// PolicyImpact is what one policy would have cost in the period, as
// published: small counts suppressed once the Impact is.
type PolicyImpact struct {
	Name, Description string
	Lost              stats.Value // cases it would not have found
	// LostReported is how many of those were reported to law enforcement.
	LostReported stats.Value
	// Percent is Lost as a share of all cases opened in the period, when
	// both are shown (ShareShown).
	Percent    float64
	ShareShown bool
}

// Impact is the policy impact of a period: for each policy, the platform's
// cases that depended on content the server could see only because the
// conversation was not end-to-end encrypted, overall and by police force
// area, app and detection source.
type Impact struct {
	Period   Period
	Counted  time.Time
	Cases    stats.Value // cases opened in the period
	Reported stats.Value // of which reported to law enforcement
	Policies []PolicyImpact
	// The breakdowns: rows of police force areas, apps and detection
	// sources; columns "cases", then "lost under" each policy. The
	// summary figures are their computed totals, so that a figure hidden
	// in a table is hidden in the summary too.
	ByArea, ByApp, BySource *stats.Table
	SuppressedBelow         int64
	Internal                bool // unsuppressed, for operators

	reported     int64
	lostReported []int64
}

// tables lists the breakdowns.
func (im *Impact) tables() []*stats.Table { return []*stats.Table{im.ByArea, im.ByApp, im.BySource} }

// refresh sets the summary from the breakdowns as they are shown, and
// suppresses the small counts of lost reports.
func (im *Impact) refresh(below int64) {
	im.SuppressedBelow = below
	im.Cases = im.ByArea.Computed[0]
	im.Reported = stats.Num(im.reported)
	if below > 0 {
		im.Reported = stats.Suppress(im.Reported, below)
	}
	for k := range im.Policies {
		pi := &im.Policies[k]
		pi.Lost = im.ByArea.Computed[k+1]
		pi.LostReported = stats.Num(im.lostReported[k])
		if below > 0 {
			pi.LostReported = stats.Suppress(pi.LostReported, below)
		}
		pi.ShareShown = pi.Lost.IsCount() && im.Cases.IsCount() && im.Cases.N > 0
		if pi.ShareShown {
			pi.Percent = 100 * float64(pi.Lost.N) / float64(im.Cases.N)
		}
	}
}

// ImpactMethod says how the figures are computed, in the words every
// format prints.
var ImpactMethod = []string{
	"A case is lost under a policy when every detection that opened or joined it was the server reading content — a known-image, URL or risk-rule match, or content toward a minor that could not be checked — in a conversation that policy would have end-to-end encrypted. A case with a person's report in it is never lost (a report of an end-to-end encrypted message stays possible through franking), nor is a report of an account.",
	"Whether a policy would have encrypted a conversation is decided from what each detection recorded at the time: the members' age bands and age assurance. The running policy is counted as if every conversation it allows to be encrypted had asked to be, so its figure is the most it could cost; a detection that did not record its sender's facts counts as not encryptable under it.",
	"Only cases opened in the period are counted, from the platform's own records; nothing is estimated or scaled.",
}

// ComputeImpact weighs the policies against the cases opened in period p.
func ComputeImpact(cases []Case, p Period, now time.Time, policies ...Policy) *Impact {
	im := &Impact{Period: p, Counted: now.UTC()}
	var opened []*Case
	for i := range cases {
		if p.Contains(cases[i].Opened) {
			opened = append(opened, &cases[i])
		}
	}
	lost := make([][]bool, len(opened)) // case × policy
	var reported int64
	for i, c := range opened {
		if !c.ReportedAt.IsZero() {
			reported++
		}
		lost[i] = make([]bool, len(policies))
		for k, pol := range policies {
			lost[i][k] = pol.Lost(c)
		}
	}
	im.reported = reported
	for k, pol := range policies {
		var n int64
		for i, c := range opened {
			if lost[i][k] && !c.ReportedAt.IsZero() {
				n++
			}
		}
		im.Policies = append(im.Policies, PolicyImpact{Name: pol.Name, Description: pol.Description})
		im.lostReported = append(im.lostReported, n)
	}
	breakdown := func(rowKind string, key func(c *Case) (label, code string)) *stats.Dataset {
		d := &stats.Dataset{
			Name: fmt.Sprintf("policy-impact-%s", p.Label), Period: p.Label, Source: "the platform's own records",
			ImportedAt: now.UTC(), Layout: stats.LayoutPlatform, Measure: MeasureCases, ForceHeader: "police_force_area",
			ColumnKind: "encryption policy", RowKind: rowKind,
			Columns: []stats.Column{{Name: "cases", Total: true}},
		}
		for _, pol := range policies {
			d.Columns = append(d.Columns, stats.Column{Name: "lost under " + pol.Name})
		}
		type row struct {
			label, code string
			n           []int64
		}
		var rows []*row
		index := map[string]*row{}
		for i, c := range opened {
			label, code := key(c)
			r := index[label]
			if r == nil {
				r = &row{label: label, code: code, n: make([]int64, len(d.Columns))}
				index[label] = r
				rows = append(rows, r)
			}
			r.n[0]++
			for k := range policies {
				if lost[i][k] {
					r.n[k+1]++
				}
			}
		}
		for _, r := range rows {
			vs := make([]stats.Value, len(r.n))
			for j, n := range r.n {
				vs[j] = stats.Num(n)
			}
			d.Rows = append(d.Rows, stats.Row{Force: r.label, ForceCode: r.code, Values: vs})
		}
		d.Notes = []string{"The columns are not a split: a case lost under one policy may be lost under another."}
		return d
	}
	areas := map[Area]bool{}
	for _, c := range opened {
		areas[c.Area] = true
	}
	order := map[string]int{}
	for i, a := range sortedAreas(areas) {
		order[a.Label()] = i
	}
	byArea := breakdown("", func(c *Case) (string, string) { return c.Area.Label(), c.Area.Code })
	sortRows(byArea, func(label string) int { return order[label] })
	byApp := breakdown("app", func(c *Case) (string, string) { return c.App, "" })
	sortRows(byApp, func(label string) int { return 0 })
	bySource := breakdown("detection source", func(c *Case) (string, string) { return SourceWords(c.Source), "" })
	sourceOrder := map[string]int{}
	for i, s := range Sources {
		sourceOrder[s.Words] = i + 1
	}
	sortRows(bySource, func(label string) int { return sourceOrder[label] })
	im.ByArea, im.ByApp, im.BySource = stats.NewTable(byArea), stats.NewTable(byApp), stats.NewTable(bySource)
	im.refresh(0)
	return im
}

// sortRows orders a dataset's rows by rank, then by label.
func sortRows(d *stats.Dataset, rank func(label string) int) {
	sort.SliceStable(d.Rows, func(i, j int) bool {
		a, b := d.Rows[i].Force, d.Rows[j].Force
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		return a < b
	})
}
