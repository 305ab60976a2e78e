package risk

import (
	"bufio"
	"os"
	"testing"
)

// TestProbe2FalseAlertsAndTwins replays testdata/probe2.jsonl: ordinary
// conversations from an outside probe that used to raise critical alerts (a
// shop's sale terms, a parent's own pick-up or errand, secrecy from a
// brother, lessons and safety advice), labelled "safe", each beside a
// conversation with the same wording from someone who means harm, labelled
// "risk", which must still alert.
func TestProbe2FalseAlertsAndTwins(t *testing.T) {
	e := defaultEngine(t)
	f, err := os.Open("testdata/probe2.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	counts := map[string]int{}
	for sc.Scan() {
		c, err := ParseReplayLine(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Replay(c)
		if err != nil {
			t.Fatal(err)
		}
		counts[c.Label]++
		switch c.Label {
		case "safe":
			if res.Alert {
				t.Errorf("%s: alert %v, want none", c.ID, res.Rules)
			}
		case "risk":
			if !res.Alert {
				t.Errorf("%s: no alert, want one", c.ID)
			}
		default:
			t.Errorf("%s: label %q", c.ID, c.Label)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if counts["safe"] < 13 || counts["risk"] < 12 {
		t.Errorf("read %v conversations, want at least 13 safe and 12 risk", counts)
	}
}
