package web_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
)

// newMember signs up and logs in an account under nickname nick, and returns
// its client with the handle sign-up gave it (which may differ from nick).
func (s *stack) newMember(nick string, age int) (*client.Client, string) {
	s.t.Helper()
	u := s.signUp(nick, age)
	return u.Client, u.handle
}

// streamWait bounds how long a test waits for a live event that must come;
// what must not come is shown by a later event that comes first.
const streamWait = 10 * time.Second

// nextEvent returns the next event of a stream, failing the test if the
// stream ends or nothing comes.
func nextEvent(t *testing.T, events <-chan client.Event, what string) client.Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("%s: the stream ended", what)
		}
		return ev
	case <-time.After(streamWait):
		t.Fatalf("%s: nothing came", what)
	}
	return client.Event{}
}

// eventsUntil reads a stream up to and including the first event that
// matches stop, and returns what it read.
func eventsUntil(t *testing.T, events <-chan client.Event, what string, stop func(client.Event) bool) []client.Event {
	t.Helper()
	var out []client.Event
	for {
		ev := nextEvent(t, events, what)
		out = append(out, ev)
		if stop(ev) {
			return out
		}
	}
}

// streamEnd reads a stream until it ends, and returns what it read.
func streamEnd(t *testing.T, events <-chan client.Event, what string) []client.Event {
	t.Helper()
	var out []client.Event
	deadline := time.After(streamWait)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-deadline:
			t.Fatalf("%s: the stream is still open after %s; it delivered %s", what, streamWait, types(out))
		}
	}
}

func types(evs []client.Event) string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return "[" + strings.Join(out, " ") + "]"
}

func handles(c *client.Conversation) []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, m.Handle+":"+m.State)
	}
	return out
}

