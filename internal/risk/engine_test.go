package risk

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard"
)

func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(rs)
}

var strangerAndChild = []Member{
	{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 41},
	{ID: "c", AgeBand: safeguard.Child, DeclaredAge: 12},
}

func scoreAll(t *testing.T, e *Engine, c *Conversation, members []Member, msgs ...Message) []Verdict {
	t.Helper()
	var out []Verdict
	for _, m := range msgs {
		v, err := e.Score(c, members, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestScoreExplainsAlert(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	vs := scoreAll(t, e, &c, strangerAndChild,
		Message{From: "a", Text: "hey"},
		Message{From: "c", Text: "hi"},
		Message{From: "a", Text: "send me a pic"},
	)
	if vs[0].Alert || vs[1].Alert {
		t.Fatalf("alert before any risk: %+v", vs[:2])
	}
	v := vs[2]
	if !v.Alert || v.Severity != High || v.Notice != RiskWarning || v.MessageIndex != 2 {
		t.Fatalf("verdict = %+v, want a high alert with a risk warning at message 2", v)
	}
	want := []Signal{
		{Name: "recipient.minor", MessageIndex: -1, Evidence: "true"},
		{Name: "sender.adult", MessageIndex: -1, Evidence: "true"},
		{Name: "sender.connected", MessageIndex: -1, Evidence: "false"},
		{Name: "image_request", MessageIndex: 2, Pattern: "{send} (me|us)? {det}? {image_noun}", Evidence: "send me a pic"},
	}
	if diff := cmp.Diff(want, v.Signals); diff != "" {
		t.Errorf("signals (-want +got):\n%s", diff)
	}
	if v.RuleSetVersion != e.RuleSet().Version() {
		t.Errorf("verdict version %q, want %q", v.RuleSetVersion, e.RuleSet().Version())
	}
}

func TestAgeDeception(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	members := []Member{{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 34}, {ID: "c", AgeBand: safeguard.Teen, DeclaredAge: 15}}
	vs := scoreAll(t, e, &c, members, Message{From: "c", Text: "how old r u"}, Message{From: "a", Text: "im 15 too lol"})
	if !vs[1].Alert || vs[1].Severity != Critical || !hasSignal(vs[1], SignalAgeDeception) {
		t.Errorf("adult claiming 15: %+v, want a critical age-deception alert", vs[1])
	}
	// A teen saying their real age is no deception.
	var c2 Conversation
	vs = scoreAll(t, e, &c2, members, Message{From: "c", Text: "im 15 too"})
	if hasSignal(vs[0], SignalAgeDeception) {
		t.Errorf("teen stating their own age flagged as deception: %+v", vs[0])
	}
}

func TestSextortionNotice(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	members := []Member{{ID: "a", AgeBand: safeguard.Adult, Connected: true}, {ID: "c", AgeBand: safeguard.Teen}}
	vs := scoreAll(t, e, &c, members,
		Message{From: "c", HasImage: true, Text: ""},
		Message{From: "a", Text: "ill send them to all ur friends unless u pay me £100"},
	)
	if v := vs[1]; !v.Alert || v.Notice != SextortionWarning || v.Severity != Critical {
		t.Errorf("verdict = %+v, want a critical alert with the sextortion notice", v)
	}
}

func TestShadowRulesCountButDoNotAlert(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	vs := scoreAll(t, e, &c, strangerAndChild, Message{From: "a", Text: "how old are you"})
	v := vs[0]
	if v.Alert || v.Notice != NoNotice {
		t.Fatalf("a shadow rule raised an alert: %+v", v)
	}
	if len(v.Rules) != 1 || v.Rules[0].ID != "grooming.age_probe.stranger" || !v.Rules[0].Shadow {
		t.Fatalf("rules = %+v, want the shadow age-probe rule", v.Rules)
	}
	for _, rc := range e.Counters() {
		if rc.ID == "grooming.age_probe.stranger" {
			if rc.Mode != Shadow || rc.Evaluated != 1 || rc.Fired != 1 {
				t.Errorf("counter = %+v, want evaluated 1, fired 1", rc)
			}
			return
		}
	}
	t.Error("no counter for the shadow rule")
}

func TestCountersSurviveReload(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	scoreAll(t, e, &c, strangerAndChild, Message{From: "a", Text: "how old are you"})
	if _, err := e.Reload([]Source{DefaultRules()}, []Source{DefaultLexicon()}); err != nil {
		t.Fatal(err)
	}
	for _, rc := range e.Counters() {
		if rc.ID == "grooming.age_probe.stranger" && rc.Fired != 1 {
			t.Errorf("after reload: %+v, want the count kept", rc)
		}
	}
}

// TestStateRoundTrip checks that scoring with the state stored as JSON
// between every message gives the same verdicts as keeping it in memory.
func TestStateRoundTrip(t *testing.T) {
	e := defaultEngine(t)
	msgs := []Message{
		{From: "a", Text: "hey"}, {From: "c", Text: "hi im 12"}, {From: "a", Text: "ur so mature"},
		{From: "a", Text: "send me a"}, {From: "a", Text: "pic"}, {From: "a", Text: "dont tell ur mum"},
		{From: "a", Text: "send"}, {From: "a", Text: "more"}, {From: "c", Text: "what"}, {From: "a", Text: "or"},
		{From: "a", Text: "everyone"}, {From: "a", Text: "sees", At: time.Date(2026, time.May, 1, 23, 45, 0, 0, time.UTC)},
		{From: "c", Text: "d e l e t e  t h e m"},
	}
	var mem Conversation
	want := scoreAll(t, e, &mem, strangerAndChild, msgs...)
	stored := []byte("{}")
	var got []Verdict
	for _, m := range msgs {
		var c Conversation
		if err := json.Unmarshal(stored, &c); err != nil {
			t.Fatal(err)
		}
		v, err := e.Score(&c, strangerAndChild, m)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
		if stored, err = json.Marshal(&c); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts differ after JSON round trips (-memory +stored):\n%s", diff)
	}
	if len(stored) > 4096 {
		t.Errorf("state is %d bytes after %d messages; want it small", len(stored), len(msgs))
	}
	if diff := cmp.Diff(&mem, mem.Clone()); diff != "" {
		t.Errorf("Clone differs:\n%s", diff)
	}
}

func TestUnknownSender(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	_, err := e.Score(&c, strangerAndChild, Message{From: "zz", Text: "hi"})
	if !errors.Is(err, safeguard.ErrInvalid) || safeguard.ErrorCode(err) != "unknown_sender" {
		t.Errorf("Score from a non-member = %v, want unknown_sender", err)
	}
	if c.Messages != 0 {
		t.Error("a refused message changed the state")
	}
}

func TestHugeMessageIsBounded(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	text := strings.Repeat("lorem ipsum ", 90_000) + " send me a pic" // about 1 MB
	start := time.Now()
	vs := scoreAll(t, e, &c, strangerAndChild, Message{From: "a", Text: text})
	if !hasSignal(vs[0], SignalOversized) || !hasSignal(vs[0], "image_request") {
		t.Errorf("1 MB message: signals %+v, want oversized and the request in its tail", vs[0].Signals)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("1 MB message took %v", d)
	}
}

func TestGroupRecipientIsYoungest(t *testing.T) {
	e := defaultEngine(t)
	var c Conversation
	members := []Member{
		{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 40},
		{ID: "p", AgeBand: safeguard.Adult, DeclaredAge: 38, Connected: true},
		{ID: "t", AgeBand: safeguard.Teen, DeclaredAge: 16},
		{ID: "c", AgeBand: safeguard.Child, DeclaredAge: 11},
	}
	vs := scoreAll(t, e, &c, members, Message{From: "a", Text: "dont tell your mum we talk"})
	if !hasSignal(vs[0], "recipient.minor") || !vs[0].Alert {
		t.Errorf("group: %+v, want an alert naming the minor recipient", vs[0])
	}
}
