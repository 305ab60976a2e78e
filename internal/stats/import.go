package stats

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/police"
)

// ImportOptions describe an import. The zero value imports with no name,
// period or source, refuses a force that appears twice, and stamps the
// dataset with the wall clock.
type ImportOptions struct {
	Name    string
	Period  string // if empty for an incident-level file, the range of its dates
	Source  string
	Measure string // what the total column counts; DefaultMeasure if empty
	// Sum adds the rows of a force that appears more than once instead of
	// refusing the file.
	Sum bool
	// Now stamps Dataset.ImportedAt; time.Now if nil.
	Now func() time.Time
	// Size is the length of the input in bytes, if known, for Progress.
	Size int64
	// Progress, if set, is called as the input is read with the bytes read
	// so far and Size.
	Progress func(read, total int64)
}

// Import reads a police return from r: either a table with one row per force
// and one column per app, or an incident-level file with one row per offence
// (detected from the header: a force, a date and an app column). The input is
// read as a stream, once.
//
// Every problem is an error of kind safeguard.ErrInvalid naming the row of
// the file (the header is row 1): an unknown force, a force twice (unless
// opt.Sum), a negative or non-numeric count, a row with the wrong number of
// cells, an empty or header-only file. Nothing is ever read as a silent zero.
func Import(ctx context.Context, r io.Reader, opt ImportOptions) (*Dataset, error) {
	cr := &countingReader{r: r, total: opt.Size, progress: opt.Progress}
	br := bufio.NewReaderSize(cr, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	cs := newRecordReader(br)
	header, err := cs.Read()
	if err == nil && blank(header) {
		err = io.EOF // a file of blank lines is empty
	}
	if err == io.EOF {
		return nil, safeguard.Invalid("returns_empty", "the file is empty: expected a header row naming the police force column and the number columns")
	}
	if err != nil {
		return nil, csvError(err)
	}
	header = trimAll(append([]string(nil), header...))
	for len(header) > 1 && header[len(header)-1] == "" {
		header = header[:len(header)-1] // empty cells after the last column, as spreadsheets export
	}

	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	d := &Dataset{
		Name:        opt.Name,
		Period:      opt.Period,
		Source:      opt.Source,
		Measure:     opt.Measure,
		ForceHeader: header[0],
	}
	if inc, ok := detectIncidents(header); ok {
		d.Layout = LayoutIncidents
		err = importIncidents(ctx, cs, header, inc, d)
	} else {
		d.Layout = LayoutTable
		err = importTable(ctx, cs, header, opt.Sum, d)
	}
	if err != nil {
		return nil, err
	}
	if cr.progress != nil {
		cr.progress(cr.read, cr.total)
	}
	d.ImportedAt = now().UTC()
	return d, nil
}

// tableColumns adds a column to d for each number column the header
// names: each named, once, with at most one total.
func tableColumns(header []string, d *Dataset) error {
	if len(header) < 2 {
		return safeguard.Invalid("returns_header", "row 1: the header has only %q; expected the police force column followed by number columns", header[0])
	}
	seen := map[string]int{}
	for i, h := range header[1:] {
		col := i + 2
		if h == "" {
			return safeguard.Invalid("returns_header", "row 1, column %d: the header cell is empty; every number column needs a name", col)
		}
		key := strings.ToLower(h)
		if prev, ok := seen[key]; ok {
			return safeguard.Invalid("returns_header", "row 1: columns %d and %d are both named %q", prev, col, h)
		}
		seen[key] = col
		c := Column{Name: h, Total: strings.Contains(key, "total")}
		if c.Total {
			if t := d.TotalColumn(); t >= 0 {
				return safeguard.Invalid("returns_header", "row 1: two total columns, %q and %q; a table has one", d.Columns[t].Name, h)
			}
		}
		d.Columns = append(d.Columns, c)
	}
	return nil
}

// importTable reads the rows of a table layout.
func importTable(ctx context.Context, cs *recordReader, header []string, sum bool, d *Dataset) error {
	if err := tableColumns(header, d); err != nil {
		return err
	}

	byCode := map[string]int{} // force code → index in d.Rows
	var since []int            // rows since the last stated total
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
		first := strings.TrimSpace(rec[0])
		values := make([]Value, len(d.Columns))
		for i := range d.Columns {
			v, err := parseCell(rec[i+1])
			if err != nil {
				return safeguard.Invalid("returns_bad_cell", "row %d, column %q (%s): %v", line, d.Columns[i].Name, first, err)
			}
			values[i] = v
		}
		if strings.Contains(strings.ToLower(first), "total") {
			covers := since
			if len(covers) == 0 {
				covers = make([]int, len(d.Rows))
				for i := range covers {
					covers[i] = i
				}
			}
			d.StatedTotals = append(d.StatedTotals, StatedTotal{Line: line, Label: first, Values: values, Covers: covers})
			since = nil
			continue
		}
		if first == "" {
			return safeguard.Invalid("returns_unknown_force", "row %d: the first cell is empty; it must name a police force", line)
		}
		f, ok := police.MatchForce(first)
		if !ok {
			return safeguard.Invalid("returns_unknown_force", "row %d: unknown police force %q", line, first)
		}
		if i, dup := byCode[f.Code]; dup {
			prev := &d.Rows[i]
			if !sum {
				return safeguard.Invalid("returns_duplicate_force", "row %d: %q is the same force (%s) as %q in row %d; remove one, or import with sum (--sum) to add them", line, first, f.Name, prev.Force, prev.Line)
			}
			for j, v := range values {
				s, err := addValues(prev.Values[j], v)
				if err != nil {
					return safeguard.Invalid("returns_sum_mixed", "row %d, column %q: cannot add %s to %s in row %d: %v", line, d.Columns[j].Name, v, prev.Values[j], prev.Line, err)
				}
				prev.Values[j] = s
			}
			prev.Lines = append(prev.Lines, line)
			if !contains(since, i) {
				since = append(since, i)
			}
			continue
		}
		byCode[f.Code] = len(d.Rows)
		since = append(since, len(d.Rows))
		d.Rows = append(d.Rows, Row{Line: line, Lines: []int{line}, Force: first, ForceCode: f.Code, Values: values})
	}
	if len(d.Rows) == 0 {
		if len(d.StatedTotals) > 0 {
			return safeguard.Invalid("returns_no_rows", "the file has total rows but no police force rows")
		}
		return safeguard.Invalid("returns_no_rows", "the file has a header but no rows")
	}
	return nil
}

