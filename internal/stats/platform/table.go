package platform

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

// By names what a platform table's columns split its total by.
type By string

// The splits of a platform table. ByForce has no split: a column of cases
// and one of those among them reported to law enforcement.
const (
	ByForce    By = "force"
	ByApp      By = "app"
	BySource   By = "source"
	ByPriority By = "priority"
)

// ParseBy reads a split; empty is ByForce.
func ParseBy(s string) (By, error) {
	switch b := By(strings.ToLower(strings.TrimSpace(s))); b {
	case "":
		return ByForce, nil
	case ByForce, ByApp, BySource, ByPriority:
		return b, nil
	}
	return "", safeguard.Invalid("stats_by", "by %q: use force, app, source or priority", s)
}

// Count names what a platform table counts.
type Count string

// What a platform table counts: the cases opened in the period, or the
// first law-enforcement reports filed in it (one per case).
const (
	CountCases   Count = "cases"
	CountReports Count = "reports"
)

// ParseCount reads what to count; empty is CountCases.
func ParseCount(s string) (Count, error) {
	switch c := Count(strings.ToLower(strings.TrimSpace(s))); c {
	case "":
		return CountCases, nil
	case CountCases, CountReports:
		return c, nil
	}
	return "", safeguard.Invalid("stats_count", "count %q: use cases or reports", s)
}

// Query selects a platform table.
type Query struct {
	Period Period
	By     By
	Count  Count
	// Apps are the apps the service runs, shown as columns in this order
	// even when they have nothing in the period.
	Apps []string
	Now  time.Time // stamps the table
}

// Measures: what the total column of a platform table counts, in the words
// of its title and share denominator.
const (
	MeasureCases   = "cases the platform opened"
	MeasureReports = "reports the platform made to law enforcement"
)

// ColumnReported is the column of ByForce tables of cases: the cases among
// them that have been reported to law enforcement.
const ColumnReported = "of which reported to law enforcement"

// counted is one thing a platform table counts: a case, or a case's first
// report.
type counted struct {
	c        *Case
	priority int
	test     bool
}

// items selects what q counts from cases.
func items(cases []Case, q Query) []counted {
	var out []counted
	for i := range cases {
		c := &cases[i]
		switch q.Count {
		case CountReports:
			if r, ok := c.FirstReport(); ok && q.Period.Contains(r.SubmittedAt) {
				out = append(out, counted{c, r.Priority, r.Test})
			}
		default:
			if q.Period.Contains(c.Opened) {
				out = append(out, counted{c, c.Priority, false})
			}
		}
	}
	return out
}

// splitColumns names what the columns after the total split by, and the
// columns themselves.
func splitColumns(its []counted, q Query) (kind string, split []string) {
	switch q.By {
	case ByForce:
		if q.Count == CountCases {
			split = []string{ColumnReported}
		}
		return stats.NoSplit, split
	case ByApp:
		return "app", appColumns(its, q.Apps)
	case BySource:
		for _, s := range Sources {
			split = append(split, s.Words)
		}
		for _, it := range its {
			if w := SourceWords(it.c.Source); !slices.Contains(split, w) {
				split = append(split, w)
			}
		}
		return "detection source", split
	case ByPriority:
		split = []string{"priority 1", "priority 2", "priority 3"}
		for _, it := range its {
			if w := priorityWords(it.priority); !slices.Contains(split, w) {
				split = append(split, w)
			}
		}
		return "priority", split
	}
	return "", nil
}

