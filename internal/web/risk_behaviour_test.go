package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
)

// lateScanner is a scanner whose risk scanner is built once the stack's
// notifier exists.
type lateScanner struct{ s messaging.Scanner }

func (l *lateScanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	return l.s.Scan(ctx, c)
}

// eachRiskCase runs fn against every store, with the cases service and the
// risk scanner with the default rules. Contacts count as established as soon
// as they are made, so that a contact's messages are scored as a contact's.
func eachRiskCase(t *testing.T, fn func(t *testing.T, s *caseStack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			late := &lateScanner{}
			s := newCaseStackWith(t, open(t), late, func(_ *cases.Config, d *cases.Deps) {
				r, err := riskscan.New(riskscan.Config{EstablishedAfter: time.Nanosecond}, riskscan.Deps{Store: d.Store, Notify: d.Notify})
				if err != nil {
					t.Fatal(err)
				}
				late.s = r
			})
			fn(t, s)
		})
	}
}

// notices collects the support notices an account's event stream shows.
type notices struct {
	ch <-chan client.Event
}

func (s *caseStack) notices(c *client.Client) *notices {
	s.t.Helper()
	ch, err := c.Events(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	return &notices{ch: ch}
}

// next returns the code of the next notice shown within wait, or "".
func (n *notices) next(wait time.Duration) string {
	deadline := time.After(wait)
	for {
		select {
		case ev := <-n.ch:
			if ev.Notice != nil {
				return ev.Notice.Code
			}
		case <-deadline:
			return ""
		}
	}
}

// riskPair signs up an adult and a 14-year-old who are contacts, and the
// adult's one-to-one conversation with the teen.
func (s *caseStack) riskPair(adultName, teenName string) (adult, teen *client.Client, conv int64) {
	s.t.Helper()
	ctx := s.t.Context()
	adult = s.user(adultName, 34, "Cambridge")
	teen = s.user(teenName, 14, "Bedford")
	s.connect(teen, s.h(adultName), adult)
	time.Sleep(10 * time.Millisecond) // the contact is older than the conversation
	c, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h(teenName)}})
	if err != nil {
		s.t.Fatal(err)
	}
	return adult, teen, c.ID
}

func (s *caseStack) send(from *client.Client, conv int64, text string) {
	s.t.Helper()
	if _, err := from.SendText(s.t.Context(), conv, text); err != nil {
		s.t.Fatalf("send %q: %v", text, err)
	}
}

