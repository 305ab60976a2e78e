package stats

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// palette pairs each app with a colour (Okabe–Ito, safe for colour-blind
// readers) and a pattern, so the series stay apart in greyscale and in print.
var palette = []struct {
	colour  string
	pattern string // SVG drawn over the colour in a 8×8 tile
	name    string // the pattern in words, for the legend's text
}{
	{"#0072B2", "", "solid"},
	{"#E69F00", `<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-width="2"/>`, "diagonal stripes"},
	{"#009E73", `<circle cx="2" cy="2" r="1.6" fill="#fff"/><circle cx="6" cy="6" r="1.6" fill="#fff"/>`, "dots"},
	{"#CC79A7", `<path d="M0,4 h8 M4,0 v8" stroke="#fff" stroke-width="1.5"/>`, "grid"},
	{"#56B4E9", `<path d="M0,2 h8 M0,6 h8" stroke="#000" stroke-opacity=".45" stroke-width="1.2"/>`, "horizontal lines"},
	{"#D55E00", `<path d="M2,0 v8 M6,0 v8" stroke="#fff" stroke-width="1.5"/>`, "vertical lines"},
	{"#F0E442", `<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="#000" stroke-opacity=".5" stroke-width="1.2"/>`, "back stripes"},
}

// chart geometry, in SVG user units.
const (
	chartWidth = 960
	labelWidth = 190 // force names
	barLeft    = labelWidth + 10
	barRight   = chartWidth - 150 // room for "83 of 193" after the longest bar
	rowHeight  = 34
	barHeight  = 20
	axisHeight = 28
)

// appColumns returns the indexes of the app (non-total) columns.
func appColumns(d *Dataset) []int {
	var out []int
	for j, c := range d.Columns {
		if !c.Total {
			out = append(out, j)
		}
	}
	return out
}

// niceStep picks an axis step of 1, 2 or 5 × 10^k giving at most about six
// ticks up to max.
func niceStep(max int64) int64 {
	if max <= 5 {
		return 1
	}
	raw := float64(max) / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return int64(m * p)
		}
	}
	return int64(10 * p)
}

// writeLegend writes the chart's key as an HTML list before the chart: a
// swatch and the name of each app, the total's outline and "not provided".
// The page lays the items out and wraps them, so that at any width they
// never overlap and stay as large as the page's text.
func (t *Table) writeLegend(b *strings.Builder) {
	d := t.Dataset
	esc := html.EscapeString
	swatch := func(fill, extra string) string {
		return `<svg class="swatch" width="28" height="14" viewBox="0 0 28 14" aria-hidden="true" focusable="false">` + fill +
			`<rect x=".5" y=".5" width="27" height="13" ` + extra + `/></svg>`
	}
	b.WriteString(`<ul class="chart-legend" aria-label="Key to the chart">` + "\n")
	for k, j := range appColumns(d) {
		p := palette[k%len(palette)]
		def := fmt.Sprintf(`<defs><pattern id="key-app-%d" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="%s"/>%s</pattern></defs>`, k, p.colour, p.pattern)
		fmt.Fprintf(b, "<li>%s<span>%s <span class=\"pattern\">(%s)</span></span></li>\n",
			swatch(def, fmt.Sprintf(`fill="url(#key-app-%d)" stroke="#222" stroke-width=".6"`, k)), esc(d.Columns[j].Name), esc(p.name))
	}
	if tc := d.TotalColumn(); tc >= 0 {
		fmt.Fprintf(b, "<li>%s<span>%s (outline)</span></li>\n", swatch("", `fill="#fff" stroke="#333" stroke-width="1.2"`), esc(d.Columns[tc].Name))
	}
	def := `<defs><pattern id="key-hatch-none" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,6 l6,-6" stroke="#767676" stroke-width="1"/></pattern></defs>`
	fmt.Fprintf(b, "<li>%s<span>not provided (no bar)</span></li>\n", swatch(def, `fill="url(#key-hatch-none)" stroke="#767676" stroke-dasharray="3 2"`))
	b.WriteString("</ul>\n")
}

