package risk

import (
	"encoding/json"
	"strings"
	"testing"
)

// Floors for testdata/probe6.jsonl, as measured after the changes made for
// it (the file was used for fixing, so it is no clean measure).
const (
	probe6Caught      = 29
	probe6FalseAlerts = 0
)

// TestProbe6 replays testdata/probe6.jsonl, thirty risky and thirty
// ordinary conversations written by an outside tester, and holds the
// figures reached as a floor.
func TestProbe6(t *testing.T) {
	checkProbe(t, "testdata/probe6.jsonl", 30, 30, probe6Caught, probe6FalseAlerts)
}

// checkProbe replays file, which must hold risk risky and safe ordinary
// conversations, and holds caught and falseAlerts as its floors.
func checkProbe(t *testing.T, file string, risk, safe, caught, falseAlerts int) {
	t.Helper()
	s := scoreProbeFile(t, file)
	if s.risk != risk || s.safe != safe {
		t.Fatalf("read %d risk and %d safe conversations, want %d and %d", s.risk, s.safe, risk, safe)
	}
	if s.caught < caught {
		t.Errorf("caught %d of %d, want at least %d", s.caught, s.risk, caught)
	}
	if len(s.falseAlerts) > falseAlerts {
		t.Errorf("%d false alerts, want at most %d", len(s.falseAlerts), falseAlerts)
	}
}

// TestFalseAlertGuards: each ordinary message that alerted beside a twin
// with the same words from someone who means harm, which still alerts. The
// first letter says who sends the lines marked "a:" to the 14-year-old
// "t": c a 32-year-old contact, b a 19-year-old brother (a contact), g a
// linked parent, s an adult stranger. Lines are split by " || ".
func TestFalseAlertGuards(t *testing.T) {
	e := defaultEngine(t)
	for _, tt := range []struct {
		conv  string
		alert bool
	}{
		// A secret the carer knows of is not hidden from carers.
		{"b a: its our secret that im taking you to the concert, mum already knows though haha", false},
		{"b a: its our secret that im taking you to the concert, mum doesnt know though haha", true},
		// Posting and "everyone will see" are threats only with a threat frame.
		{"c a: ill post the class photos in the school group chat tomorrow, everyone will see them", false},
		{"c a: ill post your pics in the school group chat tomorrow, everyone will see them", true},
		{"c a: ill post them in the school group chat tomorrow unless you send more", true},
		{"g a: your whole class is going to see the results tomorrow, dont worry", false},
		{"g a: your whole class is going to see your pics tomorrow unless you pay", true},
		// A sale is not a demand under threat.
		{"c a: the console is £80, i need the money by sunday or ill put it on ebay", false},
		{"c a: i need the money by sunday or ill post them", true},
		// A move to an app to play with the family is no hidden channel.
		{"c a: add me on discord so we can play with the rest of the cousins", false},
		{"c a: add me on discord, dont tell your mum", true},
		// Banter about friends is not isolation; setting the child apart is.
		{"b a: ur mates are so immature lol, that video was dumb", false},
		{"b a: ur mates are so immature, not like you, you dont need them", true},
		{"s a: ur friends r so immature", true},
		// A parent's "just us" with no meeting proposed.
		{"g a: dad and I will go to parents evening, you dont need to come, its just us", false},
		{"g a: come to the park tonight, just us, dont tell dad", true},
		// Misses of the probe, now caught.
		{"c a: £200 to this paypal within the hour. clocks ticking || a: after that everyone on ur followers list gets the pics", true},
		{"c a: how do u think ur football team would react if they saw what u sent me || a: pay and they never will", true},
		{"c t: i did everything u said pls stop", true},
		{"c t: ill get the rest of the money tomorrow, just dont post them", true},
		{"c a: make a second insta that ur parents dont know about and follow me there", true},
		{"c a: if u really trusted me u would turn the cam on", true},
		{"c a: lets keep our chats just ours, your parents might get the wrong idea", true},
		{"c a: either u send more || t: no || a: or ur sister and all her friends see what u already sent", true},
		{"c a: sent u 2k vbucks || a: just remember who looks after u when i ask for something later", true},
		{"c a: dont mention our extra sessions to the others", true},
		{"c a: 8pm or i start messaging your contacts", true},
		{"s a: nobodyneedstoknowaboutthis", true},
		// Everyday twins of the new wordings.
		{"c a: ill send the forms home tomorrow unless you give them to me today", false},
		{"c a: the bike is £80, cash or card, pick it up by sunday or ill sell it to someone else", false},
		{"g a: turn the camera on for the call with grandma", false},
		{"c a: turn the camera on for the lesson", false},
	} {
		c := guardConversation(t, tt.conv)
		res, err := e.Replay(c)
		if err != nil {
			t.Fatal(err)
		}
		if res.Alert != tt.alert {
			t.Errorf("%q: alert %v %v, want %v", tt.conv, res.Alert, res.Rules, tt.alert)
		}
	}
}

func guardConversation(t *testing.T, conv string) ReplayConversation {
	t.Helper()
	kind, rest, _ := strings.Cut(conv, " ")
	a := map[string]any{"id": "a", "age_band": "adult", "declared_age": 32, "connected": kind != "s"}
	switch kind {
	case "b":
		a["declared_age"] = 19
	case "g":
		a["guardian_of"] = []string{"t"}
	}
	var msgs []map[string]any
	for i, part := range strings.Split(rest, " || ") {
		from, text, _ := strings.Cut(part, ": ")
		msgs = append(msgs, map[string]any{"from": from, "t": 60 * (i + 1), "text": text})
	}
	line, err := json.Marshal(map[string]any{
		"id":       "guard",
		"members":  []any{a, map[string]any{"id": "t", "age_band": "teen", "declared_age": 14, "connected": true}},
		"messages": msgs,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseReplayLine(line)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Floors for testdata/probe7.jsonl, as measured at its first run: an
// outside tester wrote it after the changes for probe6, and nothing was
// changed for it, so it is a clean measure (25 risky conversations, all
// from existing contacts, and 25 ordinary ones).
const (
	probe7Caught      = 21
	probe7FalseAlerts = 1
)

// TestProbe7 replays testdata/probe7.jsonl and holds its first run's
// figures as a floor.
func TestProbe7(t *testing.T) {
	checkProbe(t, "testdata/probe7.jsonl", 25, 25, probe7Caught, probe7FalseAlerts)
}