func (s *caseStack) id(c *client.Client) int64 {
	s.t.Helper()
	me, err := c.Me(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	return me.ID
}

// TestRiskSecrecyFromAContact: an adult who is already a 14-year-old's
// contact asks them to keep their chats secret and to delete them. What is
// said decides, not the contact status: the teen is shown a notice and a
// case is opened about the adult.
func TestRiskSecrecyFromAContact(t *testing.T) {
	eachRiskCase(t, func(t *testing.T, s *caseStack) {
		adult, teen, conv := s.riskPair("coach_kim", "teen_lou")
		seen := s.notices(teen)
		s.send(adult, conv, "hey, how was school today? (TEST)")
		s.send(adult, conv, "keep our chats secret from your mum ok, and delete them after")
		if got := seen.next(5 * time.Second); got != "risk_warning" {
			t.Errorf("the teen was shown %q, want risk_warning", got)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		cs := s.cases(t)
		if len(cs) != 1 || cs[0].SenderID != s.id(adult) || cs[0].Category != "grooming" || cs[0].Source != "risk_rule" {
			t.Errorf("cases = %+v", cs)
		}
	})
}

// TestRiskSextortionFromAContact: a contact's threat to show a teen's
// pictures to their school opens a priority 1 sextortion case and shows the
// teen the sextortion warning.
func TestRiskSextortionFromAContact(t *testing.T) {
	eachRiskCase(t, func(t *testing.T, s *caseStack) {
		adult, teen, conv := s.riskPair("gamer_max", "teen_ivy")
		seen := s.notices(teen)
		s.send(adult, conv, "send more or your whole school sees the old ones")
		if got := seen.next(5 * time.Second); got != "sextortion_warning" {
			t.Errorf("the teen was shown %q, want sextortion_warning", got)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		cs := s.cases(t)
		if len(cs) != 1 || cs[0].Priority != 1 || cs[0].Category != "sextortion" || cs[0].SenderID != s.id(adult) {
			t.Errorf("cases = %+v", cs)
		}
	})
}

// TestRiskVictimWordsAreAnEmergency: a teen's own words show they are being
// extorted. They are shown the emergency notice (Report Remove, CEOP) at
// once, a priority 1 case is opened about the one they wrote to, and that
// member is shown nothing different.
func TestRiskVictimWordsAreAnEmergency(t *testing.T) {
	eachRiskCase(t, func(t *testing.T, s *caseStack) {
		adult, teen, conv := s.riskPair("friend_zed", "teen_ada")
		teenSees, adultSees := s.notices(teen), s.notices(adult)
		s.send(adult, conv, "hi (TEST)")
		s.send(teen, conv, "please delete the pics, i sent the money")
		if got := teenSees.next(5 * time.Second); got != "sextortion_emergency" {
			t.Errorf("the teen was shown %q, want sextortion_emergency", got)
		}
		if got := adultSees.next(500 * time.Millisecond); got != "" {
			t.Errorf("the other member was shown %q", got)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		cs := s.cases(t)
		if len(cs) != 1 || cs[0].Priority != 1 || cs[0].Category != "sextortion" || cs[0].SenderID != s.id(adult) || cs[0].MinorSender {
			t.Fatalf("cases = %+v", cs)
		}
		if got := adultSees.next(300 * time.Millisecond); got != "" {
			t.Errorf("the other member was shown %q once the case opened", got)
		}
	})
}

// TestRiskTeacherAsksForTripPhotosWithAParent: a teacher in a group with a
// pupil and the pupil's parent asks for a photo of the pupil for the trip
// display. Alone with the pupil that request would alert; with a parent in
// the chat it is nothing to alert on.
func TestRiskTeacherAsksForTripPhotosWithAParent(t *testing.T) {
	eachRiskCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		parent := s.user("parent_jo", 44, "Bedford")
		teacher := s.user("teacher_al", 38, "Bedford")
		pupil := s.user("pupil_em", 14, "Bedford")
		s.connect(pupil, s.h("parent_jo"), parent)
		s.connect(teacher, s.h("parent_jo"), parent)
		s.connect(pupil, s.h("teacher_al"), teacher)
		time.Sleep(10 * time.Millisecond)
		g, err := parent.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teacher_al"), s.h("pupil_em")}, Title: "Museum trip"})
		if err != nil {
			t.Fatal(err)
		}
		seen := s.notices(pupil)
		s.send(teacher, g.ID, "hello both, the museum trip is on friday (TEST)")
		s.send(teacher, g.ID, "could you send me a photo of you at the museum for the trip display")
		s.send(parent, g.ID, "will do, thanks")
		if got := seen.next(time.Second); got != "" {
			t.Errorf("the pupil was shown %q", got)
		}
		if n := s.process(t); n != 0 {
			t.Errorf("processed %d detections, want none", n)
		}
		if cs := s.cases(t); len(cs) != 0 {
			t.Errorf("cases = %+v", cs)
		}
		// The same words to the pupil alone alert.
		alone, err := teacher.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("pupil_em")}})
		if err != nil {
			t.Fatal(err)
		}
		s.send(teacher, alone.ID, "could you send me a photo of you at the museum for the trip display")
		if got := seen.next(5 * time.Second); got != "risk_warning" {
			t.Errorf("alone with the teacher, the pupil was shown %q, want risk_warning", got)
		}
	})
}

// TestRiskThreatSplitOverMessages: a contact sends a threat one word a
// message. The words are joined across the messages, whose state the store
// keeps between them: the teen is shown the sextortion warning and one
// sextortion case is opened.
func TestRiskThreatSplitOverMessages(t *testing.T) {
	eachRiskCase(t, func(t *testing.T, s *caseStack) {
		adult, teen, conv := s.riskPair("gamer_rex", "teen_flo")
		seen := s.notices(teen)
		s.send(adult, conv, "hey (TEST)")
		s.send(teen, conv, "hi")
		for _, w := range []string{"send", "more", "or", "everyone", "sees"} {
			s.send(adult, conv, w)
		}
		if got := seen.next(5 * time.Second); got != "sextortion_warning" {
			t.Errorf("the teen was shown %q, want sextortion_warning", got)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		if cs := s.cases(t); len(cs) != 1 || cs[0].Category != "sextortion" || cs[0].SenderID != s.id(adult) {
			t.Errorf("cases = %+v", cs)
		}
	})
}

// TestRiskFamilyTalkStaysQuiet: an aunt's invitation to the family group,
// her joke about baby photos, and the teen asking her to delete a party
// photo alert on nothing.
func TestRiskFamilyTalkStaysQuiet(t *testing.T) {
	eachRiskCase(t, func(t *testing.T, s *caseStack) {
		aunt, teen, conv := s.riskPair("auntie_sue", "teen_jay")
		seen := s.notices(teen)
		s.send(aunt, conv, "hiya love (TEST)")
		s.send(aunt, conv, "download whatsapp so you can join the family chat, nan is on it")
		s.send(aunt, conv, "and pay me back £5 or I'll show your baby photos")
		s.send(teen, conv, "haha ok. can you delete that pic of me from the party, I look awful")
		s.send(aunt, conv, "if your mum asks just say youre at ours on saturday, she knows")
		if got := seen.next(time.Second); got != "" {
			t.Errorf("the teen was shown %q", got)
		}
		if n := s.process(t); n != 0 {
			t.Errorf("processed %d detections, want none", n)
		}
		if cs := s.cases(t); len(cs) != 0 {
			t.Errorf("cases = %+v", cs)
		}
	})
}
