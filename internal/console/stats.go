package console

import (
	"bytes"
	"html/template"
	"net/http"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
)

// statsData is what the statistics page shows.
type statsData struct {
	Period        string
	By, Count     string
	Bys           []struct{ Value, Label string }
	Counts        []struct{ Value, Label string }
	Unsuppressed  bool
	MayUnsuppress bool
	Title         string
	Table         template.HTML // the table's chart, figures and notes, escaped by package stats
}

var byChoices = []struct{ Value, Label string }{
	{string(platform.ByForce), "police force area only"},
	{string(platform.ByApp), "app"},
	{string(platform.BySource), "detection source"},
	{string(platform.ByPriority), "priority"},
}

var countChoices = []struct{ Value, Label string }{
	{string(platform.CountCases), "cases opened"},
	{string(platform.CountReports), "reports to law enforcement"},
}

// statsPage shows the platform's own table of a period with its chart:
// small counts suppressed, as published. An administrator may ask for the
// unsuppressed figures, which the page marks INTERNAL.
func (h *handler) statsPage(w http.ResponseWriter, r *http.Request, rq *request) {
	if h.Stats == nil || !rq.can(moderators.ViewCases) {
		h.fail(w, r, rq, errNoPage)
		return
	}
	q := r.URL.Query()
	d := statsData{Period: q.Get("period"), By: q.Get("by"), Count: q.Get("count"), Bys: byChoices, Counts: countChoices,
		MayUnsuppress: rq.can(moderators.ManageModerators)}
	if d.Period == "" {
		now := h.clock()
		d.Period = platform.Quarter(now).Label
	}
	p := h.base(rq, "Statistics", "stats")
	p.Data = &d
	period, err := platform.ParsePeriod(d.Period)
	if err != nil {
		p.Error = safeguard.ErrorMessage(err)
		h.render(w, r, http.StatusBadRequest, "stats", p)
		return
	}
	by, err := platform.ParseBy(d.By)
	if err == nil {
		d.By = string(by)
	}
	count, err2 := platform.ParseCount(d.Count)
	if err2 == nil {
		d.Count = string(count)
	}
	if err != nil || err2 != nil {
		p.Error = "Choose a split and what to count from the lists."
		h.render(w, r, http.StatusBadRequest, "stats", p)
		return
	}
	if q.Get("unsuppressed") != "" {
		if !d.MayUnsuppress {
			h.fail(w, r, rq, safeguard.Errorf(safeguard.ErrPermission, "not_allowed", "Only an administrator may see the unsuppressed figures."))
			return
		}
		d.Unsuppressed = true
	}
	t, err := h.Stats.Platform(r.Context(), period, by, count, platform.Options{Unsuppressed: d.Unsuppressed})
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	var b bytes.Buffer
	if err := t.WriteHTMLFragment(&b); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d.Title = t.Title() + ", " + period.Label
	d.Table = template.HTML(b.String()) // package stats escapes every text it writes
	h.render(w, r, http.StatusOK, "stats", p)
}
