package risk

import (
	"bufio"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// probeScore is what a probe file gives: the risk conversations caught and
// missed, and the safe ones that alerted, by id.
type probeScore struct {
	risk, safe  int
	caught      int
	missed      []string
	falseAlerts []string
}

func scoreProbeFile(t *testing.T, path string) probeScore {
	t.Helper()
	e := defaultEngine(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var s probeScore
	byScenario := map[string][]bool{}
	for sc.Scan() {
		c, err := ParseReplayLine(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Replay(c)
		if err != nil {
			t.Fatal(err)
		}
		switch c.Label {
		case "risk":
			s.risk++
			byScenario[c.Scenario] = append(byScenario[c.Scenario], res.Alert)
			if res.Alert {
				s.caught++
			} else {
				s.missed = append(s.missed, c.ID)
			}
		case "safe":
			s.safe++
			if res.Alert {
				s.falseAlerts = append(s.falseAlerts, c.ID+" "+firedIDs(res))
			}
		default:
			t.Fatalf("%s: label %q", c.ID, c.Label)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(byScenario)) {
		n := 0
		for _, a := range byScenario[k] {
			if a {
				n++
			}
		}
		t.Logf("%s: %s caught %d of %d", path, k, n, len(byScenario[k]))
	}
	t.Logf("%s: caught %d of %d risk, false alerts %d of %d safe; missed %v; false alerts %v",
		path, s.caught, s.risk, len(s.falseAlerts), s.safe, s.missed, s.falseAlerts)
	return s
}

func firedIDs(r ReplayResult) string {
	ids := slices.Clone(r.Rules)
	slices.Sort(ids)
	return "[" + strings.Join(ids, ",") + "]"
}

// TestProbe3 replays testdata/probe3.jsonl: fresh paraphrases of every kind
// of wording the second outside probe found missed (threats in any tense,
// implied threats, meetings alone, selfies and cameras, moves to other apps,
// threats to a group or spread over messages, victims' pleas, money demands
// without "or", misspellings, words run together, gifts owed, isolation,
// ages spelt out, advice borrowed by an offender), each beside harmless
// twins with the same words. It holds the figures as a floor.
func TestProbe3(t *testing.T) {
	s := scoreProbeFile(t, "testdata/probe3.jsonl")
	if s.risk < 40 || s.safe < 30 {
		t.Fatalf("read %d risk and %d safe conversations, want at least 40 and 30", s.risk, s.safe)
	}
	if s.caught < probe3Caught {
		t.Errorf("caught %d of %d, want at least %d", s.caught, s.risk, probe3Caught)
	}
	if len(s.falseAlerts) > probe3FalseAlerts {
		t.Errorf("%d false alerts, want at most %d", len(s.falseAlerts), probe3FalseAlerts)
	}
}

// TestProbe2Misses replays testdata/probe2_misses.jsonl: the wordings the
// second outside probe found missed, as docs/risk.md lists them, each sent
// by an adult contact to a 14-year-old (or by the young person, for pleas),
// and the older sister's secret with a lift that alerted.
func TestProbe2Misses(t *testing.T) {
	s := scoreProbeFile(t, "testdata/probe2_misses.jsonl")
	if s.caught < probe2MissesCaught {
		t.Errorf("caught %d of %d, want at least %d", s.caught, s.risk, probe2MissesCaught)
	}
	if len(s.falseAlerts) > probe2MissesFalseAlerts {
		t.Errorf("%d false alerts, want at most %d", len(s.falseAlerts), probe2MissesFalseAlerts)
	}
}

// TestProbe5 replays testdata/probe5.jsonl, written after the last wording
// change and scored without any change made for it.
func TestProbe5(t *testing.T) {
	s := scoreProbeFile(t, "testdata/probe5.jsonl")
	if s.caught < probe5Caught {
		t.Errorf("caught %d of %d, want at least %d", s.caught, s.risk, probe5Caught)
	}
	if len(s.falseAlerts) > probe5FalseAlerts {
		t.Errorf("%d false alerts, want at most %d", len(s.falseAlerts), probe5FalseAlerts)
	}
}

// Floors for the probe files, as measured after the wording changes.
const (
	probe3Caught            = 38
	probe3FalseAlerts       = 3
	probe2MissesCaught      = 43
	probe2MissesFalseAlerts = 0
	probe4Caught            = 21
	probe4FalseAlerts       = 2
	probe5Caught            = 17
	probe5FalseAlerts       = 1
)

// TestProbe4 replays testdata/probe4.jsonl, written after the wording
// changes and scored once without any change made for it: the measure of
// how the changes carry to new paraphrases.
func TestProbe4(t *testing.T) {
	s := scoreProbeFile(t, "testdata/probe4.jsonl")
	if s.caught < probe4Caught {
		t.Errorf("caught %d of %d, want at least %d", s.caught, s.risk, probe4Caught)
	}
	if len(s.falseAlerts) > probe4FalseAlerts {
		t.Errorf("%d false alerts, want at most %d", len(s.falseAlerts), probe4FalseAlerts)
	}
}
