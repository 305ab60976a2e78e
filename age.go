package safeguard

import (
	"fmt"
	"time"
)

// AgeBand is the band an account's date of birth puts it in at a given moment.
// It is computed at the time of each decision, never stored, so a teen becomes
// an adult on their eighteenth birthday without anyone touching the account.
type AgeBand string

// The age bands. A minor is a child or a teen.
const (
	Child AgeBand = "child" // under 13
	Teen  AgeBand = "teen"  // 13 to 17
	Adult AgeBand = "adult" // 18 and over
)

// Age thresholds in whole years.
const (
	TeenFrom  = 13
	AdultFrom = 18
)

// Minor reports whether the band is child or teen.
func (b AgeBand) Minor() bool { return b == Child || b == Teen }

// Valid reports whether b is one of the three bands.
func (b AgeBand) Valid() bool { return b == Child || b == Teen || b == Adult }

// Assurance is how sure the platform is of an account's age.
type Assurance string

// The age-assurance levels. Verified is set by the operator after an age
// check and can be revoked.
const (
	SelfDeclared Assurance = "self-declared"
	Verified     Assurance = "verified"
)

// Valid reports whether a is a known level.
func (a Assurance) Valid() bool { return a == SelfDeclared || a == Verified }

// Date is a calendar date without a time zone, as a date of birth is.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a date written YYYY-MM-DD and rejects dates that do not
// exist (2023-02-30).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// AgeOn returns the age in whole years of someone born on birth, on the
// calendar date of now in the UK sense: a person born on 29 February has their
// birthday on 1 March in a common year.
func AgeOn(birth Date, now time.Time) int {
	today := DateOf(now)
	age := today.Year - birth.Year
	bm, bd := birth.Month, birth.Day
	if bm == time.February && bd == 29 && !isLeap(today.Year) {
		bm, bd = time.March, 1
	}
	if today.Month < bm || (today.Month == bm && today.Day < bd) {
		age--
	}
	return age
}

// BornBy returns the latest date of birth of someone at least years old at
// now, so that AgeOn(b, now) >= years exactly when b is not after it.
func BornBy(years int, now time.Time) Date {
	today := DateOf(now)
	d := Date{today.Year - years, today.Month, today.Day}
	if d.Month == time.February && d.Day == 29 && !isLeap(d.Year) {
		d.Day = 28
	}
	return d
}

// BandOn returns the age band of someone born on birth, at now.
func BandOn(birth Date, now time.Time) AgeBand {
	switch age := AgeOn(birth, now); {
	case age >= AdultFrom:
		return Adult
	case age >= TeenFrom:
		return Teen
	default:
		return Child
	}
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
