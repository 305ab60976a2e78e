package risk

import (
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard"
)

// TestBehaviourWhateverTheContact: each behaviour alerts when said by an
// adult who was already the teen's contact, and the same shapes in family,
// school and club talk do not. A line starting "V:" is the teen's own words
// to the adult (the victim revealing sextortion).
func TestBehaviourWhateverTheContact(t *testing.T) {
	e := defaultEngine(t)
	members := []Member{
		{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 30, Connected: true},
		{ID: "b", AgeBand: safeguard.Teen, DeclaredAge: 14, Connected: true},
	}
	score := func(text string) Verdict {
		t.Helper()
		from := "a"
		if rest, ok := strings.CutPrefix(text, "V:"); ok {
			from, text = "b", strings.TrimSpace(rest)
		}
		var c Conversation
		for _, m := range []Message{{From: "a", Text: "hey how was your day"}, {From: "b", Text: "ok"}} {
			if _, err := e.Score(&c, members, m); err != nil {
				t.Fatal(err)
			}
		}
		v, err := e.Score(&c, members, Message{From: from, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, text := range []string{
		"dont tell your mum and dad about me",
		"your parents dont need to know about us",
		"make sure your mum doesnt find out we talk",
		"this stays between us yeah",
		"keep this between you and me",
		"dont mention me to your dad",
		"if anyone asks we never talk",
		"delete our messages when we finish talking",
		"wipe the chat before you go to bed",
		"delete everything i sent you",
		"make sure you clear our chat every night",
		"if your dad asks say im from your football team",
		"tell your mum youre at a mates house",
		"just say you were at the library",
		"tell them im a friend from school",
		"you dont need your friends, youve got me",
		"your mates dont really care about you",
		"your family dont understand you like i do",
		"no one gets you like i do",
		"you should spend less time with your friends",
		"lets talk on telegram instead",
		"download snapchat and add me there",
		"make a new account so no one knows its you",
		"use your old phone so your parents dont see",
		"turn on vanishing messages",
		"lets meet up, just the two of us",
		"ill pay for your train ticket to come see me",
		"come on your own, dont bring anyone",
		"ill pick you up from the end of your road",
		"meet me at the park, dont tell anyone",
		"ill send you 20 quid but you have to do something for me",
		"ill get you the new phone if you send me a pic",
		"i bought you that game so you owe me",
		"ur so much more mature than girls your age",
		"you dont act like a 13 year old at all",
		"youre so grown up for your age",
		"send me a pic of you",
		"can i see what you look like now",
		"go on cam for me",
		"video call me tonight when everyone is asleep",
		"send me a selfie just for me",
		"send more or i send the ones i have to your mum",
		"pay me 100 pounds or everyone sees your pics",
		"i will post your pics on your school page",
		"i have your pics and ill send them to all your followers",
		"you have 10 minutes to pay",
		"V: please dont share them i sent what you wanted",
		"V: i already paid you please delete them",
		"V: please just delete the photos",
		"V: i paid you 50 pounds please leave me alone now",
		"V: i dont have any more money please stop",
	} {
		if v := score(text); !v.Alert {
			t.Errorf("%q from a contact: no alert (signals %v)", text, v.Signals)
		}
	}
	for _, text := range []string{
		"can you send me a pic of your homework",
		"delete that photo of me its awful",
		"dont tell dad about his birthday present",
		"ive sent you 20 pounds for the school trip",
		"send me a photo of the tickets",
		"well done on your exams, you are so grown up now",
		"happy birthday, ive sent you some money",
		"text me when you get to the station",
		"can you pick up milk on the way home",
		"ill pick you up from school at 3",
		"dont forget your kit for training",
		"share your location when you leave please",
		"the whole family is on whatsapp, add me there",
		"your nan wants a photo of you in your uniform",
		"dont tell anyone yet but youve been picked for the team",
		"make sure your mum knows what time to collect you",
		"if your mum asks, training is at 6 now",
		"tell your mum im running late",
		"delete the old group chat, we made a new one",
		"ill pay for your bus ticket to the match, your mum said thats fine",
		"lets move the chat to the team whatsapp group",
		"turn your camera on for the online lesson please",
		"youre so mature for your age, well done on the presentation",
		"great shift today, you were really mature with that customer",
		"keep it a secret from mum, its her surprise party",
		"can you send me the photos from sports day",
		"your mum and i will pick you up after the concert",
		"remember to bring money for the trip",
		"you have 24 hours to return your library book",
		"you have 10 minutes to get ready, the bus leaves at 8",
		"youve got 1 hour til kick off",
		"please delete the photos of the kids from the class page",
		"i know what school you go to, we met at parents evening",
		"your dad asked me to pick you up from the end of your road",
	} {
		if v := score(text); v.Alert {
			t.Errorf("%q: alert %v", text, v.Rules)
		}
	}
	// The teen's own words give the emergency notice.
	if v := score("V: please delete the pics, i sent the money"); v.Notice != SextortionEmergency || v.Severity != Critical {
		t.Errorf("victim's words: notice %q severity %q", v.Notice, v.Severity)
	}
}

// TestGuardianContext: a guardian link, or a guardian in the chat, changes
// what a photo request means; it never silences secrecy, isolation,
// meeting or sextortion.
func TestGuardianContext(t *testing.T) {
	e := defaultEngine(t)
	linked := []Member{
		{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 40, Connected: true, GuardianOf: []string{"c"}},
		{ID: "c", AgeBand: safeguard.Child, DeclaredAge: 11, Connected: true},
	}
	present := []Member{
		{ID: "t", AgeBand: safeguard.Adult, DeclaredAge: 35, Connected: true},
		{ID: "c", AgeBand: safeguard.Child, DeclaredAge: 11, Connected: true},
		{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 40, Connected: true, GuardianOf: []string{"c"}},
	}
	for _, tt := range []struct {
		members []Member
		from    string
		text    string
		alert   bool
	}{
		{linked, "a", "send me a pic of you", false},
		{linked, "a", "send me a pic of you in your new uniform for nan", false},
		{present, "t", "can you take a photo of you with your project for me", false},
		{present, "t", "send me a pic of you", false},
		{linked, "a", "dont tell your mum we talk, its our secret", true},
		{linked, "a", "your friends dont really care about you", true},
		{linked, "a", "come on your own, dont bring anyone", true},
		{linked, "a", "send more or your whole school sees the old ones", true},
		{present, "t", "delete our messages when we finish talking", true},
	} {
		var c Conversation
		v, err := e.Score(&c, tt.members, Message{From: tt.from, Text: tt.text})
		if err != nil {
			t.Fatal(err)
		}
		if v.Alert != tt.alert {
			t.Errorf("%q from %s: alert %v (%v), want %v", tt.text, tt.from, v.Alert, v.Rules, tt.alert)
		}
	}
}
