package risk

import (
	"bufio"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func replayFile(t *testing.T, name string) Metrics {
	t.Helper()
	return replayPath(t, filepath.Join("testdata", "corpus", name))
}

func replayPath(t *testing.T, name string) Metrics {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := defaultEngine(t)
	var convs []ReplayConversation
	var results []ReplayResult
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		c, err := ParseReplayLine(sc.Bytes())
		if err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		r, err := e.Replay(c)
		if err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		convs, results = append(convs, c), append(results, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	m, err := Measure(convs, results)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The figures below are the ones reported in docs/risk.md. A change to the
// lexicons or rules that lowers any of them fails here.
func TestCorpusFigures(t *testing.T) {
	for _, tt := range []struct {
		file                  string
		precision, recall, f  float64
		falseAlerts, maxDelay float64
		minHardNegatives      int
	}{
		// Tuned on the training split.
		{"train.jsonl", 1.0, 1.0, 1.0, 0.0, 0, 110},
		// Held out: different paraphrases and scenarios; measured, not tuned.
		{"heldout.jsonl", 0.956, 0.948, 0.955, 0.033, 0, 117},
	} {
		t.Run(tt.file, func(t *testing.T) {
			m := replayFile(t, tt.file)
			t.Logf("%s: P %.3f R %.3f F0.5 %.3f false alerts %.1f%% median delay %.1f; missed %v; false alerts %v",
				tt.file, m.Precision, m.Recall, m.F05, 100*m.FalseAlertRate, m.MedianDelay, m.Missed, m.FalseAlerts)
			if m.Precision < tt.precision || m.Recall < tt.recall || m.F05 < tt.f {
				t.Errorf("P %.3f R %.3f F0.5 %.3f, want at least %.3f %.3f %.3f", m.Precision, m.Recall, m.F05, tt.precision, tt.recall, tt.f)
			}
			if m.FalseAlertRate > tt.falseAlerts {
				t.Errorf("false alerts on hard negatives %.3f, want at most %.3f", m.FalseAlertRate, tt.falseAlerts)
			}
			if m.MedianDelay > tt.maxDelay {
				t.Errorf("median delay %.1f messages, want at most %.1f", m.MedianDelay, tt.maxDelay)
			}
			if m.HardNegatives < m.Risk || m.Risk < tt.minHardNegatives {
				t.Errorf("%d risk and %d hard negatives: want at least as many hard negatives", m.Risk, m.HardNegatives)
			}
		})
	}
}

// The independent corpus (testdata/independent, written without sight of
// the rules) keeps its figures: dev is tuned on, held-out is measured only.
// The held-out thresholds are the goals the rules were changed to meet:
// F0.5 at least 0.92, false alerts on at most 5% of hard negatives, and the
// median alert at most one message after the first sign. Recall on risk
// between existing contacts is held on its own, so that the rules cannot go
// back to leaning on stranger signals.
func TestIndependentFigures(t *testing.T) {
	for _, tt := range []struct {
		file                  string
		precision, recall, f  float64
		falseAlerts, maxDelay float64
		contactsRecall        float64
	}{
		{"dev.jsonl", 1.0, 1.0, 1.0, 0.0, 0, 1.0},
		{"heldout.jsonl", 0.981, 0.925, 0.92, 0.05, 1, 0.919},
	} {
		t.Run(tt.file, func(t *testing.T) {
			m := replayPath(t, filepath.Join("testdata", "independent", tt.file))
			t.Logf("%s: P %.3f R %.3f F0.5 %.3f false alerts %.1f%% median delay %.1f; by relationship %+v",
				tt.file, m.Precision, m.Recall, m.F05, 100*m.FalseAlertRate, m.MedianDelay, m.ByRelationship)
			scen := slices.Sorted(maps.Keys(m.ByScenario))
			for _, k := range scen {
				r := m.ByScenario[k]
				t.Logf("%s: recall %s %.3f (%d of %d)", tt.file, k, r.Recall, r.Detected, r.Risk)
			}
			if m.Precision < tt.precision || m.Recall < tt.recall || m.F05 < tt.f {
				t.Errorf("P %.3f R %.3f F0.5 %.3f, want at least %.3f %.3f %.3f", m.Precision, m.Recall, m.F05, tt.precision, tt.recall, tt.f)
			}
			if m.FalseAlertRate > tt.falseAlerts {
				t.Errorf("false alerts on hard negatives %.3f, want at most %.3f", m.FalseAlertRate, tt.falseAlerts)
			}
			if m.MedianDelay > tt.maxDelay {
				t.Errorf("median delay %.1f messages, want at most %.1f", m.MedianDelay, tt.maxDelay)
			}
			if r := m.ByRelationship["contacts"]; r.Risk == 0 || r.Recall < tt.contactsRecall {
				t.Errorf("recall on risk between existing contacts %.3f (%d of %d), want at least %.3f", r.Recall, r.Detected, r.Risk, tt.contactsRecall)
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	one, three := 1, 3
	convs := []ReplayConversation{
		{ID: "r1", Label: "risk", FirstRiskIndex: &one},
		{ID: "r2", Label: "risk", FirstRiskIndex: &one},
		{ID: "s1", Label: "safe"},
		{ID: "s2", Label: "support"},
	}
	results := []ReplayResult{
		{ID: "r1", Alert: true, AlertIndex: &three},
		{ID: "r2"},
		{ID: "s1", Alert: true, AlertIndex: &one},
		{ID: "s2"},
	}
	m, err := Measure(convs, results)
	if err != nil {
		t.Fatal(err)
	}
	// P = 1/2, R = 1/2, F0.5 = 1.25*0.25/(0.125+0.5) = 0.5.
	if m.Precision != 0.5 || m.Recall != 0.5 || m.F05 != 0.5 || m.FalseAlertRate != 0.5 || m.MedianDelay != 2 {
		t.Errorf("metrics = %+v", m)
	}
	if r := m.ByRelationship["contacts"]; r.Risk != 2 || r.Detected != 1 || r.Recall != 0.5 {
		t.Errorf("recall between contacts = %+v", r)
	}
	convs[1].Members = []ReplayMember{{ID: "a", Connected: true}, {ID: "b"}}
	convs[0].Scenario, convs[1].Scenario = "x", "x"
	if m, _ := Measure(convs, results); m.ByRelationship["strangers"].Risk != 1 || m.ByScenario["x"].Risk != 2 || m.ByScenario["x"].Detected != 1 {
		t.Errorf("by relationship %+v, by scenario %+v", m.ByRelationship, m.ByScenario)
	}
	if _, err := Measure(convs, results[:1]); err == nil {
		t.Error("Measure with a missing result succeeded")
	}
}
