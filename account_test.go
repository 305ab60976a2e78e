package safeguard_test

import (
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// TestVerifiedAdultAfter18: an age checked while the account was a minor
// does not make it a verified adult on its 18th birthday; once the birthday
// is acted on, only a new check does.
func TestVerifiedAdultAfter18(t *testing.T) {
	now := time.Date(2026, time.May, 2, 9, 0, 0, 0, time.UTC)
	a := &safeguard.Account{BirthDate: safeguard.Date{Year: 2008, Month: time.May, Day: 1}, Assurance: safeguard.Verified}
	for _, c := range []struct {
		acted safeguard.AgeBand
		want  bool
	}{
		{safeguard.Teen, false}, // the birthday not yet acted on
		{safeguard.Adult, true}, // acted on, and verified since
		{"", true},              // an account from before bands were recorded
		{safeguard.Child, false},
	} {
		a.ActedBand = c.acted
		if got := a.VerifiedAdult(now); got != c.want {
			t.Errorf("acted band %q: VerifiedAdult = %v, want %v", c.acted, got, c.want)
		}
	}
	a.ActedBand = safeguard.Adult
	if a.VerifiedAdult(now.AddDate(0, 0, -2)) {
		t.Error("a verified 17-year-old counts as a verified adult")
	}
}