// Table counts cases as q asks, as a stats dataset: a row per police force
// area with something to count ("not recorded" last), the total first, then
// the split. Its columns partition the total except for ByForce. The caller
// suppresses small counts before publishing (stats.Table.Suppress).
func Table(cases []Case, q Query) *stats.Dataset {
	if q.Count == "" {
		q.Count = CountCases
	}
	if q.By == "" {
		q.By = ByForce
	}
	its := items(cases, q)
	d := &stats.Dataset{
		Name:        fmt.Sprintf("platform-%s-%s-by-%s", q.Period.Label, q.Count, q.By),
		Period:      q.Period.Label,
		Source:      "the platform's own records",
		ImportedAt:  q.Now.UTC(),
		Layout:      stats.LayoutPlatform,
		Measure:     MeasureCases,
		ForceHeader: "police_force_area",
		Partition:   q.By != ByForce,
	}
	total := "cases"
	if q.Count == CountReports {
		d.Measure, total = MeasureReports, "reports"
	}
	d.Columns = []stats.Column{{Name: total, Total: true}}
	var split []string
	d.ColumnKind, split = splitColumns(its, q)
	for _, s := range split {
		d.Columns = append(d.Columns, stats.Column{Name: s})
	}
	column := func(it counted) int {
		var name string
		switch q.By {
		case ByApp:
			name = it.c.App
		case BySource:
			name = SourceWords(it.c.Source)
		case ByPriority:
			name = priorityWords(it.priority)
		default:
			return -1
		}
		return 1 + slices.Index(split, name)
	}

	rows := map[Area][]int64{}
	for _, it := range its {
		vs := rows[it.c.Area]
		if vs == nil {
			vs = make([]int64, len(d.Columns))
			rows[it.c.Area] = vs
		}
		vs[0]++
		if j := column(it); j > 0 {
			vs[j]++
		}
		if q.By == ByForce && q.Count == CountCases && !it.c.ReportedAt.IsZero() {
			vs[1]++
		}
	}
	for _, a := range sortedAreas(rows) {
		vs := make([]stats.Value, len(d.Columns))
		for j, n := range rows[a] {
			vs[j] = stats.Num(n)
		}
		d.Rows = append(d.Rows, stats.Row{Force: a.Label(), ForceCode: a.Code, Values: vs})
	}
	d.Notes = tableNotes(its, q)
	return d
}

// appColumns lists the apps: the service's, in its order, then any other
// app counted, by name, with "not recorded" last.
func appColumns(its []counted, apps []string) []string {
	out := append([]string(nil), apps...)
	var more []string
	for _, it := range its {
		if a := it.c.App; !slices.Contains(out, a) && !slices.Contains(more, a) {
			more = append(more, a)
		}
	}
	sort.Slice(more, func(i, j int) bool {
		if (more[i] == NotRecorded) != (more[j] == NotRecorded) {
			return more[j] == NotRecorded
		}
		return more[i] < more[j]
	})
	return append(out, more...)
}

func priorityWords(p int) string { return fmt.Sprintf("priority %d", p) }

// sortedAreas orders areas by name, "not recorded" last.
func sortedAreas[T any](m map[Area]T) []Area {
	out := make([]Area, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == "") != (out[j].Name == "") {
			return out[j].Name == ""
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// tableNotes say how a platform table was counted.
func tableNotes(its []counted, q Query) []string {
	var n []string
	switch q.Count {
	case CountReports:
		n = append(n, fmt.Sprintf("First reports to law enforcement filed from %s (UTC), one per case; a follow-up of a case already reported is not counted again. Counted from the platform's own records.", q.Period.Words()))
		tests := 0
		for _, it := range its {
			if it.test {
				tests++
			}
		}
		if tests > 0 {
			n = append(n, fmt.Sprintf("%d of these reports were marked as tests: the service ran with test reports on.", tests))
		}
	default:
		n = append(n, fmt.Sprintf("Cases opened from %s (UTC), counted from the platform's own records. A case gathers every occurrence of one piece of content from one sender.", q.Period.Words()))
	}
	n = append(n, "A case is counted in the police force area of the child it involves (the first young person among those who received or reported the content, or a young sender), by the local authority their account gave; with no child, in the area of the reported user. \"not recorded\": the account gave no local authority.")
	switch q.By {
	case ByApp:
		n = append(n, "The app is the app of the conversation where the content was found; for a report of an account, the reporter's app.")
	case BySource:
		n = append(n, "The detection source is what found the case: a known image counts before anything else found in the same content.")
	case ByForce:
		if q.Count == CountCases {
			n = append(n, fmt.Sprintf("%q counts the cases among them reported by the time of counting, whenever the report was filed.", ColumnReported))
		}
	}
	return n
}
