package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
)

// TestConversationRevealedOnce reveals a grooming case's conversation: one
// reason opens the flagged messages with ten on each side, each with its
// sender and their age band, recorded as one read covering every item it
// was made of.
func TestConversationRevealedOnce(t *testing.T) {
	s := newStack(t)
	id := s.grooming()
	alice := s.as("alice", safeguard.RoleModerator)
	path := fmt.Sprintf("/console/cases/%d", id)

	p := alice.get(path)
	if p.code != http.StatusOK || !strings.Contains(p.body, "Reveal the conversation") {
		t.Fatalf("the case page: %d %s", p.code, p.body)
	}
	for _, m := range groomingChat {
		if strings.Contains(html.UnescapeString(p.body), m.text+" (synthetic)") {
			t.Fatalf("before the reveal the page shows %q", m.text)
		}
	}
	before := len(reads(t, s, id))

	// A reason is required, and nothing is read without one.
	if p := alice.post(path+"/conversation/reveal", url.Values{"why": {"  "}}); p.code != http.StatusBadRequest || len(reads(t, s, id)) != before {
		t.Fatalf("a reveal without a reason: %d, reads %d", p.code, len(reads(t, s, id)))
	}

	p = alice.post(path+"/conversation/reveal", url.Values{"why": {"Read the conversation before deciding"}})
	if p.code != http.StatusSeeOther || !strings.Contains(p.location, "shown=") {
		t.Fatalf("the reveal: %d %s", p.code, p.location)
	}
	rs := reads(t, s, id)
	if len(rs) != before+1 {
		t.Fatalf("the reveal recorded %d reads, want one: %+v", len(rs)-before, rs[before:])
	}
	r := rs[len(rs)-1]
	if r.Who != "alice" || r.Why != "Read the conversation before deciding" || len(r.Covers) == 0 {
		t.Errorf("the read: %+v", r)
	}
	// It covers every message and context item, and nothing else.
	var want []int64
	for _, e := range evidenceOf(t, s, id) {
		if e.Kind == safeguard.EvidenceItem && (e.ItemKind == "message" || e.ItemKind == "context") {
			want = append(want, e.Seq)
		}
	}
	if got := append([]int64{r.Seq}, r.Covers...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the read covers entries %v, want %v", got, want)
	}

	loc := p.location
	p = alice.get(loc)
	body := html.UnescapeString(p.body)
	flagged := 0
	for i, m := range groomingChat {
		n := 0
		for _, o := range groomingChat {
			if o.text == m.text {
				n++
			}
		}
		shown := strings.Contains(body, m.text+" (synthetic)")
		if n > 1 {
			continue // said more than once
		}
		// The flagged lines are messages 15, 27 and 31: 4 earlier ones are
		// more than ten from any of them, and the vault keeps nothing after
		// the last.
		if shown != (i >= 4 && i <= 30) {
			t.Errorf("message %d %q shown: %v", i+1, m.text, shown)
		}
		if m.rule != "" {
			flagged++
			mark := fmt.Sprintf("Flagged: occurrence %d, message %d", flagged, i+1)
			if !strings.Contains(body, mark) {
				t.Errorf("no %q", mark)
			}
		}
	}
	for _, w := range []string{"4 earlier messages not shown", "@" + s.h("tia_13") + "</span> <span class=\"band\">(teen, 13 to 17", "@" + s.h("gary_38")} {
		if !strings.Contains(body, w) {
			t.Errorf("the thread lacks %q", w)
		}
	}
	if !strings.Contains(body, "The conversation, as one thread (entries ") {
		t.Errorf("the evidence reads do not show the thread's read")
	}
	// The page shown again reads nothing more.
	alice.get(loc)
	if n := len(reads(t, s, id)); n != before+1 {
		t.Errorf("showing the thread again recorded %d more reads", n-before-1)
	}
	// Another moderator's session cannot use the grant.
	bob := s.as("bob", safeguard.RoleModerator)
	if p := bob.get(path + "?" + strings.SplitN(loc, "?", 2)[1]); strings.Contains(html.UnescapeString(p.body), groomingChat[20].text) {
		t.Error("another session sees the revealed thread")
	}
}

// evidenceOf returns a case's evidence log entries.
func evidenceOf(t testing.TB, s *stack, caseID int64) []safeguard.EvidenceEntry {
	t.Helper()
	v, err := s.cs.Case(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	return v.Evidence
}

// TestMessageNumbering checks one numbering, from 1, on the case page: what
// fired, the rules and signals tables, the occurrences and the thread all
// call the first flagged message (index 14 in the detail) message 15.
func TestMessageNumbering(t *testing.T) {
	s := newStack(t)
	id := s.grooming()
	alice := s.as("alice", safeguard.RoleModerator)
	p := alice.post(fmt.Sprintf("/console/cases/%d/conversation/reveal", id), url.Values{"why": {"Check the numbering"}})
	body := html.UnescapeString(alice.get(p.location).body)
	for _, w := range []string{
		"Risk rule secrecy_request at message 15 of the conversation.",
		"<td>secrecy_request</td><td>Grooming</td><td>high</td><td>15</td>",
		"<td>secrecy</td><td>15</td>",
		"Alert at message 15 of the conversation.",
		"Message 15 of conversation",
		"Flagged: occurrence 1, message 15",
		"Risk rule platform_move at message 27 of the conversation.",
		"Message 27 of conversation",
		"Flagged: occurrence 2, message 27",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("the case page lacks %q", w)
		}
	}
	for _, never := range []string{"message 14 ", "message 26 ", "message 14.", "message 26."} {
		if strings.Contains(strings.ToLower(body), never) {
			t.Errorf("the case page counts from 0: %q", never)
		}
	}
}

// TestConversationKeepsImagesBlurred reveals the conversation of a known
// image sent to a teen: the thread shows the words around it, and the
// image only as a link to its blurred stand-in, revealed on its own.
func TestConversationKeepsImagesBlurred(t *testing.T) {
	s := newStack(t)
	known, _, _, _ := s.story()
	alice := s.as("alice", safeguard.RoleModerator)
	p := alice.post(fmt.Sprintf("/console/cases/%d/conversation/reveal", known), url.Values{"why": {"Read the messages around the image"}})
	body := html.UnescapeString(alice.get(p.location).body)
	thread := body[strings.Index(body, `<ol class="conversation"`):]
	thread = thread[:strings.Index(thread, "</ol>")]
	for _, w := range []string{"hi, how was school? (synthetic)", "this is just between us, ok? (synthetic)", "[An image: blurred in the evidence, entry ", "Flagged: occurrence 1"} {
		if !strings.Contains(thread, w) {
			t.Errorf("the thread lacks %q:\n%s", w, thread)
		}
	}
	if strings.Contains(body, "/original?") || !strings.Contains(body, `data-state="blurred"`) {
		t.Error("revealing the conversation revealed the image")
	}
}
