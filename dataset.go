package safeguard

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DatasetLayout says which shape of file a Dataset came from.
type DatasetLayout string

// The layouts of a dataset.
const (
	// LayoutTable: one row per force, one column per app, as FOI returns
	// are published.
	LayoutTable DatasetLayout = "table"
	// LayoutIncidents: one row per recorded offence, with the force, the
	// date and the app; aggregated on import.
	LayoutIncidents DatasetLayout = "incidents"
	// LayoutPlatform: counted from the platform's own records (cases and
	// law-enforcement reports), not imported: every police force area with
	// a count has a row, and every row is a figure, never "not provided".
	LayoutPlatform DatasetLayout = "platform"
)

// DefaultMeasure is what the total column of a police return counts, in the
// words used for the share denominator.
const DefaultMeasure = "online child sexual offences"

// NoSplit is the ColumnKind of a table whose other columns do not split the
// total (a count beside it, say): the title names no split.
const NoSplit = "none"

// Dataset is a table of counts by police force — a police return imported,
// or the platform's own counts — as a store persists it and as
// internal/stats builds tables from it. Its fields are plain data so that a
// store can write them to columns and read them back unchanged.
type Dataset struct {
	Name       string        // a short name, e.g. the file name
	Period     string        // the period the counts cover, as the source says it, e.g. "2019"
	Source     string        // where the figures came from, e.g. "NSPCC FOI requests, Bedford Independent"
	ImportedAt time.Time     // when it was imported
	Layout     DatasetLayout // the shape of the source file
	// Measure says in words what the total column counts, e.g. "online
	// child sexual offences"; it names the denominator of every share.
	Measure     string
	ForceHeader string          // the header of the force column, as published
	Columns     []DatasetColumn // the number columns in published order
	// ColumnKind says in words what the columns other than the total split
	// it by: "app" when empty, or "detection source", "priority", …, or
	// NoSplit when they do not split it.
	ColumnKind string
	// RowKind says in words what the rows are when they are not police
	// forces: "app", "detection source", … (Force then holds the row's
	// label and ForceCode is empty). Empty for police forces.
	RowKind string
	// Partition is true when every counted item is in exactly one of the
	// columns other than the total, so that a force's total is the sum of
	// its other cells (an incident-level file, the platform's own counts).
	// Suppression then protects the rows as well as the columns.
	Partition bool
	Rows      []DatasetRow // one per force, in published order
	// StatedTotals are the total rows printed in the source ("East
	// Total"): kept to be checked, never counted as data.
	StatedTotals []StatedTotal
	// Notes are sentences about how the figures were counted, printed under
	// the table by every format.
	Notes []string
	// NoChart is set when the columns count different things that a
	// stacked bar would wrongly add up (police figures beside the
	// platform's): the HTML has the table and no chart.
	NoChart bool
}

// DatasetColumn is a number column of a Dataset.
type DatasetColumn struct {
	Name  string // the header as published, e.g. "instagram"
	Total bool   // the column holds each force's total, not one app
	// Published marks figures their source has already published (a
	// police return beside the platform's own counts): suppression leaves
	// them as they are.
	Published bool
}

// DatasetRow is one force's figures.
type DatasetRow struct {
	Line      int      // the row of the source file it came from (header = 1); the first, if summed
	Lines     []int    // every source row added into it, when rows were summed
	Force     string   // the force as the source wrote it
	ForceCode string   // its ONS police force area code
	Values    []Figure // one per column
}

// StatedTotal is a total row printed in the source of a Dataset.
type StatedTotal struct {
	Line   int      // the row of the source file
	Label  string   // its first cell, e.g. "East Total"
	Values []Figure // one per column
	// Covers are the indexes in Dataset.Rows of the forces it is checked
	// against: the forces since the previous stated total, or all forces
	// above it when there are none in between (a grand total after
	// subtotals).
	Covers []int
}

// TotalColumn returns the index of the total column, or -1 if there is none.
func (d *Dataset) TotalColumn() int {
	for i, c := range d.Columns {
		if c.Total {
			return i
		}
	}
	return -1
}

