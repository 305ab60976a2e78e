package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
)

var queueRow = regexp.MustCompile(`(?s)<tr data-case="(\d+)">(.*?)</tr>`)

// listed returns the cases a queue page lists, with each row's HTML.
func listed(body string) (ids []string, rows map[string]string) {
	rows = map[string]string{}
	for _, m := range queueRow.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
		rows[m[1]] = html.UnescapeString(m[2])
	}
	return ids, rows
}

// TestQueueYoungPerson checks the queue says who the young person is:
// their age band, police force area and whether the sender is still in
// contact with them.
func TestQueueYoungPerson(t *testing.T) {
	s := newStack(t)
	known, reported, minor, _ := s.story()
	groom := s.grooming()
	alice := s.as("alice", safeguard.RoleModerator)
	_, rows := listed(alice.get("/console/").body)
	want := map[int64][]string{
		groom:    {"@" + s.h("tia_13"), "(teen, 13 to 17)", "Police force area: Bedfordshire", "Still in contact"},
		known:    {"@" + s.h("tess_15"), "(teen, 13 to 17)", "Still in contact"},
		minor:    {"The sender", "(teen, 13 to 17)"},
		reported: {"None involved"},
	}
	for id, ws := range want {
		row := rows[fmt.Sprint(id)]
		for _, w := range ws {
			if !strings.Contains(row, w) {
				t.Errorf("case %d's row lacks %q: %s", id, w, row)
			}
		}
	}
	if strings.Contains(rows[fmt.Sprint(groom)], "Police force area: not known") {
		t.Errorf("the young person's police force area is not known: %s", rows[fmt.Sprint(groom)])
	}
	// Once the young person blocks the sender, they are no longer in
	// contact.
	if _, err := s.users["tia_13"].Block(context.Background(), s.h("gary_38")); err != nil {
		t.Fatal(err)
	}
	_, rows = listed(alice.get("/console/").body)
	if row := rows[fmt.Sprint(groom)]; !strings.Contains(row, "No longer in contact") {
		t.Errorf("after a block the row reads %s", row)
	}
}

// TestQueueSearch searches the queue by case ID, handle and category, on
// the server.
func TestQueueSearch(t *testing.T) {
	s := newStack(t)
	known, reported, minor, _ := s.story()
	groom := s.grooming()
	alice := s.as("alice", safeguard.RoleModerator)
	all, _ := listed(alice.get("/console/").body)
	if len(all) != 4 {
		t.Fatalf("the queue lists %v", all)
	}
	tests := []struct {
		q    string
		want []int64
	}{
		{fmt.Sprint(known), []int64{known}},
		{fmt.Sprintf("#%d", reported), []int64{reported}},
		{fmt.Sprintf("case %d", minor), []int64{minor}},
		{"@" + s.h("tia_13"), []int64{groom}},   // the young person's handle
		{s.h("mallory_35")[:6], []int64{known}}, // part of the sender's
		{"grooming", []int64{groom}},
		{"Grooming", []int64{groom}},
		{"csam known", []int64{known, minor}},
		{"nobody-at-all", nil},
		{"", []int64{known, minor, groom, reported}},
	}
	for _, tc := range tests {
		p := alice.get("/console/?" + url.Values{"q": {tc.q}}.Encode())
		got, _ := listed(p.body)
		var want []string
		for _, id := range tc.want {
			want = append(want, fmt.Sprint(id))
		}
		slices.Sort(got)
		slices.Sort(want)
		if p.code != http.StatusOK || !slices.Equal(got, want) {
			t.Errorf("search %q: %d, cases %v, want %v", tc.q, p.code, got, want)
		}
		if tc.q != "" && !strings.Contains(html.UnescapeString(p.body), `value="`+tc.q+`"`) {
			t.Errorf("search %q: the form does not keep it", tc.q)
		}
	}
	if p := alice.get("/console/?q=" + url.QueryEscape("a\x00b")); p.code != http.StatusBadRequest || !strings.Contains(p.body, "role=\"alert\"") {
		t.Errorf("a search with a control character: %d", p.code)
	}
}

// TestBulkNoViolation decides several cases at once: each is decided and
// recorded on its own; those that need senior review or are not open are
// listed, not skipped in silence; a forged form token changes nothing.
func TestBulkNoViolation(t *testing.T) {
	s := newStack(t)
	_, reported, minor, _ := s.story()
	groom := s.grooming()
	alice := s.as("alice", safeguard.RoleModerator)
	ids := func(ids ...int64) url.Values {
		v := url.Values{"reason": {"Banter between adults, checked (TEST)"}}
		for _, id := range ids {
			v.Add("case", fmt.Sprint(id))
		}
		return v
	}

	forged := ids(reported)
	forged.Set("csrf", "forged")
	if p := alice.post("/console/no-violation", forged); p.code != http.StatusForbidden || caseOf(t, s, reported).Status != safeguard.CaseOpen {
		t.Fatalf("a forged token: %d, case %s", p.code, caseOf(t, s, reported).Status)
	}
	if p := alice.post("/console/no-violation", url.Values{"case": {fmt.Sprint(reported)}}); p.code != http.StatusBadRequest || caseOf(t, s, reported).Status != safeguard.CaseOpen {
		t.Fatalf("no reason: %d", p.code)
	}
	if p := alice.post("/console/no-violation", ids()); p.code != http.StatusBadRequest {
		t.Fatalf("nothing selected: %d", p.code)
	}

	p := alice.post("/console/no-violation", ids(reported))
	if p.code != http.StatusOK || caseOf(t, s, reported).Status != safeguard.CaseClosed {
		t.Fatalf("the first bulk decision: %d, case %s", p.code, caseOf(t, s, reported).Status)
	}
	p = alice.post("/console/no-violation", ids(reported, minor, groom, 999999))
	body := html.UnescapeString(p.body)
	if p.code != http.StatusOK {
		t.Fatalf("the second bulk decision: %d %s", p.code, body)
	}
	for _, w := range []string{
		"No violation: 1 case decided",
		fmt.Sprintf("Case %d</a>: It is not open (closed)", reported),
		fmt.Sprintf("Case %d</a>: It needs senior review", minor),
		"Case 999999</a>: There is no such case.",
		"Not decided (3)",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("the result lacks %q", w)
		}
	}
	if c := caseOf(t, s, groom); c.Status != safeguard.CaseClosed || c.Decision != safeguard.NoViolation || c.DecidedBy != "alice" {
		t.Errorf("the grooming case: %s %s by %q", c.Status, c.Decision, c.DecidedBy)
	}
	if c := caseOf(t, s, minor); c.Status != safeguard.CaseOpen {
		t.Errorf("the young sender's case: %s", c.Status)
	}
	// Each decided case has its own decision in its own timeline, once.
	for _, id := range []int64{reported, groom} {
		v, err := s.cs.Case(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range v.Timeline {
			if e.Action == "decided" {
				n++
				if e.Actor != "alice" || !strings.Contains(e.Reason, "Banter between adults, checked (TEST)") {
					t.Errorf("case %d: %+v", id, e)
				}
			}
		}
		if n != 1 {
			t.Errorf("case %d was decided %d times", id, n)
		}
	}
}
