package web_test

import (
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
)

// notShownBefore checks that a message sent before young joined a group is
// nowhere young can read it: not in their history, not in their export,
// not openable as media, not markable as read, not reportable (a report
// would name its sender).
func notShownBefore(t *testing.T, young *client.Client, conv int64, m *client.Message) {
	t.Helper()
	ctx := t.Context()
	for _, got := range history(t, young, conv) {
		if got.ID == m.ID {
			t.Errorf("message %d, sent before joining, is in the history: %+v", m.ID, got)
		}
	}
	if m.MediaID != 0 {
		if _, _, err := young.Media(ctx, m.MediaID); client.ErrorCode(err) != "not_found" {
			t.Errorf("media %d, sent before joining: %v, want not_found", m.MediaID, err)
		}
	}
	if err := young.MarkRead(ctx, conv, m.ID); client.ErrorCode(err) != "not_found" {
		t.Errorf("marking message %d read: %v, want not_found", m.ID, err)
	}
	if _, err := young.Report(ctx, client.ReportRequest{MessageID: m.ID, Reason: "something_else"}); client.ErrorCode(err) != "not_found" {
		t.Errorf("reporting message %d: %v, want not_found", m.ID, err)
	}
	ex, err := young.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ex.Conversations {
		for _, got := range c.Messages {
			if got.ID == m.ID {
				t.Errorf("message %d, sent before joining, is in the export", m.ID)
			}
		}
	}
}

// TestNudityYoungJoinLater: a young person who joins a group sees what is
// sent from then on. An adult's image to a group where the teen is only
// invited (with or without a second adult), an adults-only group's image
// and text before a teen is added, and a teen's confirmed image to an
// invited teen are none of them shown to the teen once they accept; what is
// sent after they joined is classified for them as usual, and the adults
// keep their history.
func TestNudityYoungJoinLater(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		ctx := t.Context()
		adult := s.user("jl_adult", 36, "Cambridge")
		adult2 := s.user("jl_adultb", 37, "Cambridge")
		teen := s.user("jl_teen", 14, "Bedford")
		peer := s.user("jl_peer", 14, "Bedford")
		s.connect(teen, s.h("jl_adult"), adult)
		s.connect(teen, s.h("jl_adultb"), adult2)
		s.connect(adult, s.h("jl_adultb"), adult2)
		s.connect(teen, s.h("jl_peer"), peer)
		s.cl.Answer(nuditytest.Nude)

		// A "group" of an adult and one invited teen.
		solo, err := adult.CreateConversation(ctx, client.ConversationRequest{Title: "hi", Members: []string{s.h("jl_teen")}})
		if err != nil {
			t.Fatal(err)
		}
		m1, err := s.image(adult, solo.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := teen.AcceptInvitation(ctx, solo.ID); err != nil {
			t.Fatal(err)
		}
		notShownBefore(t, teen, solo.ID, m1)

		// Two adults and an invited teen.
		g, err := adult.CreateConversation(ctx, client.ConversationRequest{Title: "g", Members: []string{s.h("jl_adultb"), s.h("jl_teen")}})
		if err != nil {
			t.Fatal(err)
		}
		m2, err := s.image(adult, g.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := teen.AcceptInvitation(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		notShownBefore(t, teen, g.ID, m2)
		if ms := history(t, adult2, g.ID); len(ms) == 0 || ms[len(ms)-1].ID != m2.ID {
			t.Errorf("the other adult's history lost the image: %+v", ms)
		}
		// From joining on, an adult's image is classified for the teen.
		after, err := s.image(adult, g.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		checkFinding(t, s.detections(after.ID), nudity.AdultToMinor, nudity.ActHold)
		for _, got := range history(t, teen, g.ID) {
			if got.ID == after.ID {
				t.Errorf("the held image reached the teen: %+v", got)
			}
		}
		s.cl.Answer(nuditytest.Neutral)
		text, err := adult.SendText(ctx, g.ID, "see you at practice")
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, teen, g.ID); len(ms) == 0 || ms[len(ms)-1].ID != text.ID {
			t.Errorf("a message sent after the teen joined is not in their history: %+v", ms)
		}

		// An adults-only group; the teen is added afterwards.
		s.cl.Answer(nuditytest.Nude)
		g2, err := adult.CreateConversation(ctx, client.ConversationRequest{Title: "g2", Members: []string{s.h("jl_adultb")}})
		if err != nil {
			t.Fatal(err)
		}
		m3, err := s.image(adult, g2.ID, 4)
		if err != nil {
			t.Fatal(err)
		}
		t3, err := adult2.SendText(ctx, g2.ID, "grown-up talk")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adult.AddMember(ctx, g2.ID, s.h("jl_teen")); err != nil {
			t.Fatal(err)
		}
		if _, err := teen.AcceptInvitation(ctx, g2.ID); err != nil {
			t.Fatal(err)
		}
		notShownBefore(t, teen, g2.ID, m3)
		notShownBefore(t, teen, g2.ID, t3)

		// A teen's confirmed image to an invited teen.
		g3, err := teen.CreateConversation(ctx, client.ConversationRequest{Title: "g3", Members: []string{s.h("jl_peer")}})
		if err != nil {
			t.Fatal(err)
		}
		m4, err := teen.SendImageConfirmed(ctx, g3.ID, "p.png", "image/png", nuditytest.PNG(64, 48, 5), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := peer.AcceptInvitation(ctx, g3.ID); err != nil {
			t.Fatal(err)
		}
		notShownBefore(t, peer, g3.ID, m4)
		if ms := history(t, teen, g3.ID); len(ms) == 0 || ms[len(ms)-1].ID != m4.ID {
			t.Errorf("the sender's own image left their history: %+v", ms)
		}
	})
}
