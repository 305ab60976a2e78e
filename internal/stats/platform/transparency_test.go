package platform

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/golden"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got)
}

// transparencyFixture is the fixture's quarter with what moderators did:
// first reviews, decisions, appeals, and reports to the NCA and NCMEC with a
// follow-up.
func transparencyFixture() []Case {
	cs := fixture()
	at := func(d, h int) time.Time { return day(2026, 7, d).Add(time.Duration(h) * time.Hour) }
	decide := func(i int, d safeguard.Decision, reviewed, decided time.Time) {
		cs[i].Decision, cs[i].DecidedAt, cs[i].FirstReview, cs[i].Status = d, decided, reviewed, safeguard.CaseClosed
	}
	decide(1, safeguard.RemoveContent, at(3, 12), at(3, 13))
	decide(2, safeguard.RemoveContent, at(4, 11), at(4, 12))
	decide(3, safeguard.NoViolation, at(6, 10), at(6, 11))
	decide(7, safeguard.Warn, at(9, 16), at(9, 17))
	decide(8, safeguard.Ban, at(12, 10), at(12, 11))
	cs[4].FirstReview = at(6, 14) // claimed, not decided yet
	cs[7].Appeals = []Appeal{{Kind: safeguard.AppealDecision, Status: safeguard.AppealUpheld, CreatedAt: at(20, 9), DecidedAt: at(21, 9)}}
	cs[8].Appeals = []Appeal{{Kind: safeguard.AppealDecision, Status: safeguard.AppealOverturned, CreatedAt: at(20, 9), DecidedAt: at(22, 9)}}
	cs[1].Appeals = []Appeal{{Kind: safeguard.AppealDecision, Status: safeguard.AppealOpen, CreatedAt: at(25, 9)}}
	cs[0].Reports = append(cs[0].Reports, Report{Reference: "SG-TEST-1-F2", FollowUp: true, Destination: "file-export", Priority: 1, Test: true, SubmittedAt: at(15, 9)})
	cs[11] = reported(cs[11], at(14, 9))
	cs[11].Reports[0].Destination = "ncmec"
	return cs
}

func transparencyInput(banks []Bank) TransparencyInput {
	return TransparencyInput{Service: "Safeguard", Period: q3, Now: countedAt, Encryption: policy.NSPCC,
		Banks: banks, BanksConfigured: banks != nil}
}

// suppressed builds and suppresses a report on its own, as the Service does
// with the other tables of the period.
func suppressed(r *Transparency) *Transparency {
	stats.SuppressTogether(stats.SuppressBelow, r.tables()...)
	r.SuppressedBelow = stats.SuppressBelow
	r.suppressTimings(stats.SuppressBelow)
	return r
}

var testBanks = []Bank{
	{Name: "iwf-2026-09", Source: "IWF", Entries: 1204331, Version: "2026-09-30"},
	{Name: "ncmec-hashes", Source: "NCMEC", Entries: 980112, Version: "v412"},
	{Name: "false-positives", Source: "Safeguard", Entries: 12, Negative: true},
}

