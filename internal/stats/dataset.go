package stats

import safeguard "github.com/safeguard-dev/safeguard"

// The data of a table live in the root vocabulary, where a store can persist
// them without knowing this package; these names keep the package's own
// words for them.
type (
	// Layout says which shape of file a Dataset came from.
	Layout = safeguard.DatasetLayout
	// Dataset is an imported table of counts by police force: what a store
	// persists and what a Table is built from.
	Dataset = safeguard.Dataset
	// Column is a number column.
	Column = safeguard.DatasetColumn
	// Row is one force's figures.
	Row = safeguard.DatasetRow
	// StatedTotal is a total row printed in the source.
	StatedTotal = safeguard.StatedTotal
)

// The layouts the importer reads.
const (
	LayoutTable     = safeguard.LayoutTable
	LayoutIncidents = safeguard.LayoutIncidents
	LayoutPlatform  = safeguard.LayoutPlatform
)

// DefaultMeasure is what the total column of a police return counts, in the
// words used for the share denominator.
const DefaultMeasure = safeguard.DefaultMeasure

// NoSplit is the ColumnKind of a table whose other columns do not split the
// total (a count beside it, say): the title names no split.
const NoSplit = safeguard.NoSplit
