package platform

import (
	"errors"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in, label string
		from, to  time.Time
		words     string
	}{
		{"2026", "2026", day(2026, 1, 1), day(2027, 1, 1), "1 January to 31 December 2026"},
		{"2026-Q3", "2026-Q3", day(2026, 7, 1), day(2026, 10, 1), "1 July to 30 September 2026"},
		{" 2026-q4 ", "2026-Q4", day(2026, 10, 1), day(2027, 1, 1), "1 October to 31 December 2026"},
		{"2026-Q1", "2026-Q1", day(2026, 1, 1), day(2026, 4, 1), "1 January to 31 March 2026"},
		{"2024-02", "2024-02", day(2024, 2, 1), day(2024, 3, 1), "1 February to 29 February 2024"},
		{"2019", "2019", day(2019, 1, 1), day(2020, 1, 1), "1 January to 31 December 2019"},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", tt.in, err)
			continue
		}
		if p.Label != tt.label || !p.From.Equal(tt.from) || !p.To.Equal(tt.to) || p.Words() != tt.words {
			t.Errorf("ParsePeriod(%q) = %q %v–%v %q, want %q %v–%v %q", tt.in, p.Label, p.From, p.To, p.Words(), tt.label, tt.from, tt.to, tt.words)
		}
		if !p.Contains(tt.from) || p.Contains(tt.to) || p.Contains(tt.from.Add(-time.Microsecond)) || p.Contains(time.Time{}) {
			t.Errorf("%s: Contains is not [From, To)", tt.in)
		}
	}
	for _, bad := range []string{"", "26", "2026-Q5", "2026-Q0", "2026-13", "2026-00", "2026-7", "2026Q3", "year", "2026-Q3x", "1899", "２０２６"} {
		_, err := ParsePeriod(bad)
		var se *safeguard.Error
		if !errors.As(err, &se) || se.Code != "stats_period" {
			t.Errorf("ParsePeriod(%q) = %v, want a stats_period error", bad, err)
		}
	}
}

func TestDatasetPeriod(t *testing.T) {
	p, err := DatasetPeriod("2019-01-01 to 2019-12-31")
	if err != nil || !p.From.Equal(day(2019, 1, 1)) || !p.To.Equal(day(2020, 1, 1)) {
		t.Errorf("range = %+v, %v", p, err)
	}
	if p, err := DatasetPeriod("2019"); err != nil || !p.To.Equal(day(2020, 1, 1)) {
		t.Errorf("year = %+v, %v", p, err)
	}
	for _, bad := range []string{"2019-12-31 to 2019-01-01", "2019-01-01 to soon", "last year"} {
		if _, err := DatasetPeriod(bad); err == nil {
			t.Errorf("DatasetPeriod(%q) accepted", bad)
		}
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026", "2026-Q3", "2026-07", "2019-01-01 to 2019-12-31", "", "9999-Q4", "2026-q1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := DatasetPeriod(s)
		if err != nil {
			var se *safeguard.Error
			if !errors.As(err, &se) || se.Kind != safeguard.ErrInvalid {
				t.Fatalf("DatasetPeriod(%q): error %v is not invalid input", s, err)
			}
			return
		}
		if !p.From.Before(p.To) || p.Label == "" {
			t.Fatalf("DatasetPeriod(%q) = %+v: empty period", s, p)
		}
		if q, err := ParsePeriod(p.Label); err == nil && (!q.From.Equal(p.From) || !q.To.Equal(p.To)) {
			t.Fatalf("label %q of %q reads back as another period", p.Label, s)
		}
	})
}
