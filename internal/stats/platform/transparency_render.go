package platform

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

// TransparencyFormats are the formats Transparency.Render writes, the
// default first.
var TransparencyFormats = []stats.Format{stats.FormatHTML, stats.FormatMarkdown, stats.FormatJSON}

// Render writes the report in f: html, markdown or json.
func (r *Transparency) Render(w io.Writer, f stats.Format) error {
	switch f {
	case stats.FormatHTML, "":
		return r.writeHTML(w)
	case stats.FormatMarkdown:
		return r.writeMarkdown(w)
	case stats.FormatJSON:
		return r.writeJSON(w)
	}
	return safeguard.Invalid("stats_format", "the transparency report is written as html, markdown or json, not %q", f)
}

// Title is the report's heading.
func (r *Transparency) Title() string {
	name := r.Service
	if name == "" {
		name = "Safeguard"
	}
	return fmt.Sprintf("%s transparency report, %s", name, r.Period.Label)
}

// grid is a table as text: a header, rows, and the total row.
type grid struct {
	Caption string
	Header  []string
	Rows    [][]string
	Total   []string
}

func gridOf(t *stats.Table, caption string) grid {
	d := t.Dataset
	g := grid{Caption: caption, Header: []string{t.RowHeader()}}
	for _, c := range d.Columns {
		g.Header = append(g.Header, c.Name)
	}
	for i, row := range d.Rows {
		r := []string{row.Force}
		for _, v := range t.Cells[i] {
			r = append(r, v.String())
		}
		g.Rows = append(g.Rows, r)
	}
	g.Total = []string{"total"}
	for _, v := range t.Computed {
		g.Total = append(g.Total, v.String())
	}
	return g
}

func (r *Transparency) grids() (volumes, decisions, appeals, reports grid) {
	return gridOf(r.Volumes, "Cases opened, by detection source and priority"),
		gridOf(r.Decisions, "Cases decided other than by a report to law enforcement, by decision"),
		gridOf(r.Appeals, "Appeals decided, by outcome"),
		gridOf(r.Reports, "First reports to law enforcement, by priority and destination")
}

// timingRows are the timings as text: what, cases, median, 90th percentile.
func (r *Transparency) timingRows() [][]string {
	var out [][]string
	for _, t := range []Timing{r.Review, r.Report} {
		var median, p90 string
		switch {
		case t.Shown:
			median, p90 = Duration(t.Median), Duration(t.P90)
		case t.Cases == stats.Num(0):
			median, p90 = "no cases", "no cases"
		default:
			median, p90 = fmt.Sprintf("not given (fewer than %d cases)", r.SuppressedBelow), "not given"
		}
		out = append(out, []string{t.What, t.Cases.String(), median, p90})
	}
	return out
}

// Duration writes a duration for people: "45 s", "12 min", "5 h 20 min",
// "3 d 4 h".
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%d d", days)
	}
	return fmt.Sprintf("%d d %d h", days, h)
}

// suppressionNote says how small counts are shown.
func (r *Transparency) suppressionNote() string {
	if r.Internal {
		return stats.InternalBanner + ": small counts are shown."
	}
	if r.SuppressedBelow == 0 {
		return ""
	}
	return fmt.Sprintf("Counts from 1 to %d are suppressed and shown as <%d so that no child can be identified; zero is shown as 0. \"withheld\" marks a count kept back, whatever its size, so that a suppressed one cannot be worked out from the totals.",
		r.SuppressedBelow-1, r.SuppressedBelow)
}

// bankRows are the hash banks as text.
func (r *Transparency) bankRows() [][]string {
	var out [][]string
	for _, b := range r.Banks {
		kind := "matches known images"
		if b.Negative {
			kind = "known false positives (stops matches)"
		}
		version := b.Version
		if version == "" {
			version = "—"
		}
		out = append(out, []string{b.Name, b.Source, fmt.Sprint(b.Entries), version, kind})
	}
	return out
}

//go:embed transparency.html.tmpl
var transparencyHTML string

var transparencyTemplate = template.Must(template.New("transparency").Parse(transparencyHTML))

