package web_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
)

// TestKnownImageDoesNotTipOffSender replays the finding that an adult who
// sent a known image to a teen contact was suspended within seconds — the
// stream said session.ended, then 401, then "suspended" on /me — which told
// them that one image had matched. The sender is now held silently: after
// the match, nothing they can observe changes (no stream event, /me as it
// was, every message answered "sent"), yet what they send to anyone is held,
// and a group invitation to a young contact gets the answer for a handle
// nobody has.
func TestKnownImageDoesNotTipOffSender(t *testing.T) {
	eachCase(t, func(t *testing.T, cs *caseStack) {
		s := cs.stack
		ctx := t.Context()
		teen, teenHandle := s.newMember("tip_teen", 15)
		adult, adultHandle := s.newMember("tip_adult", 35)
		friend, friendHandle := s.newMember("tip_friend", 40)
		s.connect(teen, adultHandle, adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}})
		if err != nil {
			t.Fatal(err)
		}
		before, err := adult.SendDirect(ctx, friendHandle, "see you at five (synthetic)")
		if err != nil {
			t.Fatal(err)
		}
		meBefore, err := adult.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events := stream(t, adult)
		if _, err := adult.SendImage(ctx, conv.ID, "beach.png", "image/png", lawreporttest.Image(7), ""); err != nil {
			t.Fatal(err)
		}
		nextMessage(t, events, "the sender's own image, shown as sent")
		if n := cs.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}

		// Nothing the sender can observe changed.
		me, err := adult.Me(ctx)
		if err != nil || !cmp.Equal(me, meBefore) {
			t.Fatalf("the sender's own view after the match: %+v %v, want %+v", me, err, meBefore)
		}
		toTeen, err := adult.SendText(ctx, conv.ID, "did you get it? (synthetic)")
		if err != nil || toTeen.Status != "sent" {
			t.Fatalf("the sender's next message to the teen: %+v %v", toTeen, err)
		}
		toFriend, err := adult.SendText(ctx, before.ConversationID, "running late (synthetic)")
		if err != nil || toFriend.Status != "sent" {
			t.Fatalf("the sender's next message to an adult: %+v %v", toFriend, err)
		}
		for _, ev := range eventsUntil(t, events, "the sender's stream after the match", func(ev client.Event) bool {
			return ev.Type == "message.created"
		}) {
			if ev.Type != "message.created" {
				t.Errorf("the sender's stream told them %s after the match", ev.Type)
			}
		}
		nextMessage(t, events, "the sender's own second message, shown as sent")

		// What they sent after the match reaches nobody.
		delivered := func(c *client.Client, convID, id int64) bool {
			t.Helper()
			page, err := c.History(ctx, convID, client.HistoryQuery{})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page.Messages {
				if m.ID == id {
					return true
				}
			}
			return false
		}
		if delivered(teen, conv.ID, toTeen.ID) {
			t.Error("a held sender's message reached the teen")
		}
		if !delivered(friend, before.ConversationID, before.ID) || delivered(friend, before.ConversationID, toFriend.ID) {
			t.Error("a held sender's message reached an adult, or the one before the match did not")
		}

		// A group invitation to the young contact is refused as for a
		// handle nobody has.
		_, err = adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}, Title: "club"})
		_, errUnknown := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{"nobody.42"}, Title: "club"})
		if got, want := apiErr(t, err), apiErr(t, errUnknown); got.Status != want.Status || got.Code != want.Code {
			t.Errorf("group with the young contact: %d %s; with a handle nobody has: %d %s", got.Status, got.Code, want.Status, want.Code)
		}
	})
}

// TestReadMarkerDoesNotShowHeldMessage replays the finding that read
// markers showed a sender which message was held: the teen could mark only
// what it could see, so the sender saw the teen's marker stop just before
// their held message until a later one was delivered. A marker now covers
// the held messages its reader will never see, so to the sender a held
// message and an innocent one look the same once the teen reads.
func TestReadMarkerDoesNotShowHeldMessage(t *testing.T) {
	eachCase(t, func(t *testing.T, cs *caseStack) {
		s := cs.stack
		ctx := t.Context()
		teen, teenHandle := s.newMember("rm_teen", 15)
		adult, adultHandle := s.newMember("rm_adult", 35)
		s.connect(teen, adultHandle, adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}})
		if err != nil {
			t.Fatal(err)
		}
		// teenReads marks the newest message the teen can see as read and
		// returns the teen's marker as the sender sees it.
		teenReads := func() int64 {
			t.Helper()
			page, err := teen.History(ctx, conv.ID, client.HistoryQuery{})
			if err != nil || len(page.Messages) == 0 {
				t.Fatalf("the teen's history: %+v %v", page, err)
			}
			newest := page.Messages[0].ID
			for _, m := range page.Messages {
				newest = max(newest, m.ID)
			}
			if err := teen.MarkRead(ctx, conv.ID, newest); err != nil {
				t.Fatal(err)
			}
			markers, err := adult.ReadMarkers(ctx, conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range markers {
				if r.Handle == teenHandle {
					return r.MessageID
				}
			}
			t.Fatalf("no marker of the teen in %+v", markers)
			return 0
		}
		sends := []struct {
			name string
			send func() (*client.Message, error)
		}{
			{"innocent", func() (*client.Message, error) { return adult.SendText(ctx, conv.ID, "hello (synthetic)") }},
			{"held", func() (*client.Message, error) {
				return adult.SendImage(ctx, conv.ID, "beach.png", "image/png", lawreporttest.Image(7), "")
			}},
			{"innocent after held", func() (*client.Message, error) { return adult.SendText(ctx, conv.ID, "bye (synthetic)") }},
			{"held again", func() (*client.Message, error) {
				return adult.SendImage(ctx, conv.ID, "beach2.png", "image/png", lawreporttest.Image(7), "")
			}},
		}
		for _, tc := range sends {
			m, err := tc.send()
			if err != nil || m.Status != "sent" {
				t.Fatalf("%s: %+v %v", tc.name, m, err)
			}
			if got := teenReads(); got != m.ID {
				t.Errorf("%s message %d: the sender sees the teen's marker at %d", tc.name, m.ID, got)
			}
		}
	})
}
