package platform

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Bank describes a hash bank in use — never its contents.
type Bank struct {
	Name    string `json:"name"`
	Source  string `json:"source"`  // who supplies it, e.g. "IWF"
	Entries int    `json:"entries"` // how many known images it holds
	Version string `json:"version"` // the list's own version or date, as its source gives it
	// Negative marks a bank of known false positives, which stops
	// matches rather than making them.
	Negative bool `json:"negative,omitempty"`
}

// Banks lists the hash banks in use. StoreBanks reads them from the store;
// a nil Banks means the service has none.
type Banks interface {
	Banks(ctx context.Context) ([]Bank, error)
}

// StoreBanks lists the enabled hash banks of the store: a disabled bank
// matches nothing and is not in use.
type StoreBanks struct{ Store store.Store }

// Banks implements Banks.
func (s StoreBanks) Banks(ctx context.Context) ([]Bank, error) {
	var out []Bank
	err := viewTx(ctx, s.Store, func(tx Tx) error {
		bs, err := tx.HashBanks(ctx)
		for _, b := range bs {
			if b.Enabled {
				out = append(out, Bank{Name: b.Name, Source: b.Source, Entries: b.Entries, Version: b.Version, Negative: b.Negative})
			}
		}
		return err
	})
	return out, err
}

// Timing is how long something took, over the cases it happened to in the
// period: the median and the 90th percentile (nearest rank). With fewer
// cases than the suppression threshold, no times are given.
type Timing struct {
	What   string
	Cases  stats.Value
	Median time.Duration
	P90    time.Duration
	Shown  bool // Median and P90 are given
}

// Transparency is the transparency report of a period: what the platform
// found and did, with small counts suppressed.
type Transparency struct {
	Service   string
	Period    Period
	Generated time.Time
	// Encryption is the mode in force and its meaning in words.
	Encryption      policy.Mode
	EncryptionWords string
	// Banks are the hash banks in use; BanksConfigured is false when the
	// service has no hash banks at all.
	Banks           []Bank
	BanksConfigured bool
	SuppressedBelow int64
	Internal        bool // unsuppressed, for operators

	// Volumes: cases opened in the period, a row per detection source,
	// columns the total and each priority.
	Volumes *stats.Table
	// Review and Report time the first review and the first
	// law-enforcement report from the first detection of a case.
	Review, Report Timing
	// Decisions: cases decided in the period other than by a report to
	// law enforcement (those are the Reports), a row per decision.
	Decisions *stats.Table
	// Appeals: appeals decided in the period, a row per outcome; Received
	// and Waiting are the appeals received in the period and those still
	// waiting at its end.
	Appeals           *stats.Table
	Received, Waiting stats.Value
	// Reports: the first law-enforcement reports of cases filed in the
	// period, a row per priority, columns the total and each destination
	// (the same figures as the platform's tables of reports). FollowUps
	// counts the follow-ups filed in it; Tests says in words whether the
	// reports were marked as tests ("none", "all", "some") — a number
	// beside the total could give a hidden one away.
	Reports   *stats.Table
	FollowUps stats.Value
	Tests     string
	Method    []string
}

// EncryptionWords says what an encryption mode means for the people using
// the service.
func EncryptionWords(m policy.Mode) string {
	switch m {
	case policy.NSPCC:
		return "End-to-end encryption only between verified adults who ask for it; conversations with a child or a teen, and with anyone whose age is not verified, are never end-to-end encrypted, so the checks on them keep working."
	case policy.None:
		return "No end-to-end encryption: the server can check every conversation."
	}
	return string(m)
}

// decisionWords lists the decisions in the order the report shows them.
var decisionWords = []struct {
	d     safeguard.Decision
	words string
}{
	{safeguard.Ban, "account banned"},
	{safeguard.Suspend, "account suspended"},
	{safeguard.Warn, "warning"},
	{safeguard.RemoveContent, "content removed"},
	{safeguard.NoViolation, "no violation found"},
}

// TransparencyInput is what a transparency report is made from besides the
// cases.
type TransparencyInput struct {
	Service    string
	Period     Period
	Now        time.Time
	Encryption policy.Mode
	Banks      []Bank
	// BanksConfigured is false when the service has no hash-bank store.
	BanksConfigured bool
}

