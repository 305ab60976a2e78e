package platform

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Period is a calendar month, quarter or year, in UTC.
type Period struct {
	Label    string    // "2026-07", "2026-Q3" or "2026"
	From, To time.Time // the period is From ≤ t < To
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool {
	return !t.IsZero() && !t.Before(p.From) && t.Before(p.To)
}

// Words says the period's dates: "1 July to 30 September 2026".
func (p Period) Words() string {
	last := p.To.AddDate(0, 0, -1)
	if p.From.Year() == last.Year() {
		return fmt.Sprintf("%d %s to %d %s %d", p.From.Day(), p.From.Month(), last.Day(), last.Month(), last.Year())
	}
	return fmt.Sprintf("%s to %s", p.From.Format(time.DateOnly), last.Format(time.DateOnly))
}

// Quarter returns the calendar quarter that holds t (in UTC).
func Quarter(t time.Time) Period {
	t = t.UTC()
	q := (int(t.Month())-1)/3 + 1
	from := time.Date(t.Year(), time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: fmt.Sprintf("%d-Q%d", t.Year(), q), From: from, To: from.AddDate(0, 3, 0)}
}

// ParsePeriod reads a year ("2026"), a quarter ("2026-Q3", any case) or a
// month ("2026-07").
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	bad := func() (Period, error) {
		return Period{}, safeguard.Invalid("stats_period", "period %q: write a year (2026), a quarter (2026-Q3) or a month (2026-07)", s)
	}
	if len(s) < 4 {
		return bad()
	}
	year, ok := number(s[:4])
	if !ok || year < 1900 || year > 9999 {
		return bad()
	}
	rest := s[4:]
	switch {
	case rest == "":
		from := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
		return Period{Label: s, From: from, To: from.AddDate(1, 0, 0)}, nil
	case len(rest) == 3 && rest[0] == '-' && (rest[1] == 'Q' || rest[1] == 'q'):
		q, ok := number(rest[2:])
		if !ok || q < 1 || q > 4 {
			return bad()
		}
		from := time.Date(year, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
		return Period{Label: fmt.Sprintf("%d-Q%d", year, q), From: from, To: from.AddDate(0, 3, 0)}, nil
	case len(rest) == 3 && rest[0] == '-':
		m, ok := number(rest[1:])
		if !ok || m < 1 || m > 12 {
			return bad()
		}
		from := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		return Period{Label: s, From: from, To: from.AddDate(0, 1, 0)}, nil
	}
	return bad()
}

// DatasetPeriod reads the period of an imported police return: a period as
// ParsePeriod reads it, or the range of an incident-level file's dates,
// "2019-01-04 to 2019-12-31" (both days included).
func DatasetPeriod(s string) (Period, error) {
	if a, b, ok := strings.Cut(s, " to "); ok {
		from, err1 := time.Parse(time.DateOnly, strings.TrimSpace(a))
		last, err2 := time.Parse(time.DateOnly, strings.TrimSpace(b))
		if err1 == nil && err2 == nil && !last.Before(from) {
			return Period{Label: s, From: from, To: last.AddDate(0, 0, 1)}, nil
		}
		return Period{}, safeguard.Invalid("stats_period", "period %q: write two dates, YYYY-MM-DD to YYYY-MM-DD", s)
	}
	return ParsePeriod(s)
}

func number(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
