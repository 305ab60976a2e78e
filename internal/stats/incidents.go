package stats

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/police"
)

// NotRecordedColumn is the column that counts offences whose app was not
// recorded in an incident-level file.
const NotRecordedColumn = "method not recorded"

// IncidentTotalColumn is the total column of a dataset aggregated from an
// incident-level file: every recorded offence of the force.
const IncidentTotalColumn = "total"

// incidentColumns are the positions of the columns an incident-level file
// needs.
type incidentColumns struct{ force, date, app int }

// detectIncidents reports whether a header is that of an incident-level
// file: it has a column for the force, one for the date and one for the app.
// The first column of each kind is used.
func detectIncidents(header []string) (incidentColumns, bool) {
	c := incidentColumns{-1, -1, -1}
	for i, h := range header {
		for _, w := range headerWords(h) {
			switch {
			case c.force < 0 && (w == "force" || w == "police" || w == "pfa"):
				c.force = i
			case c.date < 0 && w == "date":
				c.date = i
			case c.app < 0 && (w == "app" || w == "application" || w == "platform" || w == "method" || w == "site"):
				c.app = i
			default:
				continue
			}
			break
		}
	}
	ok := c.force >= 0 && c.date >= 0 && c.app >= 0 && c.force != c.date && c.force != c.app && c.date != c.app
	return c, ok
}

// headerWords splits a header cell into lower-case words.
func headerWords(h string) []string {
	return strings.FieldsFunc(strings.ToLower(h), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
}

// notRecordedApps are the app cells, lower-cased, that mean the method was
// not recorded.
var notRecordedApps = map[string]bool{
	"": true, "not recorded": true, "not known": true, "unknown": true, "n/a": true, "-": true, "–": true, "—": true,
	NotProvidedText: true,
}

// forceTally counts one force's offences in an incident-level file.
type forceTally struct {
	line  int
	force string
	code  string
	total int64
	byApp []int64 // by app index
}

// incidentTable fills d's columns — the total, then the apps by name,
// "method not recorded" last — and a row per force, by name.
func incidentTable(d *Dataset, appNames []string, forceByCode map[string]*forceTally) {
	order := make([]int, len(appNames))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := appNames[order[i]], appNames[order[j]]
		if (a == NotRecordedColumn) != (b == NotRecordedColumn) {
			return b == NotRecordedColumn
		}
		return strings.ToLower(a) < strings.ToLower(b)
	})
	d.Partition = true // every offence has one app, "method not recorded" included
	d.Columns = append(d.Columns, Column{Name: IncidentTotalColumn, Total: true})
	for _, a := range order {
		d.Columns = append(d.Columns, Column{Name: appNames[a]})
	}
	tallies := make([]*forceTally, 0, len(forceByCode))
	for _, ft := range forceByCode {
		tallies = append(tallies, ft)
	}
	sort.Slice(tallies, func(i, j int) bool { return strings.ToLower(tallies[i].force) < strings.ToLower(tallies[j].force) })
	for _, ft := range tallies {
		values := make([]Value, 1, len(d.Columns))
		values[0] = Num(ft.total)
		for _, a := range order {
			var n int64
			if a < len(ft.byApp) {
				n = ft.byApp[a]
			}
			values = append(values, Num(n))
		}
		d.Rows = append(d.Rows, Row{Line: ft.line, Lines: []int{ft.line}, Force: ft.force, ForceCode: ft.code, Values: values})
	}
}

// importIncidents aggregates an incident-level file into d: one row per
// force, one column per app, the total being the number of offences.
func importIncidents(ctx context.Context, cs *recordReader, header []string, ic incidentColumns, d *Dataset) error {
	var (
		forceByText = map[string]*forceTally{} // as written → tally
		forceByCode = map[string]*forceTally{}
		appByText   = map[string]int{} // as written → app index
		appByKey    = map[string]int{} // lower-cased → app index
		appNames    []string
		minDate     = 99999999
		maxDate     = 0
		rows        int
	)
	for n := 0; ; n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := cs.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvError(err)
		}
		line := cs.start
		if blank(rec) {
			continue
		}
		if err := checkWidth(rec, len(header), line); err != nil {
			return err
		}
		rows++

		ft := forceByText[rec[ic.force]]
		if ft == nil {
			text := strings.TrimSpace(rec[ic.force])
			f, ok := police.MatchForce(text)
			if !ok {
				if text == "" {
					return safeguard.Invalid("returns_unknown_force", "row %d: the %q cell is empty; it must name a police force", line, header[ic.force])
				}
				return safeguard.Invalid("returns_unknown_force", "row %d: unknown police force %q", line, text)
			}
			ft = forceByCode[f.Code]
			if ft == nil {
				ft = &forceTally{line: line, force: text, code: f.Code}
				forceByCode[f.Code] = ft
			}
			forceByText[strings.Clone(rec[ic.force])] = ft
		}

		date, ok := parseDate(rec[ic.date])
		if !ok {
			return safeguard.Invalid("returns_bad_date", "row %d, column %q: %q is not a date (write YYYY-MM-DD or DD/MM/YYYY)", line, header[ic.date], strings.TrimSpace(rec[ic.date]))
		}
		minDate = min(minDate, date)
		maxDate = max(maxDate, date)

		app, ok := appByText[rec[ic.app]]
		if !ok {
			text := strings.TrimSpace(rec[ic.app])
			key := strings.ToLower(text)
			if notRecordedApps[key] {
				text, key = NotRecordedColumn, NotRecordedColumn
			}
			app, ok = appByKey[key]
			if !ok {
				app = len(appNames)
				appNames = append(appNames, text)
				appByKey[key] = app
			}
			appByText[strings.Clone(rec[ic.app])] = app
		}
		for len(ft.byApp) <= app {
			ft.byApp = append(ft.byApp, 0)
		}
		ft.byApp[app]++
		ft.total++
	}
	if rows == 0 {
		return safeguard.Invalid("returns_no_rows", "the file has a header but no rows")
	}

	incidentTable(d, appNames, forceByCode)
	if d.Period == "" {
		d.Period = fmt.Sprintf("%s to %s", fmtDate(minDate), fmtDate(maxDate))
	}
	return nil
}

// parseDate reads YYYY-MM-DD (optionally followed by a time after 'T' or a
// space) or DD/MM/YYYY, and returns it as the number YYYYMMDD.
func parseDate(s string) (int, bool) {
	s = strings.TrimSpace(s)
	var y, m, d int
	switch {
	case len(s) >= 10 && s[4] == '-' && s[7] == '-' && (len(s) == 10 || s[10] == 'T' || s[10] == ' '):
		var ok1, ok2, ok3 bool
		y, ok1 = digits(s[0:4])
		m, ok2 = digits(s[5:7])
		d, ok3 = digits(s[8:10])
		if !ok1 || !ok2 || !ok3 {
			return 0, false
		}
	case len(s) == 10 && s[2] == '/' && s[5] == '/':
		var ok1, ok2, ok3 bool
		d, ok1 = digits(s[0:2])
		m, ok2 = digits(s[3:5])
		y, ok3 = digits(s[6:10])
		if !ok1 || !ok2 || !ok3 {
			return 0, false
		}
	default:
		return 0, false
	}
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return y*10000 + m*100 + d, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func fmtDate(d int) string {
	return fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100)
}
