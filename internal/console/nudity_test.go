package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
)

// TestNudityCasePage: the case of an adult's image that the nudity
// classifier held toward a teen shows the classifier as its source, the
// five scores against the thresholds, what was done, and the image blurred
// and greyscale until revealed, as for a hash match.
func TestNudityCasePage(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	teen := s.user("nia_14", 14)
	adult := s.user("rob_41", 41)
	s.connect(teen, s.h("rob_41"), adult)
	conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("nia_14")}})
	if err != nil {
		t.Fatal(err)
	}
	s.nude.Answer(nuditytest.Nude)
	if _, err := adult.SendImage(ctx, conv.ID, "p.png", "image/png", nuditytest.PNG(96, 64, 21), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cs.Process(ctx); err != nil {
		t.Fatal(err)
	}
	cs, err := s.cs.Queue(ctx, cases.QueueQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, c := range cs {
		if c.Source == safeguard.NewImage {
			id = c.ID
		}
	}
	if id == 0 {
		t.Fatalf("no new-image case among %+v", cs)
	}
	b := s.as("alice", safeguard.RoleModerator)
	p := b.get(fmt.Sprintf("/console/cases/%d", id))
	for _, want := range []string{"May show nudity (new image)", "Nudity classifier (new image)", "Nudity classifier (test classifier): may show nudity",
		"<td>Porn</td><td>0.91</td><td>≥ 0.5</td>", "<td>Porn + hentai + sexy</td><td>0.97</td><td>≥ 0.9</td>", "by an adult to a young person", "held, never delivered", "Priority 1",
		"An adult sent a young person an image that may show nudity", `data-state="blurred"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "Hash bank matches") {
		t.Error("the case page names a hash match")
	}
}

// TestNudityCasePageAnimated: the case of an animated GIF says which of its
// frames the scores are from.
func TestNudityCasePageAnimated(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	teen := s.user("ana_14", 14)
	adult := s.user("bob_41", 41)
	s.connect(teen, s.h("bob_41"), adult)
	conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ana_14")}})
	if err != nil {
		t.Fatal(err)
	}
	s.nude.AnswerMarked(nuditytest.Nude)
	if _, err := adult.SendImage(ctx, conv.ID, "a.gif", "image/gif", nuditytest.GIF(96, 64, 3, 1, 22), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cs.Process(ctx); err != nil {
		t.Fatal(err)
	}
	cs, err := s.cs.Queue(ctx, cases.QueueQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Source != safeguard.NewImage {
		t.Fatalf("cases = %+v, want one new-image case", cs)
	}
	p := s.as("alice", safeguard.RoleModerator).get(fmt.Sprintf("/console/cases/%d", cs[0].ID))
	if want := "these are the scores of frame 2 of 3, the worst"; !strings.Contains(p.body, want) {
		t.Errorf("the case page lacks %q", want)
	}
}