func TestTransparencyFigures(t *testing.T) {
	r := transparencyTables(transparencyFixture(), transparencyInput(testBanks))
	if diff := cmp.Diff(map[string][]string{
		"image match": {"4", "4", "0", "0"}, "URL match": {"1", "0", "1", "0"}, "risk alert": {"2", "0", "2", "0"},
		"user report": {"6", "0", "0", "6"}, "franking report": {"0", "0", "0", "0"}, "scan failure": {"0", "0", "0", "0"}, "new image": {"0", "0", "0", "0"},
		"total": {"13", "4", "3", "6"},
	}, shown(r.Volumes)); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}
	// Decided other than by a report: the three reported cases are the
	// reports below.
	if diff := cmp.Diff(map[string][]string{
		"account banned": {"1"}, "account suspended": {"0"}, "warning": {"1"},
		"content removed": {"2"}, "no violation found": {"1"}, "total": {"5"},
	}, shown(r.Decisions)); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{
		"upheld (the decision stands)": {"1"}, "overturned (the decision was reversed)": {"1"}, "total": {"2"},
	}, shown(r.Appeals)); diff != "" {
		t.Errorf("appeals (-want +got):\n%s", diff)
	}
	if r.Received != stats.Num(3) || r.Waiting != stats.Num(1) {
		t.Errorf("appeals received %v, waiting %v; want 3 and 1", r.Received, r.Waiting)
	}
	// First reports: case 1 to the NCA and case 12 to NCMEC at priority
	// 1, case 7 to the NCA at priority 3; case 1's follow-up apart.
	if diff := cmp.Diff(map[string][]string{
		"priority 1": {"2", "1", "1"}, "priority 2": {"0", "0", "0"}, "priority 3": {"1", "1", "0"}, "total": {"3", "2", "1"},
	}, shown(r.Reports)); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
	if r.FollowUps != stats.Num(1) || r.Tests != "all" {
		t.Errorf("follow-ups %v, tests %q; want 1 and all", r.FollowUps, r.Tests)
	}
	// First reviews in the quarter, from each case's detection a minute
	// before it opened: 1 h, 2 h, 4 h, 6 h, 22 h, 23 h, 24 h, 47 h and
	// 48 h, each and a minute. Nearest rank: the median is the 5th, the
	// 90th percentile the 9th.
	if r.Review.Cases != stats.Num(9) || !r.Review.Shown {
		t.Fatalf("review timing %+v", r.Review)
	}
	if r.Review.Median != 22*time.Hour+time.Minute || r.Review.P90 != 48*time.Hour+time.Minute {
		t.Errorf("review median %v, p90 %v", r.Review.Median, r.Review.P90)
	}
	// Reports: 23 h, 24 h and 48 h and a minute.
	if r.Report.Cases != stats.Num(3) || r.Report.Median != 24*time.Hour+time.Minute || r.Report.P90 != 48*time.Hour+time.Minute {
		t.Errorf("report timing %+v", r.Report)
	}
}

func TestTimingNearestRank(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	tm := timing("x", ds)
	if tm.Median != 5 || tm.P90 != 9 {
		t.Errorf("median %v, p90 %v of 1…10; want 5 and 9", tm.Median, tm.P90)
	}
	if tm := timing("x", []time.Duration{7}); tm.Median != 7 || tm.P90 != 7 {
		t.Errorf("one value: %+v", tm)
	}
	if tm := timing("x", nil); tm.Shown {
		t.Errorf("no values: %+v", tm)
	}
}

func TestTransparencyGolden(t *testing.T) {
	reports := map[string]*Transparency{
		"transparency":         suppressed(transparencyTables(transparencyFixture(), transparencyInput(testBanks))),
		"transparency-nobanks": suppressed(transparencyTables(transparencyFixture()[:3], transparencyInput(nil))),
	}
	ext := map[stats.Format]string{stats.FormatHTML: "html", stats.FormatMarkdown: "md", stats.FormatJSON: "json"}
	for name, r := range reports {
		for _, f := range TransparencyFormats {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				if err := r.Render(&b, f); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, name+"."+ext[f], b.Bytes())
			})
		}
	}
}

func TestTransparencyNeverShowsSmallCounts(t *testing.T) {
	r := suppressed(transparencyTables(transparencyFixture(), transparencyInput(testBanks)))
	var b bytes.Buffer
	if err := r.Render(&b, stats.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// Walk every value under the tables: a number is 0 or at least 3.
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "hash_banks" || k == "suppressed_below" || strings.HasSuffix(k, "_seconds") {
					continue
				}
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path, e)
			}
		case float64:
			if x == 1 || x == 2 {
				t.Errorf("%s: small count %v published", path, x)
			}
		}
	}
	walk("", doc)
	if !strings.Contains(b.String(), `"<3"`) {
		t.Errorf("no suppressed count in a report of small numbers:\n%s", b.String())
	}
	// Hash banks: names, sizes and sources, never contents.
	for _, want := range []string{"iwf-2026-09", "1204331", "NCMEC"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