func (r *Transparency) writeHTML(w io.Writer) error {
	volumes, decisions, appeals, reports := r.grids()
	data := map[string]any{
		"R": r, "Title": r.Title(), "Banner": stats.InternalBanner,
		"From": r.Period.From.Format("2 January 2006"), "Words": r.Period.Words(),
		"Generated": r.Generated.Format("2006-01-02 15:04 UTC"),
		"Volumes":   volumes, "Decisions": decisions, "Appeals": appeals, "Reports": reports,
		"Timings": r.timingRows(), "Banks": r.bankRows(), "Suppression": r.suppressionNote(),
	}
	bw := bufio.NewWriter(w)
	if err := transparencyTemplate.Execute(bw, data); err != nil {
		return fmt.Errorf("transparency report: %w", err)
	}
	return bw.Flush()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mdTable writes a Markdown table; the columns after the first are
// right-aligned when numeric.
func mdTable(bw *bufio.Writer, header []string, rows [][]string, total []string, numeric bool) {
	line := func(cells []string, bold bool) {
		bw.WriteString("|")
		for _, c := range cells {
			c = mdCell(c)
			if bold {
				c = "**" + c + "**"
			}
			bw.WriteString(" " + c + " |")
		}
		bw.WriteString("\n")
	}
	line(header, false)
	bw.WriteString("|---|")
	for range header[1:] {
		if numeric {
			bw.WriteString("---:|")
		} else {
			bw.WriteString("---|")
		}
	}
	bw.WriteString("\n")
	for _, r := range rows {
		line(r, false)
	}
	if total != nil {
		line(total, true)
	}
	bw.WriteString("\n")
}

func (r *Transparency) writeMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	volumes, decisions, appeals, reports := r.grids()
	if r.Internal {
		fmt.Fprintf(bw, "> **%s**\n\n", stats.InternalBanner)
	}
	fmt.Fprintf(bw, "# %s\n\n", mdCell(r.Title()))
	fmt.Fprintf(bw, "- **Period:** %s (%s, UTC)\n- **Generated:** %s\n\n", r.Period.Label, r.Period.Words(), r.Generated.Format("2006-01-02 15:04 UTC"))
	if s := r.suppressionNote(); s != "" {
		fmt.Fprintf(bw, "%s\n\n", mdCell(s))
	}
	fmt.Fprintf(bw, "## Encryption in force\n\n**%s.** %s\n\n", r.Encryption, r.EncryptionWords)
	fmt.Fprintf(bw, "## What the platform found\n\n%s:\n\n", volumes.Caption)
	mdTable(bw, volumes.Header, volumes.Rows, volumes.Total, true)
	fmt.Fprint(bw, "## How fast it acted\n\n")
	mdTable(bw, []string{"From the first detection", "cases", "median", "90th percentile"}, r.timingRows(), nil, true)
	fmt.Fprintf(bw, "## Decisions\n\n%s:\n\n", decisions.Caption)
	mdTable(bw, decisions.Header, decisions.Rows, decisions.Total, true)
	fmt.Fprintf(bw, "## Appeals\n\nAppeals received: %s. Still waiting at the end of the period: %s.\n\n%s:\n\n",
		mdCell(r.Received.String()), mdCell(r.Waiting.String()), appeals.Caption)
	mdTable(bw, appeals.Header, appeals.Rows, appeals.Total, true)
	fmt.Fprintf(bw, "## Reports to law enforcement\n\n%s:\n\n", reports.Caption)
	mdTable(bw, reports.Header, reports.Rows, reports.Total, true)
	fmt.Fprintf(bw, "Follow-ups of a case already reported: %s. Marked as tests: %s.\n\n", mdCell(r.FollowUps.String()), r.Tests)
	fmt.Fprint(bw, "## Hash banks in use\n\n")
	switch {
	case !r.BanksConfigured || len(r.Banks) == 0:
		fmt.Fprint(bw, "None configured: no known-image hash list was in use.\n\n")
	default:
		fmt.Fprint(bw, "Names, sizes and sources only; the hashes themselves are never published.\n\n")
		mdTable(bw, []string{"Bank", "Source", "Known images", "Version", "Use"}, r.bankRows(), nil, false)
	}
	fmt.Fprint(bw, "## About these figures\n\n")
	for _, m := range r.Method {
		fmt.Fprintf(bw, "- %s\n", mdCell(m))
	}
	return bw.Flush()
}

type jsonGrid struct {
	Caption string        `json:"caption"`
	RowKind string        `json:"row_kind"`
	Columns []string      `json:"columns"`
	Rows    []jsonGridRow `json:"rows"`
	Total   []stats.Value `json:"total"`
}

type jsonGridRow struct {
	Label  string        `json:"label"`
	Values []stats.Value `json:"values"`
}

func jsonGridOf(t *stats.Table, caption string) jsonGrid {
	g := jsonGrid{Caption: caption, RowKind: t.Dataset.RowKind, Total: t.Computed, Rows: []jsonGridRow{}}
	for _, c := range t.Dataset.Columns {
		g.Columns = append(g.Columns, c.Name)
	}
	for i, r := range t.Dataset.Rows {
		g.Rows = append(g.Rows, jsonGridRow{Label: r.Force, Values: t.Cells[i]})
	}
	return g
}

type jsonTiming struct {
	What       string      `json:"what"`
	Cases      stats.Value `json:"cases"`
	MedianSecs *int64      `json:"median_seconds"`
	P90Secs    *int64      `json:"p90_seconds"`
}

func (r *Transparency) writeJSON(w io.Writer) error {
	volumes, decisions, appeals, reports := r.grids()
	banks := r.Banks
	if banks == nil {
		banks = []Bank{}
	}
	doc := map[string]any{
		"title": r.Title(), "service": r.Service, "period": r.Period.Label,
		"from": r.Period.From.Format("2006-01-02"), "to": r.Period.To.AddDate(0, 0, -1).Format("2006-01-02"),
		"generated":  r.Generated.Format(time.RFC3339),
		"encryption": map[string]string{"mode": string(r.Encryption), "meaning": r.EncryptionWords},
		"cases":      jsonGridOf(r.Volumes, volumes.Caption),
		"decisions":  jsonGridOf(r.Decisions, decisions.Caption),
		"appeals": map[string]any{"received": r.Received, "waiting_at_end": r.Waiting,
			"decided": jsonGridOf(r.Appeals, appeals.Caption)},
		"law_enforcement_reports": map[string]any{"follow_ups": r.FollowUps, "tests": r.Tests,
			"by_priority": jsonGridOf(r.Reports, reports.Caption)},
		"hash_banks":           map[string]any{"configured": r.BanksConfigured && len(r.Banks) > 0, "banks": banks},
		"method":               r.Method,
		"suppressed_below":     r.SuppressedBelow,
		"suppression":          r.suppressionNote(),
		"internal":             r.Internal,
		"time_to_first_review": r.jsonTiming(r.Review),
		"time_to_first_report": r.jsonTiming(r.Report),
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func (r *Transparency) jsonTiming(t Timing) jsonTiming {
	j := jsonTiming{What: t.What, Cases: t.Cases}
	if t.Shown {
		m, p := int64(t.Median/time.Second), int64(t.P90/time.Second)
		j.MedianSecs, j.P90Secs = &m, &p
	}
	return j
}