// transparencyTables builds the report's tables from the cases, unsuppressed.
func transparencyTables(cases []Case, in TransparencyInput) *Transparency {
	r := &Transparency{Service: in.Service, Period: in.Period, Generated: in.Now.UTC(), Encryption: in.Encryption,
		EncryptionWords: EncryptionWords(in.Encryption), Banks: in.Banks, BanksConfigured: in.BanksConfigured, Method: transparencyMethod}
	b := tableBase{p: in.Period, now: in.Now.UTC()}
	decisions := r.addVolumes(cases, b)
	dec := b.dataset("decisions", "cases decided", "decision", stats.NoSplit, stats.Column{Name: "cases decided"})
	for _, d := range decisionWords {
		dec.Rows = append(dec.Rows, row(d.words, decisions[d.d]))
	}
	r.Decisions = stats.NewTable(dec)
	r.addAppeals(cases, b)
	r.addReports(cases, b)
	return r
}

// tableBase is what every table of a transparency report shares.
type tableBase struct {
	p   Period
	now time.Time
}

func (b tableBase) dataset(name, measure, rowKind, columnKind string, cols ...stats.Column) *stats.Dataset {
	return &stats.Dataset{Name: name, Period: b.p.Label, Source: "the platform's own records", ImportedAt: b.now,
		Layout: stats.LayoutPlatform, Measure: measure, RowKind: rowKind, ColumnKind: columnKind, Columns: cols}
}

// addVolumes adds the cases opened by source and priority, and the times
// to review and to report. It returns the decisions made in the period.
func (r *Transparency) addVolumes(cases []Case, b tableBase) map[safeguard.Decision]int64 {
	p := b.p
	vol := b.dataset("volumes", MeasureCases, "detection source", "priority",
		stats.Column{Name: "cases", Total: true}, stats.Column{Name: "priority 1"}, stats.Column{Name: "priority 2"}, stats.Column{Name: "priority 3"})
	vol.Partition = true
	counts := map[string][]int64{}
	var review, report []time.Duration
	decisions := map[safeguard.Decision]int64{}
	for i := range cases {
		c := &cases[i]
		if p.Contains(c.Opened) {
			w := SourceWords(c.Source)
			if counts[w] == nil {
				counts[w] = make([]int64, 4)
			}
			counts[w][0]++
			if c.Priority >= 1 && c.Priority <= 3 {
				counts[w][c.Priority]++
			}
		}
		if p.Contains(c.FirstReview) {
			review = append(review, c.FirstReview.Sub(c.Detected))
		}
		if p.Contains(c.ReportedAt) {
			report = append(report, c.ReportedAt.Sub(c.Detected))
		}
		if p.Contains(c.DecidedAt) && c.Decision != "" {
			decisions[c.Decision]++
		}
	}
	vol.Rows = volumeRows(counts)
	r.Volumes = stats.NewTable(vol)
	r.Review = timing("from the first detection to a moderator's first review", review)
	r.Report = timing("from the first detection to the first report to law enforcement", report)
	return decisions
}

// volumeRows are the rows of the volumes table: every known source, then
// any other by name.
func volumeRows(counts map[string][]int64) []stats.Row {
	var rows []stats.Row
	for _, s := range Sources {
		n := counts[s.Words]
		if n == nil {
			n = make([]int64, 4)
		}
		rows = append(rows, row(s.Words, n...))
	}
	var other []string
	for w := range counts {
		if !knownSourceWords(w) {
			other = append(other, w)
		}
	}
	sort.Strings(other)
	for _, w := range other {
		rows = append(rows, row(w, counts[w]...))
	}
	return rows
}

// addAppeals adds the appeals received, decided and still waiting.
func (r *Transparency) addAppeals(cases []Case, b tableBase) {
	p := b.p
	var received, waiting int64
	outcome := map[safeguard.AppealStatus]int64{}
	for i := range cases {
		for _, a := range cases[i].Appeals {
			if p.Contains(a.CreatedAt) {
				received++
			}
			decided := a.Status == safeguard.AppealUpheld || a.Status == safeguard.AppealOverturned
			if decided && p.Contains(a.DecidedAt) {
				outcome[a.Status]++
			}
			if a.CreatedAt.Before(p.To) && (!decided || !a.DecidedAt.Before(p.To)) {
				waiting++
			}
		}
	}
	app := b.dataset("appeals", "appeals decided", "outcome", stats.NoSplit, stats.Column{Name: "appeals decided"})
	app.Rows = []stats.Row{
		row("upheld (the decision stands)", outcome[safeguard.AppealUpheld]),
		row("overturned (the decision was reversed)", outcome[safeguard.AppealOverturned]),
	}
	r.Appeals = stats.NewTable(app)
	r.Received, r.Waiting = stats.Num(received), stats.Num(waiting)
}

