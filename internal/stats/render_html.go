package stats

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// pageStyle is the page's only style sheet: no external files, so the page
// can be mailed, archived or printed as it is.
const pageStyle = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0 0 1rem; color: #333; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; }
.warning { border: 2px solid #b35900; border-left-width: 8px; background: #fff4e5; padding: .6rem .9rem; margin: 1rem 0; }
.warning p { margin: .2rem 0; }
p.internal { border: 3px solid #8a0000; color: #8a0000; font-weight: 700; padding: .5rem .8rem; margin: 0 0 1rem; }
figure { margin: 1rem 0; }
figcaption { color: #333; font-size: .9rem; margin-top: .25rem; }
svg.chart { max-width: 100%; height: auto; display: block; }
ul.chart-legend { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1.25rem; padding: 0; margin: 0 0 .5rem; }
ul.chart-legend li { display: flex; align-items: center; gap: .45rem; min-width: 0; }
ul.chart-legend svg { flex: none; }
ul.chart-legend .pattern { color: #444; }
svg.chart .segment-label, svg.chart .bar-label, svg.chart .force-name { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; fill: #111; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; max-width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: .35rem; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #ccc; }
th { text-align: left; vertical-align: bottom; }
td.num, th.num { text-align: right; }
td.np { color: #555; font-style: italic; }
td.sup { color: #555; }
tr.computed th, tr.computed td { font-weight: 700; border-top: 2px solid #333; }
tr.stated th, tr.stated td { color: #333; }
td.mismatch { color: #8a2a00; font-weight: 700; }
p.note { color: #333; margin: .4rem 0; }
p.denominator { font-weight: 600; margin: .75rem 0 .25rem; }
ul.checks li.bad { color: #8a2a00; font-weight: 600; }
@media print {
  body { font-size: 10.5pt; color: #000; }
  main { max-width: none; padding: 0; }
  .warning { background: none; border-color: #000; }
  figure, table { break-inside: avoid; }
  svg.chart { width: 100%; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
`

func (t *Table) writeHTML(w io.Writer) error {
	d := t.Dataset
	esc := html.EscapeString
	var b strings.Builder
	title := t.Title() + chartPeriod(d)
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", esc(title), pageStyle)
	if t.Internal {
		fmt.Fprintf(&b, "<p class=\"internal\" role=\"alert\">%s</p>\n", esc(InternalBanner))
	}
	fmt.Fprintf(&b, "<h1>%s</h1>\n", esc(t.Title()))
	if p := t.provenance(); len(p) > 0 {
		b.WriteString("<dl class=\"provenance\">\n")
		for _, kv := range p {
			fmt.Fprintf(&b, "<dt>%s</dt><dd>%s</dd>\n", esc(kv[0]), esc(kv[1]))
		}
		b.WriteString("</dl>\n")
	}
	t.writeHTMLBody(&b)
	b.WriteString("</main>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTMLFragment writes the table's page without its document: the
// warnings, the chart, the table, the notes, the shares and the checks, for
// a page of another application (the moderators' console). The markup is
// the same as the page's, classes included; the styles are the host's.
func (t *Table) WriteHTMLFragment(w io.Writer) error {
	var b strings.Builder
	t.writeHTMLBody(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeHTMLBody writes what follows the page's heading and provenance.
func (t *Table) writeHTMLBody(b *strings.Builder) {
	d := t.Dataset
	esc := html.EscapeString
	if ws := t.Warnings(); len(ws) > 0 {
		b.WriteString("<div class=\"warning\" role=\"note\">\n")
		for _, w := range ws {
			fmt.Fprintf(b, "<p><strong>Warning:</strong> %s</p>\n", esc(w))
		}
		b.WriteString("</div>\n")
	}

	if !d.NoChart {
		b.WriteString("<figure>\n")
		t.writeLegend(b)
		t.writeChart(b)
		fmt.Fprintf(b, "<figcaption>%s</figcaption>\n</figure>\n", esc(t.chartCaption()))
	}

	t.writeHTMLTable(b)
	for _, n := range t.notes() {
		fmt.Fprintf(b, "<p class=\"note\">%s</p>\n", esc(n))
	}
	if groups := t.shareGroups(); len(groups) > 0 {
		b.WriteString("<h2>Shares</h2>\n")
		for k, g := range groups {
			fmt.Fprintf(b, "<p class=\"denominator\" id=\"shares-%d\">Each %s as a %s:</p>\n", k, esc(t.shareSubject()), esc(g[0].Denominator))
			fmt.Fprintf(b, "<table class=\"shares\" aria-labelledby=\"shares-%d\">\n", k)
			fmt.Fprintf(b, "<thead><tr><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">Count</th><th scope=\"col\" class=\"num\">Share</th></tr></thead>\n<tbody>\n", esc(capitalise(t.shareSubject())))
			for _, s := range g {
				fmt.Fprintf(b, "<tr><th scope=\"row\">%s</th><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n", esc(s.Column), esc(t.shareCount(s)), esc(percent(s)))
			}
			b.WriteString("</tbody>\n</table>\n")
		}
		if n := t.sharesNote(); n != "" {
			fmt.Fprintf(b, "<p class=\"note\">%s</p>\n", esc(n))
		}
	}
	if len(t.Checks) > 0 {
		b.WriteString("<h2>Stated totals checked against the force rows</h2>\n<ul class=\"checks\">\n")
		for _, c := range t.Checks {
			class := "ok"
			if !c.OK() {
				class = "bad"
			}
			fmt.Fprintf(b, "<li class=\"%s\">%s</li>\n", class, esc(checkSentence(c)))
		}
		b.WriteString("</ul>\n")
	}
}

// chartCaption says how to read the chart.
func (t *Table) chartCaption() string {
	row, col := t.rowWords(), t.Dataset.ColumnKindOrDefault()
	if col == NoSplit {
		col = "column"
	}
	s := fmt.Sprintf("Each bar is one %s; each segment one %s, with its count written in it where it fits.", row, col)
	if tc := t.Dataset.TotalColumn(); tc >= 0 {
		parts := "segments"
		if col == "app" {
			parts = "apps"
		}
		s += fmt.Sprintf(" The outline is the %s's %s; the figure after the bar reads \"%s of total\".", row, t.Dataset.Columns[tc].Name, parts)
	}
	if len(t.Silent) > 0 {
		s += " Forces that did not provide figures have no bar: they are not zero."
	}
	if t.SuppressedBelow > 0 {
		s += " Suppressed and withheld counts have no segment; they are named after the bar."
	}
	return s
}

func (t *Table) writeHTMLTable(b *strings.Builder) {
	d := t.Dataset
	esc := html.EscapeString
	// A wide table scrolls in its own labelled region, not the page.
	fmt.Fprintf(b, "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"data-caption\" tabindex=\"0\">\n")
	fmt.Fprintf(b, "<table class=\"data\">\n<caption id=\"data-caption\">%s</caption>\n<thead><tr><th scope=\"col\">%s</th>", esc(t.Title()+chartPeriod(d)), esc(t.RowHeader()))
	for _, c := range d.Columns {
		fmt.Fprintf(b, "<th scope=\"col\" class=\"num\">%s</th>", esc(c.Name))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	cell := func(v Value, text string, mismatch bool) {
		class := "num"
		switch {
		case mismatch:
			class += " mismatch"
		case v.State == NotProvided:
			class += " np"
		case v.Hidden():
			class += " sup"
		}
		fmt.Fprintf(b, "<td class=\"%s\">%s</td>", class, esc(text))
	}
	for i, r := range d.Rows {
		fmt.Fprintf(b, "<tr><th scope=\"row\">%s</th>", esc(r.Force))
		for _, v := range t.Cells[i] {
			cell(v, v.String(), false)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n<tfoot>\n")
	fmt.Fprintf(b, "<tr class=\"computed\"><th scope=\"row\">%s</th>", esc(t.ComputedLabel()))
	for _, v := range t.Computed {
		cell(v, v.String(), false)
	}
	b.WriteString("</tr>\n")
	for _, st := range d.StatedTotals {
		fmt.Fprintf(b, "<tr class=\"stated\"><th scope=\"row\">%s (stated, row %d)</th>", esc(st.Label), st.Line)
		for j, v := range st.Values {
			text := t.statedCell(st.Line, j, v)
			cell(v, text, text != v.String())
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tfoot>\n</table>\n</div>\n")
}