// addValues adds two figures for the same force. A figure that was provided
// and one that was not cannot be added honestly: the sum would pass a part
// for the whole.
func addValues(a, b Value) (Value, error) {
	switch {
	case a.State == Count && b.State == Count:
		return Num(a.N + b.N), nil
	case a.State == NotProvided && b.State == NotProvided:
		return Value{}, nil
	}
	return Value{}, errors.New("one is a figure and the other is not")
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// checkWidth refuses a row with a different number of cells from the header.
// Empty cells after the last column (as spreadsheets export) are allowed.
func checkWidth(rec []string, want, line int) error {
	if len(rec) > want {
		for _, c := range rec[want:] {
			if strings.TrimSpace(c) != "" {
				return safeguard.Invalid("returns_ragged", "row %d has %d cells; the header has %d", line, len(rec), want)
			}
		}
	}
	if len(rec) < want {
		return safeguard.Invalid("returns_ragged", "row %d has %d cells; the header has %d", line, len(rec), want)
	}
	return nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func trimAll(s []string) []string {
	for i := range s {
		s[i] = strings.TrimSpace(s[i])
	}
	return s
}

// csvError turns a CSV syntax error into one that names the row.
func csvError(err error) error {
	var se *syntaxError
	if errors.As(err, &se) {
		return safeguard.Invalid("returns_csv", "%s", se.Error())
	}
	return fmt.Errorf("read returns: %w", err)
}

// countingReader counts the bytes read and reports them.
type countingReader struct {
	r        io.Reader
	read     int64
	total    int64
	progress func(read, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.read, c.total)
	}
	return n, err
}
