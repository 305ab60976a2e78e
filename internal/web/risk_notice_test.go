package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// groomingLines are an adult's lines to a teen: flattery of the teen's
// maturity, which fires the grooming rules at the first line, then a request
// for a picture and secrecy, which come within the same day's warning.
var groomingLines = []string{
	"gg last night! you're really mature for your age (TEST)",
	"send me a pic of you, I'll send you vbucks",
	"don't tell your parents about our chats, it's our secret",
}

// noticesIn returns, by message text, the code of the notice each message
// of a conversation carries in c's history.
func noticesIn(t *testing.T, c *client.Client, conv int64) map[string]string {
	t.Helper()
	page, err := c.History(t.Context(), conv, client.HistoryQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range page.Messages {
		if m.Notice != nil {
			out[m.Text] = m.Notice.Code
		}
	}
	return out
}

// flagged returns the code of the safety notice each of c's conversations is
// flagged with, by conversation ID.
func flagged(t *testing.T, c *client.Client) map[int64]string {
	t.Helper()
	cs, err := c.Conversations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, cv := range cs {
		if cv.SafetyNotice != nil {
			out[cv.ID] = cv.SafetyNotice.Code
		}
	}
	return out
}

// TestRiskWarningKeptForAnOfflineTeen: a teen is not online when an adult's
// grooming lines come. Logging in later, the teen's history carries the risk
// warning, with Childline's number, under the message that raised it, and
// the chat is flagged; the adult's history and chat list show nothing of it.
// A second adult who writes the same lines to the teen in another chat the
// same day raises a second warning there.
func TestRiskWarningKeptForAnOfflineTeen(t *testing.T) {
	eachRiskCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		adult, teen, conv := s.riskPair("gamer_vic", "teen_leo")
		for _, line := range groomingLines {
			s.send(adult, conv, line)
		}

		// A fresh login, with no live events: the history holds the warning.
		fresh := client.New(s.url)
		if _, err := fresh.Login(ctx, s.h("teen_leo"), pw); err != nil {
			t.Fatal(err)
		}
		got := noticesIn(t, fresh, conv)
		if len(got) != 1 || got[groomingLines[0]] != "risk_warning" {
			t.Fatalf("the teen's history carries notices %v; want risk_warning under %q alone", got, groomingLines[0])
		}
		page, err := fresh.History(ctx, conv, client.HistoryQuery{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.Notice != nil && !hasPhone(m.Notice, "08001111") {
				t.Errorf("the warning has no Childline number: %+v", m.Notice)
			}
		}
		if f := flagged(t, fresh); f[conv] != "risk_warning" {
			t.Errorf("the teen's chats are flagged %v; want chat %d with risk_warning", f, conv)
		}
		if cv, err := fresh.Conversation(ctx, conv); err != nil || cv.SafetyNotice == nil || cv.SafetyNotice.Code != "risk_warning" {
			t.Errorf("the teen's chat = %+v, %v; want it flagged with risk_warning", cv, err)
		}

		// The sender sees nothing of it.
		if got := noticesIn(t, adult, conv); len(got) != 0 {
			t.Errorf("the sender's history carries notices %v", got)
		}
		if f := flagged(t, adult); len(f) != 0 {
			t.Errorf("the sender's chats are flagged %v", f)
		}
		if cv, err := adult.Conversation(ctx, conv); err != nil || cv.SafetyNotice != nil {
			t.Errorf("the sender's chat = %+v, %v; want no safety notice", cv, err)
		}

		// A second adult, another chat, the same day, while the teen is
		// online: a second warning, live and kept.
		seen := s.notices(fresh)
		tutor := s.user("tutor_ed", 41, "Cambridge")
		s.connect(teen, s.h("tutor_ed"), tutor)
		time.Sleep(10 * time.Millisecond)
		c2, err := tutor.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("teen_leo")}})
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range groomingLines {
			s.send(tutor, c2.ID, line)
		}
		if code := seen.next(5 * time.Second); code != "risk_warning" {
			t.Errorf("the online teen was shown %q about the second chat, want risk_warning", code)
		}
		if got := noticesIn(t, fresh, c2.ID); len(got) != 1 || got[groomingLines[0]] != "risk_warning" {
			t.Errorf("the second chat's history carries %v; want risk_warning under %q", got, groomingLines[0])
		}
		if f := flagged(t, fresh); f[conv] != "risk_warning" || f[c2.ID] != "risk_warning" {
			t.Errorf("the teen's chats are flagged %v; want both", f)
		}
		if got := noticesIn(t, tutor, c2.ID); len(got) != 0 {
			t.Errorf("the second sender's history carries notices %v", got)
		}
		if n := s.process(t); n < 2 {
			t.Errorf("processed %d detections, want one or more from each chat", n)
		}
	})
}

func hasPhone(n *client.Notice, phone string) bool {
	for _, l := range n.Links {
		if strings.ReplaceAll(l.Phone, " ", "") == phone {
			return true
		}
	}
	return false
}
