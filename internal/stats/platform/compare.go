package platform

import (
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

// Compare sets the platform's own figures for period p beside an imported
// police return for the same period: a row per force of the return, in its
// order, then any other police force area where the platform counted
// something (its police figure "not provided": the return does not cover
// it). The columns are the return's total ("recorded by the police",
// published already, never suppressed), the cases the platform opened and
// the reports it made to law enforcement. The columns count different
// things: there is no total column, no share and no chart.
//
// The return must cover the same period: its own period (as imported) must
// read as p, or as the dates p covers.
func Compare(cases []Case, p Period, returns *stats.Dataset, now time.Time) (*stats.Dataset, error) {
	rp, err := DatasetPeriod(returns.Period)
	if err != nil || !rp.From.Equal(p.From) || !rp.To.Equal(p.To) {
		return nil, safeguard.Invalid("stats_period_mismatch",
			"the return %q covers %q, not %s (%s): compare figures of the same period, or import the return with --period %s",
			returns.Name, returns.Period, p.Label, p.Words(), p.Label)
	}
	tc := returns.TotalColumn()
	if tc < 0 {
		return nil, safeguard.Invalid("stats_no_total", "the return %q has no total column to compare with", returns.Name)
	}
	police := "recorded by the police: " + returns.Columns[tc].Name
	d := &stats.Dataset{
		Name: fmt.Sprintf("compare-%s-%s", p.Label, returns.Name), Period: p.Label,
		Source:     fmt.Sprintf("police figures: %s (%s); platform figures: the platform's own records", returns.Name, orNone(returns.Source)),
		ImportedAt: now.UTC(), Layout: stats.LayoutPlatform, ForceHeader: "police_force_area",
		Measure:    "police-recorded " + returns.MeasureOrDefault() + " beside the platform's cases and reports to law enforcement",
		ColumnKind: stats.NoSplit, NoChart: true,
		Columns: []stats.Column{{Name: police, Published: true}, {Name: "cases"}, {Name: "reports"}},
	}
	casesBy := map[string]int64{}
	reportsBy := map[string]int64{}
	areas := map[Area]bool{}
	for _, it := range items(cases, Query{Period: p, Count: CountCases}) {
		casesBy[it.c.Area.Code]++
		areas[it.c.Area] = true
	}
	for _, it := range items(cases, Query{Period: p, Count: CountReports}) {
		reportsBy[it.c.Area.Code]++
		areas[it.c.Area] = true
	}
	seen := map[string]bool{}
	providing := 0
	for _, r := range returns.Rows {
		if r.Values[tc].IsCount() {
			providing++
		}
		seen[r.ForceCode] = true
		d.Rows = append(d.Rows, stats.Row{Line: r.Line, Lines: r.Lines, Force: r.Force, ForceCode: r.ForceCode,
			Values: []stats.Value{r.Values[tc], stats.Num(casesBy[r.ForceCode]), stats.Num(reportsBy[r.ForceCode])}})
	}
	var outside []string
	for _, a := range sortedAreas(areas) {
		if a.Code != "" && seen[a.Code] {
			continue
		}
		outside = append(outside, a.Label())
		d.Rows = append(d.Rows, stats.Row{Force: a.Label(), ForceCode: a.Code,
			Values: []stats.Value{{}, stats.Num(casesBy[a.Code]), stats.Num(reportsBy[a.Code])}})
	}
	d.Notes = []string{
		fmt.Sprintf("%q is the return's total column: offences the police recorded, as the return published them; \"not provided\" is never zero, and its total covers the %d of %d forces of the return that provided a figure.", police, providing, len(returns.Rows)),
		fmt.Sprintf("\"cases\": cases the platform opened from %s; \"reports\": its first reports to law enforcement filed in the same dates (its referrals), one per case. Both are counted in the police force area of the child involved, or with no child of the reported user.", p.Words()),
		"The platform's figures are not a part of the police figures: a referral may be recorded as an offence by another force, later, or not at all. They are set side by side, not divided.",
	}
	if len(outside) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("Areas where the platform counted something but which the return does not cover (their police figure shows as not provided): %s.", joinWords(outside)))
	}
	return d, nil
}

func orNone(s string) string {
	if s == "" {
		return "source not given"
	}
	return s
}

func joinWords(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	out := ""
	for i, w := range ws {
		switch {
		case i == 0:
			out = w
		case i == len(ws)-1:
			out += " and " + w
		default:
			out += ", " + w
		}
	}
	return out
}
