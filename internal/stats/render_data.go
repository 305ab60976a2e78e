package stats

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// writeCSV writes one line per force, then the computed total, the stated
// totals and the shares, each marked in the first column so a spreadsheet
// can filter them apart.
func (t *Table) writeCSV(w io.Writer) error {
	d := t.Dataset
	cw := csv.NewWriter(w)
	first := "police_force"
	if d.Layout == LayoutPlatform {
		first = "police_force_area"
	}
	header := append([]string{"row_type", first, "ons_code", "source_rows"}, columnNames(d)...)
	cw.Write(header)
	if t.Internal {
		cw.Write(append([]string{"notice", InternalBanner}, make([]string, len(header)-2)...))
	}
	for i, r := range d.Rows {
		rec := []string{"force", r.Force, r.ForceCode, joinInts(r.Lines)}
		for _, v := range t.Cells[i] {
			rec = append(rec, v.String())
		}
		cw.Write(rec)
	}
	rec := []string{"computed_total", t.ComputedLabel(), "", ""}
	for _, v := range t.Computed {
		rec = append(rec, v.String())
	}
	cw.Write(rec)
	for _, st := range d.StatedTotals {
		rec := []string{"stated_total", st.Label, "", strconv.Itoa(st.Line)}
		for _, v := range st.Values {
			rec = append(rec, v.String())
		}
		cw.Write(rec)
	}
	for _, g := range t.shareGroups() {
		rec := []string{"share_percent", g[0].Denominator, "", ""}
		for _, c := range d.Columns {
			cell := ""
			for _, s := range g {
				if s.Column == c.Name {
					cell = percent(s)
					if s.Suppressed {
						cell = "suppressed" // the CSV's word, for programs
					}
				}
			}
			rec = append(rec, cell)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

func joinInts(ns []int) string {
	b := make([]byte, 0, 8*len(ns))
	for i, n := range ns {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(b)
}

// The JSON document. Values are numbers, or the strings "not provided" and
// "<3": a reader can never take a missing figure for a count.
type (
	jsonTable struct {
		Title           string       `json:"title"`
		Internal        bool         `json:"internal,omitempty"`
		Name            string       `json:"name,omitempty"`
		Period          string       `json:"period,omitempty"`
		Source          string       `json:"source,omitempty"`
		ImportedAt      *time.Time   `json:"imported_at,omitempty"`
		Layout          Layout       `json:"layout"`
		Measure         string       `json:"measure"`
		ColumnKind      string       `json:"column_kind,omitempty"`
		RowKind         string       `json:"row_kind,omitempty"`
		Partition       bool         `json:"partition,omitempty"`
		ForceHeader     string       `json:"force_header"`
		Columns         []jsonColumn `json:"columns"`
		Forces          []jsonForce  `json:"forces"`
		Computed        jsonComputed `json:"computed_total"`
		NotProvided     []jsonNamed  `json:"not_provided"`
		StatedTotals    []jsonStated `json:"stated_totals"`
		Shares          []jsonShare  `json:"shares"`
		SuppressedBelow int64        `json:"suppressed_below,omitempty"`
		Withheld        int          `json:"withheld,omitempty"`
		Notes           []string     `json:"notes"`
		Warnings        []string     `json:"warnings"`
		Checks          []jsonCheck  `json:"checks"`
	}
	jsonColumn struct {
		Name      string `json:"name"`
		Total     bool   `json:"total,omitempty"`
		Published bool   `json:"published,omitempty"`
	}
	jsonForce struct {
		Force  string  `json:"force"`
		Code   string  `json:"ons_code"`
		Rows   []int   `json:"source_rows"`
		Values []Value `json:"values"`
	}
	jsonComputed struct {
		Label     string  `json:"label"`
		Values    []Value `json:"values"`
		Providing []int   `json:"forces_providing"`
	}
	jsonNamed struct {
		Force string `json:"force"`
		Code  string `json:"ons_code"`
	}
	jsonStated struct {
		Label  string  `json:"label"`
		Row    int     `json:"source_row"`
		Values []Value `json:"values"`
	}
	jsonCheck struct {
		Label    string `json:"label"`
		Row      int    `json:"source_row"`
		Column   string `json:"column"`
		Stated   int64  `json:"stated"`
		Computed int64  `json:"computed"`
		Forces   int    `json:"forces_computed_from"`
		Covered  int    `json:"forces_covered"`
		Agrees   bool   `json:"agrees"`
	}
	jsonShare struct {
		Column      string   `json:"column"`
		Count       *int64   `json:"count"`
		Of          Value    `json:"of"`
		Forces      int      `json:"forces"`
		Percent     *float64 `json:"percent"`
		Denominator string   `json:"denominator"`
		Suppressed  bool     `json:"suppressed,omitempty"`
	}
)

func (t *Table) writeJSON(w io.Writer) error {
	d := t.Dataset
	j := jsonTable{
		Title: t.Title(), Internal: t.Internal, Name: d.Name, Period: d.Period, Source: d.Source, Layout: d.Layout,
		Measure: d.MeasureOrDefault(), ColumnKind: d.ColumnKind, RowKind: d.RowKind, Partition: d.Partition, ForceHeader: d.ForceHeader,
		Computed:        jsonComputed{Label: t.ComputedLabel(), Values: t.Computed, Providing: t.Providing},
		NotProvided:     []jsonNamed{},
		StatedTotals:    []jsonStated{},
		Shares:          []jsonShare{},
		Checks:          []jsonCheck{},
		Notes:           t.notes(),
		Warnings:        t.Warnings(),
		SuppressedBelow: t.SuppressedBelow,
		Withheld:        t.Withheld,
	}
	if !d.ImportedAt.IsZero() {
		at := d.ImportedAt.UTC()
		j.ImportedAt = &at
	}
	if j.Notes == nil {
		j.Notes = []string{}
	}
	if j.Warnings == nil {
		j.Warnings = []string{}
	}
	for _, c := range d.Columns {
		j.Columns = append(j.Columns, jsonColumn(c))
	}
	for i, r := range d.Rows {
		j.Forces = append(j.Forces, jsonForce{Force: r.Force, Code: r.ForceCode, Rows: r.Lines, Values: t.Cells[i]})
	}
	for _, i := range t.Silent {
		j.NotProvided = append(j.NotProvided, jsonNamed{d.Rows[i].Force, d.Rows[i].ForceCode})
	}
	for _, st := range d.StatedTotals {
		j.StatedTotals = append(j.StatedTotals, jsonStated{st.Label, st.Line, st.Values})
	}
	for _, c := range t.Checks {
		j.Checks = append(j.Checks, jsonCheck{c.Label, c.Line, c.Column, c.Stated, c.Computed, c.Forces, c.Covered, c.OK()})
	}
	for _, s := range t.Shares {
		js := jsonShare{Column: s.Column, Of: s.ShownOf, Forces: s.Forces, Denominator: s.Denominator, Suppressed: s.Suppressed}
		if !s.Suppressed {
			n, p := s.Count, roundTo(s.Percent, 1)
			js.Count, js.Percent = &n, &p
		}
		j.Shares = append(j.Shares, js)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return fmt.Errorf("encode table: %w", err)
	}
	return bw.Flush()
}

func roundTo(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