// addReports adds the reports to law enforcement by priority and
// destination, the follow-ups, and whether they were tests.
func (r *Transparency) addReports(cases []Case, b tableBase) {
	p := b.p
	rep := b.dataset("reports", "reports the platform made to law enforcement", "priority", "destination",
		stats.Column{Name: "reports", Total: true}, stats.Column{Name: "to the NCA"}, stats.Column{Name: "to NCMEC"})
	rep.Partition = true
	byPriority := map[int][]int64{}
	var followUps, tests, all int64
	for i := range cases {
		for _, rp := range cases[i].Reports {
			if !p.Contains(rp.SubmittedAt) {
				continue
			}
			all++
			if rp.Test {
				tests++
			}
			if rp.FollowUp {
				followUps++
				continue
			}
			n := byPriority[rp.Priority]
			if n == nil {
				n = make([]int64, 3)
				byPriority[rp.Priority] = n
			}
			n[0]++
			if rp.ToNCA() {
				n[1]++
			} else {
				n[2]++
			}
		}
	}
	rep.Rows = reportRows(byPriority)
	r.Reports = stats.NewTable(rep)
	r.FollowUps = stats.Num(followUps)
	switch {
	case tests == 0:
		r.Tests = "none"
	case tests == all:
		r.Tests = "all"
	default:
		r.Tests = "some"
	}
}

// reportRows are the rows of the reports table: priorities 1 to 3, then any
// other, in order.
func reportRows(byPriority map[int][]int64) []stats.Row {
	priorities := []int{1, 2, 3}
	for pr := range byPriority {
		if !slices.Contains(priorities, pr) {
			priorities = append(priorities, pr)
		}
	}
	sort.Ints(priorities)
	var rows []stats.Row
	for _, pr := range priorities {
		n := byPriority[pr]
		if n == nil {
			n = make([]int64, 3)
		}
		rows = append(rows, row(priorityWords(pr), n...))
	}
	return rows
}

// row is a dataset row with a label and counts.
func row(label string, ns ...int64) stats.Row {
	vs := make([]stats.Value, len(ns))
	for i, n := range ns {
		vs[i] = stats.Num(n)
	}
	return stats.Row{Force: label, Values: vs}
}

// timing summarises durations: the median and the 90th percentile by the
// nearest-rank method (the smallest duration with at least that share of
// the cases at or below it).
func timing(what string, ds []time.Duration) Timing {
	t := Timing{What: what, Cases: stats.Num(int64(len(ds)))}
	if len(ds) == 0 {
		return t
	}
	slices.Sort(ds)
	rank := func(pct int) time.Duration {
		k := (pct*len(ds) + 99) / 100 // ceil(pct/100 × n), from 1
		return ds[max(k, 1)-1]
	}
	t.Median, t.P90, t.Shown = rank(50), rank(90), true
	return t
}

// suppressTimings hides the times of fewer cases than below.
func (r *Transparency) suppressTimings(below int64) {
	for _, t := range []*Timing{&r.Review, &r.Report} {
		if t.Cases.N < below {
			t.Shown, t.Median, t.P90 = false, 0, 0
		}
		t.Cases = stats.Suppress(t.Cases, below)
	}
	r.Received = stats.Suppress(r.Received, below)
	r.Waiting = stats.Suppress(r.Waiting, below)
	r.FollowUps = stats.Suppress(r.FollowUps, below)
	// The reports timed are the first reports of the period: their number
	// is the reports table's total, shown as it is there.
	r.Report.Cases = r.Reports.Computed[0]
}

// tables lists the report's tables.
func (r *Transparency) tables() []*stats.Table {
	return []*stats.Table{r.Volumes, r.Decisions, r.Appeals, r.Reports}
}

var transparencyMethod = []string{
	"Every figure is counted from the platform's own records of the period (UTC): cases opened, first reviewed, decided and reported in it, appeals received and decided in it, reports filed in it. Nothing is estimated.",
	"A case gathers every occurrence of one piece of content from one sender; its detection source is what found it (a known image counts before anything else found in the same content), its priority the law-enforcement priority assessed from its facts (1 is a child at immediate risk).",
	"Times run from the first detection of a case to its first review by a moderator (claimed or decided), and to its first report to law enforcement; the median and the 90th percentile use the nearest-rank method.",
	"Reports to the NCA are exported as packages for its portal; reports to NCMEC go through its API. The table counts each case's first report; a follow-up carries new occurrences of a case already reported and is counted apart.",
}

// String returns a short description, for logs.
func (r *Transparency) String() string {
	return fmt.Sprintf("transparency report %s, %s", r.Service, r.Period.Label)
}
