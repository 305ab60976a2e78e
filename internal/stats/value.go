package stats

import (
	"fmt"
	"strconv"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

// State says what a Value holds.
type State = safeguard.FigureState

// The states of a Value. The zero State is NotProvided, so a cell nobody
// filled in can never pass for a zero count.
const (
	NotProvided = safeguard.FigureNotProvided
	Count       = safeguard.FigureCount
	Suppressed  = safeguard.FigureSuppressed
	Withheld    = safeguard.FigureWithheld
)

// SuppressBelow is the publication threshold for the platform's own counts:
// counts of 1 and 2 are suppressed, zero stays zero.
const SuppressBelow = 3

// NotProvidedText is how every renderer writes a NotProvided value.
const NotProvidedText = safeguard.NotProvidedText

// WithheldText is how every renderer writes a Withheld value.
const WithheldText = safeguard.WithheldText

// Value is one cell of a table (safeguard.Figure): a count, a figure that
// was not provided, a suppressed small count, or a count withheld to protect
// one. The zero Value is NotProvided.
type Value = safeguard.Figure

// Num returns a Count value.
func Num(n int64) Value { return Value{N: n, State: Count} }

// Suppress returns v with a count from 1 to below-1 replaced by a Suppressed
// value. Zero, larger counts and values that are not counts are returned
// unchanged.
func Suppress(v Value, below int64) Value {
	if v.State == Count && v.N > 0 && v.N < below {
		return Value{N: below, State: Suppressed}
	}
	return v
}

// notProvidedWords are the cell texts, after trimming and lower-casing, that
// mean the source gave no figure.
var notProvidedWords = map[string]bool{
	"":             true,
	"not provided": true,
	"n/a":          true,
	"-":            true,
	"–":            true, // en dash
	"—":            true, // em dash
}

// cellError says why a cell is not a count. The importer adds the row and
// column.
type cellError struct{ msg string }

func (e *cellError) Error() string { return e.msg }

// parseCell reads one number cell: a whole number, optionally with thousands
// separators ("1,234") and surrounding spaces, or one of the words for "not
// provided". Anything else is an error, never a silent zero.
func parseCell(s string) (Value, error) {
	s = strings.TrimSpace(s)
	if len(s) > 0 && allDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Value{}, &cellError{fmt.Sprintf("%q is too large", s)}
		}
		return Num(n), nil
	}
	if notProvidedWords[strings.ToLower(s)] {
		return Value{}, nil
	}
	if n, ok := parseGrouped(s); ok {
		return Num(n), nil
	}
	if strings.Contains(s, ",") && strings.Trim(s, "0123456789,") == "" {
		return Value{}, &cellError{fmt.Sprintf("%q has a thousands separator out of place (write 1,234 or 1234)", s)}
	}
	t := strings.ReplaceAll(s, ",", "")
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "−") {
		if _, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimPrefix(t, "-"), "−"), 64); err == nil {
			return Value{}, &cellError{fmt.Sprintf("negative number %q: a count cannot be below zero", s)}
		}
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return Value{}, &cellError{fmt.Sprintf("%q is not a whole number", s)}
	}
	return Value{}, &cellError{fmt.Sprintf("text %q in a number cell (write a whole number, or %q)", s, NotProvidedText)}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseGrouped reads "1,234,567": digits in groups of three after the first,
// separated by commas.
func parseGrouped(s string) (int64, bool) {
	groups := strings.Split(s, ",")
	if len(groups) < 2 {
		return 0, false
	}
	for i, g := range groups {
		if g == "" || !allDigits(g) || len(g) > 3 || (i > 0 && len(g) != 3) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(strings.Join(groups, ""), 10, 64)
	return n, err == nil
}