// writeChart writes the SVG chart: one stacked bar per force, one segment per
// app, drawn inside an outline as long as the force's total; forces without
// figures are labelled "not provided" and drawn with no bar. Its key is
// writeLegend's.
func (t *Table) writeChart(b *strings.Builder) {
	d := t.Dataset
	apps := appColumns(d)
	tc := d.TotalColumn()
	esc := html.EscapeString

	var scaleMax int64 = 1
	for i := range d.Rows {
		var sum int64
		for _, j := range apps {
			if v := t.Cells[i][j]; v.State == Count {
				sum += v.N
			}
		}
		scaleMax = max(scaleMax, sum)
		if tc >= 0 && t.Cells[i][tc].State == Count {
			scaleMax = max(scaleMax, t.Cells[i][tc].N)
		}
	}
	step := niceStep(scaleMax)
	axisMax := (scaleMax + step - 1) / step * step
	x := func(n int64) float64 { return barLeft + float64(n)*float64(barRight-barLeft)/float64(axisMax) }

	top := 16
	height := top + len(d.Rows)*rowHeight + axisHeight + 10

	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="chart-title chart-desc" font-family="system-ui, sans-serif" font-size="13">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(b, "<title id=\"chart-title\">%s</title>\n", esc(t.Title()+chartPeriod(d)))
	fmt.Fprintf(b, "<desc id=\"chart-desc\">%s</desc>\n", esc(t.chartDescription()))
	b.WriteString("<defs>\n")
	for k := range apps {
		p := palette[k%len(palette)]
		fmt.Fprintf(b, `<pattern id="app-%d" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="%s"/>%s</pattern>`+"\n", k, p.colour, p.pattern)
	}
	b.WriteString(`<pattern id="hatch-none" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,6 l6,-6" stroke="#767676" stroke-width="1"/></pattern>` + "\n")
	b.WriteString("</defs>\n")

	// Grid and axis.
	axisY := top + len(d.Rows)*rowHeight
	b.WriteString(`<g class="axis" font-size="11" fill="#444">` + "\n")
	for v := int64(0); v <= axisMax; v += step {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d0d0d0"/><text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n",
			x(v), top-4, x(v), axisY, x(v), axisY+16, v)
	}
	b.WriteString("</g>\n")

	// Bars.
	b.WriteString(`<g class="bars">` + "\n")
	for i, r := range d.Rows {
		y := top + i*rowHeight + (rowHeight-barHeight)/2
		cy := y + barHeight/2 + 5
		cells := t.Cells[i]
		fmt.Fprintf(b, `<g class="force" data-force="%s" data-code="%s">`+"\n", esc(r.Force), esc(r.ForceCode))
		fmt.Fprintf(b, `<text class="force-name" x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelWidth, cy, esc(r.Force))
		if !anyCount(cells) && !anySuppressed(cells) {
			fmt.Fprintf(b, `<rect class="not-provided" x="%d" y="%d" width="28" height="%d" fill="url(#hatch-none)" stroke="#767676" stroke-dasharray="3 2"/>`, barLeft, y, barHeight)
			fmt.Fprintf(b, `<text class="not-provided-label" x="%d" y="%d" font-style="italic" fill="#333">not provided</text>`+"\n</g>\n", barLeft+36, cy)
			continue
		}
		if tc >= 0 && cells[tc].State == Count {
			fmt.Fprintf(b, `<rect class="total-outline" x="%d" y="%d" width="%.1f" height="%d" fill="#fff" stroke="#333" stroke-width="1.2"><title>%s</title></rect>`+"\n",
				barLeft, y-2, x(cells[tc].N)-barLeft, barHeight+4, esc(fmt.Sprintf("%s, %s: %d", r.Force, d.Columns[tc].Name, cells[tc].N)))
		}
		var at, sum int64
		var missing []string
		counted := false
		for k, j := range apps {
			v := cells[j]
			if v.State != Count {
				missing = append(missing, d.Columns[j].Name+" "+v.String())
				continue
			}
			counted = true
			if v.N == 0 {
				continue // nothing to draw
			}
			x0, x1 := x(at), x(at+v.N)
			fmt.Fprintf(b, `<rect class="segment" data-app="%s" data-value="%d" x="%.1f" y="%d" width="%.1f" height="%d" fill="url(#app-%d)" stroke="#222" stroke-width=".6"><title>%s</title></rect>`+"\n",
				esc(d.Columns[j].Name), v.N, x0, y, x1-x0, barHeight, k, esc(fmt.Sprintf("%s, %s: %d", r.Force, d.Columns[j].Name, v.N)))
			if x1-x0 >= 9*float64(len(v.String()))+12 {
				fmt.Fprintf(b, `<text class="segment-label" x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", (x0+x1)/2, cy, v.N)
			}
			at += v.N
			sum += v.N
		}
		end := x(at)
		if tc >= 0 && cells[tc].State == Count {
			end = math.Max(end, x(cells[tc].N))
		}
		// A sum of 0 beside figures kept back would read as nothing: it
		// is written only when it counts something or nothing is kept
		// back.
		total := cells[max(tc, 0)]
		hidden := len(missing) > 0 || (tc >= 0 && total.State != Count)
		label := barLabel(sum, counted && (sum > 0 || !hidden), tc >= 0, total, missing)
		fmt.Fprintf(b, `<text class="bar-label" x="%.1f" y="%d">%s</text>`+"\n</g>\n", end+6, cy, esc(label))
	}
	b.WriteString("</g>\n</svg>\n")
}

