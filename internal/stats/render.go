package stats

import (
	"fmt"
	"io"
	"strings"

	"github.com/safeguard-dev/safeguard"
)

// Format is an output format of a Table.
type Format string

// The formats Render writes.
const (
	FormatText     Format = "text" // aligned columns for a terminal
	FormatMarkdown Format = "markdown"
	FormatCSV      Format = "csv"
	FormatJSON     Format = "json"
	FormatHTML     Format = "html" // a self-contained page with an SVG chart
)

// Formats lists every format, the default first.
var Formats = []Format{FormatText, FormatMarkdown, FormatCSV, FormatJSON, FormatHTML}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", safeguard.Invalid("stats_format", "unknown format %q; use one of %s", s, strings.Join(names, ", "))
}

// Render writes the table in format f.
func (t *Table) Render(w io.Writer, f Format) error {
	switch f {
	case FormatText, "":
		return t.writeText(w)
	case FormatMarkdown:
		return t.writeMarkdown(w)
	case FormatCSV:
		return t.writeCSV(w)
	case FormatJSON:
		return t.writeJSON(w)
	case FormatHTML:
		return t.writeHTML(w)
	}
	return safeguard.Invalid("stats_format", "unknown format %q", f)
}

// statedCell shows a stated total's figure, and the computed sum beside it
// when they differ.
func (t *Table) statedCell(line, col int, v Value) string {
	for _, c := range t.Checks {
		if c.Line == line && c.Column == t.Dataset.Columns[col].Name && !c.OK() {
			return fmt.Sprintf("%d ≠ %d", c.Stated, c.Computed)
		}
	}
	return v.String()
}

// shareGroups groups the shares by their denominator, in column order.
func (t *Table) shareGroups() [][]Share {
	var groups [][]Share
	idx := map[string]int{}
	for _, s := range t.Shares {
		i, ok := idx[s.Denominator]
		if !ok {
			i = len(groups)
			idx[s.Denominator] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], s)
	}
	return groups
}

// shareSubject names what each share is of: "app", "detection source", or
// "column" when the columns do not split the total.
func (t *Table) shareSubject() string {
	if k := t.Dataset.ColumnKindOrDefault(); k != NoSplit {
		return k
	}
	return "column"
}

// percent writes a share with one decimal, or "not shown" for a share of
// a suppressed count or total.
func percent(s Share) string {
	if s.Suppressed {
		return "not shown"
	}
	return fmt.Sprintf("%.1f%%", roundTo(s.Percent, 1))
}

// shareCount writes "162 of 872", or what is shown of a suppressed share:
// "<3 of 40", "withheld of 40", or "10 (total withheld)" when the total
// is kept back.
func (t *Table) shareCount(s Share) string {
	switch {
	case s.Suppressed && s.ShownOf.Hidden():
		return s.ShownCount.String() + " (total " + s.ShownOf.String() + ")"
	case s.Suppressed:
		return s.ShownCount.String() + " of " + s.ShownOf.String()
	}
	return fmt.Sprintf("%d of %d", s.Count, s.Of)
}

// SharesNotShownSentence is the note under shares of which some are not
// shown.
const SharesNotShownSentence = "A share is not shown where its count or its total is <3 or withheld, so that a suppressed count cannot be worked out from it."

// sharesNote is the sentence under the shares, or "" when every share is
// shown.
func (t *Table) sharesNote() string {
	for _, s := range t.Shares {
		if s.Suppressed {
			return SharesNotShownSentence
		}
	}
	return ""
}

// checkSentence describes a check, agreeing or not.
func checkSentence(c Check) string {
	if c.OK() {
		return fmt.Sprintf("%s (row %d), %s: stated %d, computed %d from %s: agrees", c.Label, c.Line, c.Column, c.Stated, c.Computed, forcesProviding(c.Forces, c.Covered))
	}
	return c.Warning() + ": DOES NOT AGREE"
}

// notes are the sentences every format prints under the table.
func (t *Table) notes() []string {
	var n []string
	if s := t.NotProvidedSentence(); s != "" {
		n = append(n, s)
	}
	n = append(n, t.Dataset.Notes...)
	if t.SuppressedBelow > 0 {
		n = append(n, fmt.Sprintf("Counts from 1 to %d are suppressed and shown as <%d so that no child can be identified; zero is shown as 0.", t.SuppressedBelow-1, t.SuppressedBelow))
	}
	if t.Withheld > 0 {
		figures := "figures are"
		if t.Withheld == 1 {
			figures = "figure is"
		}
		n = append(n, fmt.Sprintf("\"withheld\" marks a count kept back, whatever its size, so that a suppressed count cannot be worked out from the totals (secondary suppression: %d %s withheld).", t.Withheld, figures))
	}
	if len(t.Dataset.StatedTotals) > 0 {
		n = append(n, "Total rows printed in the source are stated totals: checked against the force rows, never added in. The computed total and the shares come from the force rows only.")
	}
	if t.Dataset.TotalColumn() < 0 && t.Dataset.Layout != LayoutPlatform {
		n = append(n, "The source has no total column, so no shares are given.")
	}
	return n
}