// ColumnKindOrDefault returns d.ColumnKind, or "app" when it is empty.
func (d *Dataset) ColumnKindOrDefault() string {
	if d.ColumnKind == "" {
		return "app"
	}
	return d.ColumnKind
}

// MeasureOrDefault returns d.Measure, or DefaultMeasure when it is empty.
func (d *Dataset) MeasureOrDefault() string {
	if d.Measure == "" {
		return DefaultMeasure
	}
	return d.Measure
}

// FigureState says what a Figure holds.
type FigureState uint8

// The states of a Figure. The zero FigureState is FigureNotProvided, so a cell
// nobody filled in can never pass for a zero count.
const (
	// FigureNotProvided: the source gave no figure (the force did not answer, or
	// answered "n/a"). It is not zero and is never added as zero.
	FigureNotProvided FigureState = iota
	// FigureCount: a whole number, zero included.
	FigureCount
	// FigureSuppressed: a small count withheld on publication so that no child
	// can be identified. The count is known to be at least 1 and below the
	// threshold kept in Figure.N.
	FigureSuppressed
	// FigureWithheld: a count of any size, zero included, withheld on
	// publication so that a suppressed count cannot be worked out from the
	// published totals (secondary suppression). N is 0.
	FigureWithheld
)

// String returns the state's name as used in JSON and by stores.
func (s FigureState) String() string {
	switch s {
	case FigureNotProvided:
		return "not_provided"
	case FigureCount:
		return "count"
	case FigureSuppressed:
		return "suppressed"
	case FigureWithheld:
		return "withheld"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// NotProvidedText is how every renderer writes a NotProvided figure.
const NotProvidedText = "not provided"

// WithheldText is how every renderer writes a Withheld figure.
const WithheldText = "withheld"

// Figure is one cell of a Dataset: a count, a figure that was not provided,
// a suppressed small count, or a count withheld to protect one. The zero
// Figure is FigureNotProvided.
type Figure struct {
	// N is the count when State is Count. When State is Suppressed, N is the
	// suppression threshold (the count lies in 1 … N-1), so a renderer can
	// write "<3" without knowing the true figure. Otherwise N is 0.
	N     int64
	State FigureState
}

// IsCount reports whether v holds a usable count.
func (v Figure) IsCount() bool { return v.State == FigureCount }

// Hidden reports whether v is a count kept from publication: suppressed or
// withheld.
func (v Figure) Hidden() bool { return v.State == FigureSuppressed || v.State == FigureWithheld }

// String writes v as the text renderers show: "1234", "not provided", "<3"
// or "withheld".
func (v Figure) String() string {
	switch v.State {
	case FigureCount:
		return strconv.FormatInt(v.N, 10)
	case FigureSuppressed:
		return "<" + strconv.FormatInt(v.N, 10)
	case FigureWithheld:
		return WithheldText
	}
	return NotProvidedText
}

// MarshalJSON writes a count as a JSON number and the other states as the
// strings "not provided", "<3" and "withheld", so a reader of the JSON can
// never take a missing figure for a number.
func (v Figure) MarshalJSON() ([]byte, error) {
	if v.State == FigureCount {
		return strconv.AppendInt(nil, v.N, 10), nil
	}
	// The strings are plain ASCII ("not provided", "<3", "withheld"): no
	// escaping needed.
	return []byte(`"` + v.String() + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Figure) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("stats: value %s is not a count", b)
		}
		*v = Figure{N: n, State: FigureCount}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	switch {
	case s == NotProvidedText:
		*v = Figure{}
		return nil
	case s == WithheldText:
		*v = Figure{State: FigureWithheld}
		return nil
	case strings.HasPrefix(s, "<"):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err == nil && n > 1 {
			*v = Figure{N: n, State: FigureSuppressed}
			return nil
		}
	}
	return fmt.Errorf("stats: value %q is not a count, %q, a suppressed count or %q", s, NotProvidedText, WithheldText)
}
