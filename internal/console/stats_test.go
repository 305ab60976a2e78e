package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
)

// TestStatsPage: the story's three cases, all of people in Bedford, on the
// statistics page — the published form with its chart for any moderator,
// the unsuppressed figures for an administrator only, marked internal.
func TestStatsPage(t *testing.T) {
	s := newStack(t)
	s.story()
	quarter := platform.Quarter(time.Now()).Label
	mod := s.as("alice", safeguard.RoleModerator)
	admin := s.as("ada", safeguard.RoleAdmin)

	p := mod.get("/console/stats")
	if p.code != http.StatusOK {
		t.Fatalf("stats page: %d\n%s", p.code, p.body)
	}
	for _, want := range []string{
		`<a href="/console/stats" aria-current="page">Statistics</a>`,
		`value="` + quarter + `"`,
		"Cases the platform opened, by police force area, " + quarter,
		`<svg xmlns="http://www.w3.org/2000/svg" class="chart"`,
		`<th scope="row">Bedfordshire</th><td class="num">3</td><td class="num">0</td>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the stats page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "s-unsuppressed") {
		t.Error("a moderator is offered the unsuppressed figures")
	}
	if p := mod.get("/console/stats?unsuppressed=1"); p.code != http.StatusForbidden {
		t.Errorf("a moderator asks for the unsuppressed figures: %d", p.code)
	}
	// By source, published: 2 image matches and 1 report are small.
	p = mod.get("/console/stats?period=" + quarter + "&by=source")
	if !strings.Contains(p.body, `<th scope="row">Bedfordshire</th><td class="num">3</td><td class="num sup">&lt;3</td>`) {
		t.Errorf("published by source: small counts shown\n%s", p.body)
	}
	p = admin.get("/console/stats?period=" + quarter + "&by=source&unsuppressed=1")
	if p.code != http.StatusOK || !strings.Contains(p.body, "INTERNAL") ||
		!strings.Contains(p.body, `<th scope="row">Bedfordshire</th><td class="num">3</td><td class="num">2</td><td class="num">0</td><td class="num">0</td><td class="num">1</td>`) {
		t.Errorf("admin, unsuppressed: %d\n%s", p.code, p.body)
	}
	for _, bad := range []string{"?period=soon", "?by=colour", "?count=people"} {
		if p := mod.get("/console/stats" + bad); p.code != http.StatusBadRequest || !strings.Contains(p.body, "There is a problem") {
			t.Errorf("%s: %d", bad, p.code)
		}
	}
}