// TestFormerMemberLearnsNothingOfLaterMembers replays the finding that a
// member who left a group learned who joined it later: live
// conversation.member events went to every member ever, with the full
// member list, and a former member's report of the conversation answered
// with the block_handle of a young person who joined after they left.
func TestFormerMemberLearnsNothingOfLaterMembers(t *testing.T) {
	eachCase(t, func(t *testing.T, cs *caseStack) {
		s := cs.stack
		ctx := t.Context()
		owner, ownerHandle := s.newMember("grp_owner", 40)
		leaver, leaverHandle := s.newMember("grp_leaver", 38)
		teen, teenHandle := s.newMember("grp_teen", 15)
		conv, err := owner.CreateConversation(ctx, client.ConversationRequest{Members: []string{leaverHandle}, Title: "book club"})
		if err != nil {
			t.Fatal(err)
		}
		before, err := owner.SendText(ctx, conv.ID, "see you thursday (synthetic)")
		if err != nil {
			t.Fatal(err)
		}

		events, err := leaver.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaver.Leave(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		// One event says the leaver is no longer a member, naming no one
		// else.
		ev := nextEvent(t, events, "the leaver's own membership change")
		if ev.Type != "conversation.member" || ev.Conversation == nil || ev.Conversation.ID != conv.ID {
			t.Fatalf("first event after leaving = %+v", ev)
		}
		if got := handles(ev.Conversation); !slices.Equal(got, []string{leaverHandle + ":left"}) {
			t.Errorf("the leaver is told of members %v, want only themselves as left", got)
		}

		// Later, a young person joins and writes.
		s.connect(teen, ownerHandle, owner)
		if _, err := owner.AddMember(ctx, conv.ID, teenHandle); err != nil {
			t.Fatal(err)
		}
		if _, err := teen.AcceptInvitation(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		after, err := teen.SendText(ctx, conv.ID, "hi everyone (synthetic)")
		if err != nil {
			t.Fatal(err)
		}

		// A fresh stream of the leaver hears nothing of it: the first event
		// it gets is a message sent to it after all that.
		events, err = leaver.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := owner.SendDirect(ctx, leaverHandle, "still on for thursday? (synthetic)"); err != nil {
			t.Fatal(err)
		}
		got := eventsUntil(t, events, "the direct message", func(ev client.Event) bool { return ev.Type == "message.created" })
		for _, ev := range got {
			if b, _ := json.Marshal(ev); strings.Contains(string(b), teenHandle) || ev.Conversation != nil && ev.Conversation.ID == conv.ID {
				t.Errorf("the former member was told about the group after leaving: %s", b)
			}
		}

		// History stays closed to the former member.
		if _, err := leaver.History(ctx, conv.ID, client.HistoryQuery{}); httpStatus(err) != 404 {
			t.Errorf("former member's history: %v", err)
		}

		// A report of the conversation names the last person who wrote
		// while the leaver was there, and says nothing of a young person.
		rec, err := leaver.Report(ctx, client.ReportRequest{ConversationID: conv.ID, Reason: "something_else"})
		if err != nil {
			t.Fatal(err)
		}
		if rec.BlockHandle != ownerHandle {
			t.Errorf("report of the conversation: block_handle %q, want %q (who wrote before the leaver left)", rec.BlockHandle, ownerHandle)
		}
		if len(rec.Notices) != 0 {
			t.Errorf("report of the conversation: notices %+v tell a former member about who is in it now", rec.Notices)
		}
		// A message sent after they left is, to them, no message at all.
		if _, err := leaver.Report(ctx, client.ReportRequest{MessageID: after.ID, Reason: "something_else"}); httpStatus(err) != 404 {
			t.Errorf("report of a message sent after leaving: %v", err)
		}
		// What they saw, they can still report.
		rec, err = leaver.Report(ctx, client.ReportRequest{MessageID: before.ID, Reason: "mean_or_threatening"})
		if err != nil {
			t.Fatalf("report of a message seen before leaving: %v", err)
		}
		if rec.BlockHandle != ownerHandle {
			t.Errorf("report of a message seen: block_handle %q, want %q", rec.BlockHandle, ownerHandle)
		}
	})
}

// TestRemovedMemberLearnsNothingOfLaterMembers is the same finding for a
// member the group's creator removed.
func TestRemovedMemberLearnsNothingOfLaterMembers(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		owner, ownerHandle := s.newMember("rm_owner", 40)
		removed, removedHandle := s.newMember("rm_removed", 38)
		teen, teenHandle := s.newMember("rm_teen", 15)
		conv, err := owner.CreateConversation(ctx, client.ConversationRequest{Members: []string{removedHandle}, Title: "allotment"})
		if err != nil {
			t.Fatal(err)
		}
		events, err := removed.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := owner.RemoveMember(ctx, conv.ID, removedHandle); err != nil {
			t.Fatal(err)
		}
		ev := nextEvent(t, events, "the removal")
		if ev.Type != "conversation.member" || ev.Conversation == nil || !slices.Equal(handles(ev.Conversation), []string{removedHandle + ":removed"}) {
			t.Fatalf("the removed member is told %+v, want only their own removal", ev.Conversation)
		}
		s.connect(teen, ownerHandle, owner)
		if _, err := owner.AddMember(ctx, conv.ID, teenHandle); err != nil {
			t.Fatal(err)
		}
		if _, err := teen.AcceptInvitation(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		events, err = removed.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := owner.SendDirect(ctx, removedHandle, "sorry about that (synthetic)"); err != nil {
			t.Fatal(err)
		}
		for _, ev := range eventsUntil(t, events, "the direct message", func(ev client.Event) bool { return ev.Type == "message.created" }) {
			if b, _ := json.Marshal(ev); strings.Contains(string(b), teenHandle) {
				t.Errorf("the removed member was told about a later member: %s", b)
			}
		}
	})
}

// TestBlockedAdultLeavesSharedGroup replays the finding that an adult whom
// a young person blocked stayed in their group, kept reading the young
// person's messages and could still post, breaking the rule that every
// adult in a group with a young person is that young person's contact. The
// blocked adult is now removed (an adult who blocks a young person leaves);
// the other members see an ordinary membership change that says nothing of
// why.
func TestBlockedAdultLeavesSharedGroup(t *testing.T) {
	type setup struct {
		teen, parent, other    *client.Client
		teenH, parentH, otherH string
		conv                   *client.Conversation
		parentEvents           <-chan client.Event
		teenContactWithOther   int64
	}
	tests := []struct {
		name  string
		block func(t *testing.T, u *setup)
		goes  func(u *setup) (*client.Client, string)
		state string
	}{
		{"a young person blocks with POST /blocks", func(t *testing.T, u *setup) {
			if _, err := u.teen.Block(t.Context(), u.otherH); err != nil {
				t.Fatal(err)
			}
		}, func(u *setup) (*client.Client, string) { return u.other, u.otherH }, "removed"},
		{"a young person blocks a contact", func(t *testing.T, u *setup) {
			if _, err := u.teen.BlockContact(t.Context(), u.teenContactWithOther); err != nil {
				t.Fatal(err)
			}
		}, func(u *setup) (*client.Client, string) { return u.other, u.otherH }, "removed"},
		{"an adult blocks a young person", func(t *testing.T, u *setup) {
			if _, err := u.other.Block(t.Context(), u.teenH); err != nil {
				t.Fatal(err)
			}
		}, func(u *setup) (*client.Client, string) { return u.other, u.otherH }, "left"},
	}
	each(t, func(t *testing.T, s *stack) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := t.Context()
				u := &setup{}
				n := string(rune('a' + i))
				u.teen, u.teenH = s.newMember("blk_teen"+n, 15)
				u.parent, u.parentH = s.newMember("blk_parent"+n, 45)
				u.other, u.otherH = s.newMember("blk_other"+n, 30)
				s.connect(u.teen, u.parentH, u.parent)
				req, err := u.teen.RequestContact(ctx, u.otherH)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := u.other.AcceptContact(ctx, req.ID); err != nil {
					t.Fatal(err)
				}
				u.teenContactWithOther = req.ID
				if u.conv, err = u.parent.CreateConversation(ctx, client.ConversationRequest{Members: []string{u.teenH, u.otherH}, Title: "football club"}); err != nil {
					t.Fatal(err)
				}
				if _, err := u.teen.AcceptInvitation(ctx, u.conv.ID); err != nil {
					t.Fatal(err)
				}
				if u.parentEvents, err = u.parent.Events(ctx); err != nil {
					t.Fatal(err)
				}
				goer, goerH := tt.goes(u)
				goerEvents, err := goer.Events(ctx)
				if err != nil {
					t.Fatal(err)
				}

				tt.block(t, u)

				// The one who goes can neither read nor post, and is told as
				// for any removal.
				if _, err := goer.History(ctx, u.conv.ID, client.HistoryQuery{}); httpStatus(err) != 404 {
					t.Errorf("the adult who went reads the group: %v", err)
				}
				if _, err := goer.SendText(ctx, u.conv.ID, "still here (synthetic)"); httpStatus(err) != 404 {
					t.Errorf("the adult who went posts in the group: %v", err)
				}
				if _, err := goer.Conversation(ctx, u.conv.ID); httpStatus(err) != 404 {
					t.Errorf("the adult who went sees the group: %v", err)
				}

				ev := nextEvent(t, goerEvents, "the goer's membership event")
				if ev.Type != "conversation.member" || ev.Conversation == nil || !slices.Equal(handles(ev.Conversation), []string{goerH + ":" + tt.state}) {
					t.Errorf("the adult who went is told %s %+v", ev.Type, ev.Conversation)
				}

				// The other members see an ordinary membership change.
				ev = nextEvent(t, u.parentEvents, "the parent's membership event")
				if ev.Type != "conversation.member" || ev.Conversation == nil || ev.Conversation.ID != u.conv.ID {
					t.Fatalf("the parent got %+v", ev)
				}
				want := []string{u.parentH + ":joined", u.teenH + ":joined", goerH + ":" + tt.state}
				if got := handles(ev.Conversation); !sameSet(got, want) {
					t.Errorf("members after the block = %v, want %v", got, want)
				}
				if b, _ := json.Marshal(ev); strings.Contains(strings.ToLower(string(b)), "block") || ev.Notice != nil {
					t.Errorf("the other members are told why: %s", b)
				}

				// The young person keeps the group.
				if _, err := u.teen.SendText(ctx, u.conv.ID, "thanks coach (synthetic)"); err != nil {
					t.Errorf("the young person lost the group: %v", err)
				}
				ev = nextEvent(t, u.parentEvents, "the young person's message")
				if ev.Type != "message.created" {
					t.Errorf("the parent got %+v, want the young person's message", ev)
				}
				// And the adult cannot be put back.
				if _, err := u.parent.AddMember(ctx, u.conv.ID, goerH); err == nil {
					t.Errorf("the adult who went was added back to a group with the young person")
				}
			})
		}
	})
}

// httpStatus is the status of an API error, 0 for an answer that was no
// error.
func httpStatus(err error) int {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