// barLabel is what is written after a bar: the sum of the apps counted
// and the total, "4 of 9", then the apps not counted with what is shown of
// them, "; kids <3". A sum is written only when an app was counted, and a
// total kept back is named as such: a bar never reads 0 where the table
// says <3 or withheld.
func barLabel(sum int64, counted, hasTotal bool, total Value, missing []string) string {
	var parts []string
	switch {
	case counted && hasTotal && total.State == Count:
		parts = append(parts, fmt.Sprintf("%d of %d", sum, total.N))
	case counted && hasTotal:
		parts = append(parts, fmt.Sprintf("%d, total %s", sum, total))
	case counted:
		parts = append(parts, fmt.Sprintf("%d", sum))
	case hasTotal && total.State == Count:
		parts = append(parts, fmt.Sprintf("%d in all", total.N))
	case hasTotal:
		parts = append(parts, "total "+total.String())
	}
	if len(missing) > 0 {
		parts = append(parts, strings.Join(missing, ", "))
	}
	return strings.Join(parts, "; ")
}

func anySuppressed(vs []Value) bool {
	for _, v := range vs {
		if v.Hidden() {
			return true
		}
	}
	return false
}

func chartPeriod(d *Dataset) string {
	if d.Period == "" {
		return ""
	}
	return ", " + d.Period
}

// chartDescription says in words what the chart shows, for screen readers.
func (t *Table) chartDescription() string {
	d := t.Dataset
	apps := appColumns(d)
	names := make([]string, len(apps))
	for k, j := range apps {
		names[k] = d.Columns[j].Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Stacked bars, one per %s, with one segment for each of %s", t.rowWords(), strings.Join(names, ", "))
	if tc := d.TotalColumn(); tc >= 0 {
		fmt.Fprintf(&b, ", inside an outline as long as the %s's %s", t.rowWords(), d.Columns[tc].Name)
	}
	b.WriteString(". ")
	for i, r := range d.Rows {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.Force + ": ")
		if !anyCount(t.Cells[i]) && !anySuppressed(t.Cells[i]) {
			b.WriteString(NotProvidedText)
			continue
		}
		for j, v := range t.Cells[i] {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", d.Columns[j].Name, v)
		}
	}
	b.WriteString(".")
	return b.String()
}
