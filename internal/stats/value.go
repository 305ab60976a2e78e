package stats

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// State says what a Value holds.
type State uint8

// The states of a Value. The zero State is NotProvided, so a cell nobody
// filled in can never pass for a zero count.
const (
	// NotProvided: the source gave no figure (the force did not answer, or
	// answered "n/a"). It is not zero and is never added as zero.
	NotProvided State = iota
	// Count: a whole number, zero included.
	Count
	// Suppressed: a small count withheld on publication so that no child
	// can be identified. The count is known to be at least 1 and below the
	// threshold kept in Value.N.
	Suppressed
	// Withheld: a count of any size, zero included, withheld on
	// publication so that a suppressed count cannot be worked out from the
	// published totals (secondary suppression). N is 0.
	Withheld
)

// String returns the state's name as used in JSON and by stores.
func (s State) String() string {
	switch s {
	case NotProvided:
		return "not_provided"
	case Count:
		return "count"
	case Suppressed:
		return "suppressed"
	case Withheld:
		return "withheld"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// SuppressBelow is the publication threshold for the platform's own counts:
// counts of 1 and 2 are suppressed, zero stays zero.
const SuppressBelow = 3

// NotProvidedText is how every renderer writes a NotProvided value.
const NotProvidedText = "not provided"

// WithheldText is how every renderer writes a Withheld value.
const WithheldText = "withheld"

// Value is one cell of a table: a count, a figure that was not provided, a
// suppressed small count, or a count withheld to protect one. The zero Value
// is NotProvided.
type Value struct {
	// N is the count when State is Count. When State is Suppressed, N is the
	// suppression threshold (the count lies in 1 … N-1), so a renderer can
	// write "<3" without knowing the true figure. Otherwise N is 0.
	N     int64
	State State
}

// Num returns a Count value.
func Num(n int64) Value { return Value{N: n, State: Count} }

// IsCount reports whether v holds a usable count.
func (v Value) IsCount() bool { return v.State == Count }

// Hidden reports whether v is a count kept from publication: suppressed or
// withheld.
func (v Value) Hidden() bool { return v.State == Suppressed || v.State == Withheld }

// String writes v as the text renderers show: "1234", "not provided", "<3"
// or "withheld".
func (v Value) String() string {
	switch v.State {
	case Count:
		return strconv.FormatInt(v.N, 10)
	case Suppressed:
		return "<" + strconv.FormatInt(v.N, 10)
	case Withheld:
		return WithheldText
	}
	return NotProvidedText
}

// Suppress returns v with a count from 1 to below-1 replaced by a Suppressed
// value. Zero, larger counts and values that are not counts are returned
// unchanged.
func Suppress(v Value, below int64) Value {
	if v.State == Count && v.N > 0 && v.N < below {
		return Value{N: below, State: Suppressed}
	}
	return v
}

// MarshalJSON writes a count as a JSON number and the other states as the
// strings "not provided", "<3" and "withheld", so a reader of the JSON can
// never take a missing figure for a number.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.State == Count {
		return strconv.AppendInt(nil, v.N, 10), nil
	}
	// The strings are plain ASCII ("not provided", "<3", "withheld"): no
	// escaping needed.
	return []byte(`"` + v.String() + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Value) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("stats: value %s is not a count", b)
		}
		*v = Num(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	switch {
	case s == NotProvidedText:
		*v = Value{}
		return nil
	case s == WithheldText:
		*v = Value{State: Withheld}
		return nil
	case strings.HasPrefix(s, "<"):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err == nil && n > 1 {
			*v = Value{N: n, State: Suppressed}
			return nil
		}
	}
	return fmt.Errorf("stats: value %q is not a count, %q, a suppressed count or %q", s, NotProvidedText, WithheldText)
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
