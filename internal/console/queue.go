package console

import (
	"net/http"
	"net/url"
	"strconv"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// queueLimit bounds the cases one queue page lists.
const queueLimit = 500

// Filter is the queue's filters, as the form sends them.
type Filter struct {
	Status   string // "todo" (open, in review, decided), a status, or "all"
	Priority int    // 0 for any
	Source   safeguard.DetectionSource
	Mine     bool   // only cases claimed by me
	Q        string // a search: a case ID, part of a handle, a category
}

// statusChoices are the queue's status filter, in the order shown.
var statusChoices = []struct{ Value, Label string }{
	{"todo", "To do: not yet reported"},
	{"open", "Open"},
	{"in_review", "In review"},
	{"decided", "Decided, report being filed"},
	{"report_failed", "Report failed"},
	{"awaiting_submission", "Awaiting manual submission"},
	{"reported", "Reported"},
	{"closed", "Closed"},
	{"all", "All"},
}

var sourceChoices = []safeguard.DetectionSource{safeguard.HashMatch, safeguard.RiskRule, safeguard.URLMatch,
	safeguard.UserReport, safeguard.FrankingReport, safeguard.ScanFailure, safeguard.NewImage}

// ParseFilter reads the queue's filters from a query string. Anything it
// does not know is an ErrInvalid error that names the field.
func ParseFilter(q url.Values) (Filter, error) {
	f := Filter{Status: "todo"}
	if v := q.Get("status"); v != "" {
		ok := false
		for _, c := range statusChoices {
			ok = ok || c.Value == v
		}
		if !ok {
			return Filter{}, safeguard.Invalid("invalid_filter", "Status %q is not one of the choices.", v)
		}
		f.Status = v
	}
	if v := q.Get("priority"); v != "" && v != "any" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3 {
			return Filter{}, safeguard.Invalid("invalid_filter", "Priority must be 1, 2 or 3.")
		}
		f.Priority = n
	}
	if v := q.Get("source"); v != "" && v != "any" {
		ok := false
		for _, s := range sourceChoices {
			ok = ok || string(s) == v
		}
		if !ok {
			return Filter{}, safeguard.Invalid("invalid_filter", "Source %q is not one of the choices.", v)
		}
		f.Source = safeguard.DetectionSource(v)
	}
	search, err := cases.ParseSearch(q.Get("q"))
	if err != nil {
		return Filter{}, err
	}
	f.Q = search
	switch q.Get("mine") {
	case "", "0":
	case "1", "on":
		f.Mine = true
	default:
		return Filter{}, safeguard.Invalid("invalid_filter", "“Only my cases” is on or off.")
	}
	return f, nil
}

// statuses is what the filter asks the queue for.
func (f Filter) statuses() []safeguard.CaseStatus {
	switch f.Status {
	case "todo":
		return nil // the queue's default: the work to do
	case "all":
		return []safeguard.CaseStatus{safeguard.CaseOpen, safeguard.CaseInReview, safeguard.CaseDecided, safeguard.CaseReportFailed,
			safeguard.CaseAwaitingSubmission, safeguard.CaseReported, safeguard.CaseClosed}
	}
	return []safeguard.CaseStatus{safeguard.CaseStatus(f.Status)}
}

func (f Filter) keep(c *safeguard.Case, me string) bool {
	return (f.Priority == 0 || c.Priority == f.Priority) && (f.Source == "" || c.Source == f.Source) &&
		(!f.Mine || c.Assignee == me)
}

type queueData struct {
	Filter   Filter
	Statuses []struct{ Value, Label string }
	Sources  []safeguard.DetectionSource
	Rows     []queueRow
	Total    int
	Limited  bool
	MayBulk  bool        // the moderator may decide cases
	Bulk     *bulkResult // what a bulk decision just did
}

type queueRow struct {
	cases.QueueRow
	Open bool // the moderator may open it
}

func (h *handler) queue(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		h.showQueue(w, r, rq, Filter{Status: "todo"}, http.StatusBadRequest, safeguard.ErrorMessage(err), nil)
		return
	}
	h.showQueue(w, r, rq, f, http.StatusOK, "", nil)
}

// showQueue renders the queue with filter f, with an error about what was
// just tried or what a bulk decision did.
func (h *handler) showQueue(w http.ResponseWriter, r *http.Request, rq *request, f Filter, code int, errMsg string, bulk *bulkResult) {
	p := h.base(rq, "Review queue", "queue")
	if !rq.can(moderators.ViewCases) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	p.Error = errMsg
	rows, err := h.Cases.QueueRows(r.Context(), cases.QueueQuery{Statuses: f.statuses(), Limit: queueLimit, Search: f.Q})
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d := queueData{Filter: f, Statuses: statusChoices, Sources: sourceChoices, Limited: len(rows) == queueLimit,
		MayBulk: rq.can(moderators.ReviewCases), Bulk: bulk}
	for _, row := range rows {
		if f.keep(row.Case, rq.name()) {
			d.Rows = append(d.Rows, queueRow{QueueRow: row, Open: !row.MinorSender || rq.can(moderators.MinorSenderCases)})
		}
	}
	d.Total = len(d.Rows)
	p.Data = d
	h.render(w, r, code, "queue", p)
}
