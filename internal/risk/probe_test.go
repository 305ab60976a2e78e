package risk

import (
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// Members of the probe conversations. "a" is always the older member, "b"
// the young person.
var (
	// An adult who was already the teen's contact: a relative, a family
	// friend, a coach, a teacher.
	contactPair = []Member{
		{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 38, Connected: true},
		{ID: "b", AgeBand: safeguard.Teen, DeclaredAge: 14, Connected: true},
	}
	// A parent linked to the teen as their guardian.
	guardianPair = []Member{
		{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 44, Connected: true, GuardianOf: []string{"b"}},
		{ID: "b", AgeBand: safeguard.Teen, DeclaredAge: 14, Connected: true},
	}
	// Two 14-year-old friends.
	friendPair = []Member{
		{ID: "a", AgeBand: safeguard.Teen, DeclaredAge: 14, Connected: true},
		{ID: "b", AgeBand: safeguard.Teen, DeclaredAge: 14, Connected: true},
	}
	// A stranger adult and a teen.
	strangerPair = []Member{
		{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 31},
		{ID: "b", AgeBand: safeguard.Teen, DeclaredAge: 14},
	}
)

// probeCase is one synthetic conversation: lines "a: text" or "b: text".
type probeCase struct {
	name    string
	members []Member
	lines   []string
	alert   bool
	rule    string // with alert: a rule that must be among those fired
}

func (pc probeCase) replay(t *testing.T, e *Engine) (alert bool, rules map[string]bool, last Verdict) {
	t.Helper()
	var c Conversation
	rules = map[string]bool{}
	for i, line := range pc.lines {
		from, text, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%s: line %q", pc.name, line)
		}
		v, err := e.Score(&c, pc.members, Message{From: from, T: time.Duration(i) * time.Minute, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range v.Rules {
			if !r.Shadow {
				rules[r.ID] = true
			}
		}
		alert = alert || v.Alert
		last = v
	}
	return alert, rules, last
}

// TestProbeFalseAlerts: ordinary family, school and friends' talk that an
// outside probe found alerting, and that must not; beside each, the same
// shape from someone who means harm, which must still alert.
func TestProbeFalseAlerts(t *testing.T) {
	e := defaultEngine(t)
	for _, pc := range []probeCase{
		// A teacher publishing the trip's photos on the school's own site.
		{name: "teacher trip photos", members: contactPair, lines: []string{
			"a: thanks for being so good on the trip today",
			"a: I'll put the trip photos on the school website",
		}},
		{name: "teacher photos from the trip", members: contactPair, lines: []string{
			"a: ill post the photos from the trip on the school website tomorrow",
		}},
		{name: "teacher photos on the newsletter", members: contactPair, lines: []string{
			"a: We'll put some of the photos in the school newsletter, your parents will love them",
		}},
		{name: "threat to put a teen's pictures on the school page", members: contactPair, alert: true, rule: "sextortion.threat", lines: []string{
			"a: ill put your pics on the school website",
		}},
		{name: "threat to post on the school's page", members: contactPair, alert: true, rule: "sextortion.threat", lines: []string{
			"a: i will post your pics on your school page",
		}},
		{name: "threat to put them on the school website", members: contactPair, alert: true, rule: "sextortion.threat", lines: []string{
			"a: ill put them on the school website",
		}},

		// A family joke about baby photos.
		{name: "aunt's baby photos joke", members: contactPair, lines: []string{
			"a: you still owe me for the cinema",
			"a: pay me back £5 or I'll show your baby photos",
			"b: noooo not the baby photos",
		}},
		{name: "parent's baby photos joke", members: guardianPair, lines: []string{
			"a: pay me back £5 or I'll show your baby photos to your friends haha",
		}},
		{name: "the same demand with the teen's pictures", members: contactPair, alert: true, rule: "sextortion.exposure_threat", lines: []string{
			"a: pay me £50 or I'll show your pics to your friends",
		}},

		// A teen asking a friend or a parent to delete an unflattering photo.
		{name: "teen asks a friend to delete a party photo", members: friendPair, lines: []string{
			"a: that party was sick",
			"b: can you delete that pic of me from the party, I look awful",
			"b: please delete it i look so bad",
		}},
		{name: "teen asks a friend about beach photos", members: friendPair, lines: []string{
			"b: please delete the beach photos, i look so bad in them",
		}},
		{name: "teen asks a parent", members: guardianPair, lines: []string{
			"b: mum please delete the photo from the beach i look awful",
		}},
		{name: "victim's plea to the other member", members: contactPair, alert: true, rule: "sextortion.victim_reveals", lines: []string{
			"b: please delete the pics i sent the money",
		}},

		// A family friend whose story the parent knows.
		{name: "family friend, the parent knows", members: contactPair, lines: []string{
			"a: we're doing a film night at ours on saturday",
			"a: if your mum asks just say youre at ours, she knows",
			"a: if your mum asks just say youre at ours on saturday, she knows",
		}},
		{name: "family friend has spoken to the parent", members: contactPair, lines: []string{
			"a: tell your mum youre staying at ours, ive spoken to her already",
		}},
		{name: "a cover story", members: contactPair, alert: true, rule: "grooming.cover_story", lines: []string{
			"a: if your mum asks who i am say im a girl from your form",
		}},

		// An aunt inviting her nephew into the family group.
		{name: "aunt's family WhatsApp group", members: contactPair, lines: []string{
			"a: hiya love its auntie sue",
			"a: join the family WhatsApp group, everyone is on there",
		}},
		{name: "aunt asks to add her on WhatsApp for the group", members: contactPair, lines: []string{
			"a: add me on whatsapp so i can add you to the family group",
			"b: ok done",
			"a: lovely, see you on sunday",
			"a: nan says hi",
		}},
		{name: "aunt's family group, then WhatsApp", members: contactPair, lines: []string{
			"a: we've made a family group for nan's birthday",
			"b: cool",
			"a: have you got whatsapp? add me on whatsapp",
		}},
		{name: "aunt: download WhatsApp for the family chat", members: contactPair, lines: []string{
			"a: download whatsapp so you can join the family chat, nan is on it",
		}},
		{name: "a move to another app, one to one", members: contactPair, alert: true, rule: "grooming.hidden_channel", lines: []string{
			"a: add me on whatsapp, just us",
		}},
	} {
		t.Run(pc.name, func(t *testing.T) {
			alert, rules, last := pc.replay(t, e)
			if alert != pc.alert {
				t.Errorf("alert %v (rules %v, last signals %v), want %v", alert, rules, last.Signals, pc.alert)
			}
			if pc.rule != "" && !rules[pc.rule] {
				t.Errorf("rules %v, want %s among them", rules, pc.rule)
			}
		})
	}
}

// TestProbeEvasions: the behaviours written so as to slip past the rules —
// letters spaced or dotted apart, a threat split over one-word messages or
// only implied, "come solo", vanish mode, and a plain request for a picture
// of the young person — alert; ordinary words around them do not.
func TestProbeEvasions(t *testing.T) {
	e := defaultEngine(t)
	for _, pc := range []probeCase{
		{name: "spaced letters", members: contactPair, alert: true, rule: "grooming.delete_chat", lines: []string{
			"a: d e l e t e  t h e  c h a t",
		}},
		{name: "dotted letters", members: contactPair, alert: true, rule: "grooming.hide_from_carers", lines: []string{
			"a: keep it s.e.c.r.e.t",
		}},
		{name: "dashed letters", members: strangerPair, alert: true, rule: "grooming.image_request.stranger", lines: []string{
			"a: s-e-n-d m-e a p-i-c",
		}},
		{name: "one spaced word", members: contactPair, alert: true, rule: "meeting.alone.older", lines: []string{
			"a: come s o l o",
		}},
		{name: "text-speak letters stay words", members: contactPair, lines: []string{
			"a: u r a star, i m a bit proud of you",
		}},

		{name: "threat split over one-word messages", members: contactPair, alert: true, rule: "sextortion.exposure_threat", lines: []string{
			"a: hey",
			"b: hi",
			"a: send",
			"a: more",
			"a: or",
			"a: everyone",
			"a: sees",
		}},
		{name: "demand split over one-word messages", members: contactPair, alert: true, rule: "sextortion.money_demand", lines: []string{
			"a: pay", "a: me", "a: £50", "a: or", "a: i", "a: post", "a: them", "a: everywhere",
		}},
		{name: "short messages with a reply between each join", members: contactPair, alert: true, rule: "sextortion.exposure_threat", lines: []string{
			"a: send", "b: what", "a: more", "b: ?", "a: or", "b: huh", "a: everyone", "b: lol", "a: sees",
		}},
		{name: "short messages with replies between, harmless", members: contactPair, lines: []string{
			"a: send", "b: what", "a: the", "b: ?", "a: homework", "b: lol", "a: everyone", "b: ok", "a: has",
		}},
		{name: "short messages with two replies between do not join", members: contactPair, lines: []string{
			"a: send", "b: what", "b: ?", "a: more", "b: huh", "b: ??", "a: or", "b: lol", "b: eh", "a: everyone", "b: k", "b: ok", "a: sees",
		}},

		{name: "implied threat: a shame if your class saw", members: contactPair, alert: true, rule: "sextortion.exposure_threat", lines: []string{
			"a: it would be a shame if your class saw those pics",
		}},
		{name: "implied threat: imagine if your mum saw", members: contactPair, alert: true, rule: "sextortion.exposure_threat", lines: []string{
			"a: imagine if your mum saw what you sent",
		}},
		{name: "implied threat: what would your friends think", members: contactPair, alert: true, rule: "sextortion.exposure_threat", lines: []string{
			"a: what would your friends think if they saw these",
		}},
		{name: "a sister's tease about a messy room", members: contactPair, lines: []string{
			"a: imagine if your mum saw your room right now",
			"a: what would your friends think if they saw you dancing like that",
		}},

		{name: "come solo", members: contactPair, alert: true, rule: "meeting.alone.older", lines: []string{
			"a: meet me at the park later, come solo",
		}},
		{name: "come alone", members: contactPair, alert: true, rule: "meeting.alone.older", lines: []string{
			"a: come alone ok",
		}},
		{name: "don't bring anyone", members: contactPair, alert: true, rule: "meeting.alone.older", lines: []string{
			"a: don't bring anyone",
		}},
		{name: "a solo at the concert", members: contactPair, lines: []string{
			"a: you were brilliant in the concert, that solo was amazing",
			"a: next term you can go solo on the second verse",
		}},

		{name: "vanish mode", members: contactPair, alert: true, rule: "grooming.hidden_channel", lines: []string{
			"a: turn on vanish mode",
		}},
		{name: "disappearing messages", members: contactPair, alert: true, rule: "grooming.hidden_channel", lines: []string{
			"a: put disappearing messages on",
		}},
		{name: "secret chat", members: contactPair, alert: true, rule: "grooming.hidden_channel", lines: []string{
			"a: lets start a secret chat",
		}},

		{name: "a picture of the teen, now", members: contactPair, alert: true, rule: "grooming.image_request.personal", lines: []string{
			"a: send me a pic of you now",
		}},
		{name: "show me on cam", members: contactPair, alert: true, rule: "grooming.image_request.personal", lines: []string{
			"a: show me on cam",
		}},
		{name: "a parent's picture request", members: guardianPair, lines: []string{
			"a: send me a pic of you now so nan can see the new haircut",
		}},
		{name: "a receipt, now", members: contactPair, lines: []string{
			"a: send me a pic of the receipt now please",
			"a: send me a photo now of the sign so i can find you",
		}},
		{name: "a friend's picture request", members: friendPair, lines: []string{
			"a: show me on cam how you did that trick",
		}},
	} {
		t.Run(pc.name, func(t *testing.T) {
			alert, rules, last := pc.replay(t, e)
			if alert != pc.alert {
				t.Errorf("alert %v (rules %v, last signals %v), want %v", alert, rules, last.Signals, pc.alert)
			}
			if pc.rule != "" && !rules[pc.rule] {
				t.Errorf("rules %v, want %s among them", rules, pc.rule)
			}
		})
	}
}

// TestNightRaisesSeverity: the same words between an adult and a young
// person are one step more severe at night, local time (23:00 to 05:00),
// and the night signal says why; at night nothing alerts that would not by
// day, and talk between two young people is not raised.
func TestNightRaisesSeverity(t *testing.T) {
	e := defaultEngine(t)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	day := func(h, m int) time.Time { return time.Date(2026, time.June, 12, h, m, 0, 0, london) }
	score := func(members []Member, at time.Time, lines ...string) Verdict {
		t.Helper()
		var c Conversation
		var v Verdict
		for i, line := range lines {
			from, text, _ := strings.Cut(line, ": ")
			var err error
			v, err = e.Score(&c, members, Message{From: from, Text: text, At: at.Add(time.Duration(i) * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
		}
		return v
	}
	for _, tt := range []struct {
		name     string
		members  []Member
		at       time.Time
		lines    []string
		severity Severity // "" for no alert
		night    bool     // the verdict lists the night signal (alert or not)
	}{
		{"flattery by day", contactPair, day(15, 0), []string{"a: ur so mature for ur age"}, Medium, false},
		{"flattery at 23:30", contactPair, day(23, 30), []string{"a: ur so mature for ur age"}, High, true},
		{"flattery at 01:00", contactPair, day(1, 0), []string{"a: ur so mature for ur age"}, High, true},
		{"flattery at 04:59", contactPair, day(4, 59), []string{"a: ur so mature for ur age"}, High, true},
		{"flattery at 05:00", contactPair, day(5, 0), []string{"a: ur so mature for ur age"}, Medium, false},
		{"flattery at 22:59", contactPair, day(22, 59), []string{"a: ur so mature for ur age"}, Medium, false},
		{"secrecy at night", contactPair, day(0, 30), []string{"a: dont tell your mum about me"}, Critical, true},
		{"critical stays critical", contactPair, day(0, 30), []string{"a: send more or your whole school sees the old ones"}, Critical, true},
		{"the teen wrote at night first", contactPair, day(23, 50), []string{"b: cant sleep", "a: ur so mature for ur age"}, High, true},
		{"harmless talk at night", contactPair, day(23, 30), []string{"a: did you finish your homework", "b: yeah"}, "", true},
		{"two friends at night", friendPair, day(0, 30), []string{"a: dont tell your mum about me"}, "", false},
		{"time unknown", contactPair, time.Time{}, []string{"a: ur so mature for ur age"}, Medium, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := score(tt.members, tt.at, tt.lines...)
			if got := v.Severity; got != tt.severity || v.Alert != (tt.severity != "") {
				t.Errorf("alert %v severity %q, want %q", v.Alert, got, tt.severity)
			}
			night := false
			for _, s := range v.Signals {
				night = night || s.Name == SignalNight
			}
			if night != tt.night {
				t.Errorf("night signal %v in %v, want %v", night, v.Signals, tt.night)
			}
			for _, r := range v.Rules {
				if !r.Shadow && r.Severity.Rank() > v.Severity.Rank() {
					t.Errorf("rule %s severity %s above the verdict's %s", r.ID, r.Severity, v.Severity)
				}
			}
		})
	}
	// Rules can read the hour: message.local_hour and message.night.
	rs, err := Load([]Source{{Name: "night.yaml", Data: []byte(`version: 1
rules:
  - id: test.night
    description: a message at night
    category: contact
    severity: low
    mode: shadow
    expr: message.night && message.local_hour == 1 && signals.night.count >= 1
`)}}, []Source{DefaultLexicon()})
	if err != nil {
		t.Fatal(err)
	}
	var c Conversation
	v, err := NewEngine(rs).Score(&c, contactPair, Message{From: "a", Text: "hi", At: day(1, 15)})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Rules) != 1 || v.Rules[0].ID != "test.night" {
		t.Errorf("rules at 01:15: %v", v.Rules)
	}
}
