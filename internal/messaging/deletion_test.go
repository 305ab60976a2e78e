package messaging

import (
	"strings"
	"testing"
	"time"
)

// TestDeletionPlanStatesConfiguredPeriods: what deletion tells people comes
// from the configured retention, in words.
func TestDeletionPlanStatesConfiguredPeriods(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		r            Retention
		content, aud string
	}{
		{Retention{}, "1 year after the report", "Without a set end"},
		{Retention{Content: 400 * day, Audit: 6 * 365 * day}, "400 days after the report", "6 years after each entry."},
		{Retention{Content: 2 * 365 * day, Audit: day}, "2 years after the report", "1 day after each entry."},
	} {
		c.r.setDefaults()
		s := &Service{cfg: Config{Retention: c.r}}
		d := s.DeletionPlan()
		all := ""
		for _, k := range d.Kept {
			if k.What == "" || k.Why == "" || k.Until == "" {
				t.Errorf("a kept item without what, why or until: %+v", k)
			}
			all += k.Until + "\n"
		}
		if !strings.Contains(all, c.content) || !strings.Contains(all, c.aud) || !strings.Contains(all, "5 years after the report") {
			t.Errorf("retention %+v: the plan says\n%s", c.r, all)
		}
		if len(d.Deleted) == 0 {
			t.Error("the plan deletes nothing")
		}
	}
}

// TestResetCodeHash: a code typed with other letter case, spaces or no
// dashes is the same code; another code is not.
func TestResetCodeHash(t *testing.T) {
	code, hash := newResetCode()
	if len(code) != 23 || strings.Count(code, "-") != 3 {
		t.Fatalf("code %q: want four groups of five", code)
	}
	for _, typed := range []string{code, strings.ToUpper(code), strings.ReplaceAll(code, "-", ""), " " + strings.ReplaceAll(code, "-", " ") + " "} {
		if string(resetCodeHash(typed)) != string(hash) {
			t.Errorf("%q does not match %q", typed, code)
		}
	}
	other, _ := newResetCode()
	if other == code || string(resetCodeHash(other)) == string(hash) {
		t.Error("two codes are the same")
	}
}
