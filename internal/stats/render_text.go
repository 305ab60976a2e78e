package stats

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// grid is the table as strings: the header, the force rows, the computed
// total and the stated totals.
func (t *Table) grid() (header []string, rows [][]string) {
	d := t.Dataset
	header = append([]string{t.RowHeader()}, columnNames(d)...)
	for i, r := range d.Rows {
		row := []string{r.Force}
		for _, v := range t.Cells[i] {
			row = append(row, v.String())
		}
		rows = append(rows, row)
	}
	row := []string{t.ComputedLabel()}
	for _, v := range t.Computed {
		row = append(row, v.String())
	}
	rows = append(rows, row)
	for _, st := range d.StatedTotals {
		row := []string{fmt.Sprintf("%s (stated, row %d)", st.Label, st.Line)}
		for j, v := range st.Values {
			row = append(row, t.statedCell(st.Line, j, v))
		}
		rows = append(rows, row)
	}
	return header, rows
}

func columnNames(d *Dataset) []string {
	names := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		names[i] = c.Name
	}
	return names
}

// provenance are the lines that say what the figures are and where they
// came from.
func (t *Table) provenance() [][2]string {
	d := t.Dataset
	var p [][2]string
	add := func(k, v string) {
		if v != "" {
			p = append(p, [2]string{k, v})
		}
	}
	add("Dataset", d.Name)
	add("Period", d.Period)
	add("Source", d.Source)
	if !d.ImportedAt.IsZero() {
		key := "Imported"
		if d.Layout == LayoutPlatform {
			key = "Counted"
		}
		add(key, d.ImportedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if d.Layout == LayoutIncidents {
		add("Counted from", "one row per recorded offence")
	}
	return p
}

func (t *Table) writeText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	title := t.Title()
	fmt.Fprintln(bw, title)
	fmt.Fprintln(bw, strings.Repeat("=", utf8.RuneCountInString(title)))
	kw := 0
	for _, p := range t.provenance() {
		kw = max(kw, len(p[0])+1)
	}
	for _, p := range t.provenance() {
		fmt.Fprintf(bw, "%-*s %s\n", kw, p[0]+":", p[1])
	}
	fmt.Fprintln(bw)

	header, rows := t.grid()
	width := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for j, c := range r {
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for j, c := range r {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if j == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(bw, strings.TrimRight(b.String(), " "))
	}
	line(header)
	rule := make([]string, len(header))
	for j := range rule {
		rule[j] = strings.Repeat("-", width[j])
	}
	line(rule)
	nforce := len(t.Dataset.Rows)
	for i, r := range rows {
		if i == nforce {
			line(rule)
		}
		line(r)
	}
	if notes := t.notes(); len(notes) > 0 {
		fmt.Fprintln(bw)
		for _, n := range notes {
			fmt.Fprintln(bw, n)
		}
	}

	if groups := t.shareGroups(); len(groups) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, "Shares")
		for _, g := range groups {
			fmt.Fprintf(bw, "Each %s as a %s:\n", t.shareSubject(), g[0].Denominator)
			nw, cw, pw := 0, 0, 6
			for _, s := range g {
				nw = max(nw, utf8.RuneCountInString(s.Column))
				cw = max(cw, len(t.shareCount(s)))
				pw = max(pw, len(percent(s)))
			}
			for _, s := range g {
				fmt.Fprintf(bw, "  %-*s  %*s  %*s\n", nw, s.Column, cw, t.shareCount(s), pw, percent(s))
			}
		}
		if n := t.sharesNote(); n != "" {
			fmt.Fprintln(bw, n)
		}
	}
	if len(t.Checks) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, "Stated totals checked against the force rows")
		for _, c := range t.Checks {
			fmt.Fprintln(bw, "  "+checkSentence(c))
		}
	}
	if ws := t.Warnings(); len(ws) > 0 {
		fmt.Fprintln(bw)
		for _, w := range ws {
			fmt.Fprintln(bw, "Warning: "+w)
		}
	}
	return bw.Flush()
}

// mdEscape keeps a cell from breaking a Markdown table.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

func (t *Table) writeMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n\n", mdEscape(t.Title()))
	for _, p := range t.provenance() {
		fmt.Fprintf(bw, "- **%s:** %s\n", p[0], mdEscape(p[1]))
	}
	fmt.Fprintln(bw)
	header, rows := t.grid()
	cells := func(r []string, bold bool) {
		bw.WriteString("|")
		for _, c := range r {
			c = mdEscape(c)
			if bold && c != "" {
				c = "**" + c + "**"
			}
			bw.WriteString(" " + c + " |")
		}
		bw.WriteString("\n")
	}
	cells(header, false)
	bw.WriteString("|---|")
	for range header[1:] {
		bw.WriteString("---:|")
	}
	bw.WriteString("\n")
	for i, r := range rows {
		cells(r, i == len(t.Dataset.Rows))
	}
	fmt.Fprintln(bw)
	for _, n := range t.notes() {
		fmt.Fprintf(bw, "%s\n\n", mdEscape(n))
	}
	if groups := t.shareGroups(); len(groups) > 0 {
		fmt.Fprintln(bw, "## Shares")
		fmt.Fprintln(bw)
		for _, g := range groups {
			fmt.Fprintf(bw, "Each %s as a %s:\n\n", mdEscape(t.shareSubject()), mdEscape(g[0].Denominator))
			fmt.Fprintf(bw, "| %s | Count | Share |\n", mdEscape(capitalise(t.shareSubject())))
			fmt.Fprintln(bw, "|---|---:|---:|")
			for _, s := range g {
				fmt.Fprintf(bw, "| %s | %s | %s |\n", mdEscape(s.Column), mdEscape(t.shareCount(s)), percent(s))
			}
			fmt.Fprintln(bw)
		}
		if n := t.sharesNote(); n != "" {
			fmt.Fprintf(bw, "%s\n\n", mdEscape(n))
		}
	}
	if len(t.Checks) > 0 {
		fmt.Fprintln(bw, "## Stated totals checked against the force rows")
		fmt.Fprintln(bw)
		for _, c := range t.Checks {
			fmt.Fprintf(bw, "- %s\n", mdEscape(checkSentence(c)))
		}
		fmt.Fprintln(bw)
	}
	for _, w := range t.Warnings() {
		fmt.Fprintf(bw, "> **Warning:** %s\n\n", mdEscape(w))
	}
	return bw.Flush()
}
