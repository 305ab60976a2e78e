package stats

import "time"

// Layout says which shape of file a Dataset came from.
type Layout string

// The layouts the importer reads.
const (
	// LayoutTable: one row per force, one column per app, as FOI returns
	// are published.
	LayoutTable Layout = "table"
	// LayoutIncidents: one row per recorded offence, with the force, the
	// date and the app; aggregated on import.
	LayoutIncidents Layout = "incidents"
	// LayoutPlatform: counted from the platform's own records (cases and
	// law-enforcement reports), not imported: every police force area with
	// a count has a row, and every row is a figure, never "not provided".
	LayoutPlatform Layout = "platform"
)

// DefaultMeasure is what the total column of a police return counts, in the
// words used for the share denominator.
const DefaultMeasure = "online child sexual offences"

// Dataset is an imported table of counts by police force: what a store
// persists and what a Table is built from. Its fields are plain data so that a
// store can write them to columns and read them back unchanged.
type Dataset struct {
	Name       string    // a short name, e.g. the file name
	Period     string    // the period the counts cover, as the source says it, e.g. "2019"
	Source     string    // where the figures came from, e.g. "NSPCC FOI requests, Bedford Independent"
	ImportedAt time.Time // when it was imported
	Layout     Layout    // the shape of the source file
	// Measure says in words what the total column counts, e.g. "online
	// child sexual offences"; it names the denominator of every share.
	Measure     string
	ForceHeader string   // the header of the force column, as published
	Columns     []Column // the number columns in published order
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
	// Suppress then protects the rows as well as the columns.
	Partition bool
	Rows      []Row // one per force, in published order
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

// Column is a number column.
type Column struct {
	Name  string // the header as published, e.g. "instagram"
	Total bool   // the column holds each force's total, not one app
	// Published marks figures their source has already published (a
	// police return beside the platform's own counts): Suppress leaves
	// them as they are.
	Published bool
}

// Row is one force's figures.
type Row struct {
	Line      int     // the row of the source file it came from (header = 1); the first, if summed
	Lines     []int   // every source row added into it, when rows were summed
	Force     string  // the force as the source wrote it
	ForceCode string  // its ONS police force area code
	Values    []Value // one per column
}

// StatedTotal is a total row printed in the source.
type StatedTotal struct {
	Line   int     // the row of the source file
	Label  string  // its first cell, e.g. "East Total"
	Values []Value // one per column
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

// NoSplit is the ColumnKind of a table whose other columns do not split the
// total (a count beside it, say): the title names no split.
const NoSplit = "none"

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
