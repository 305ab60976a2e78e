package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// bulkResult is what a bulk "no violation" did: the cases decided, and the
// cases it did not decide, each with why.
type bulkResult struct {
	Reason  string
	Decided []int64
	Refused []bulkRefusal
}

type bulkRefusal struct {
	ID  int64
	Why string
}

// bulkNoViolation decides "no violation", with one reason, on each case
// selected in the queue: each is decided and recorded on its own, as the
// case page would. A case that needs a senior moderator, or is not open,
// is left as it is and listed with why.
func (h *handler) bulkNoViolation(w http.ResponseWriter, r *http.Request, rq *request) {
	if !rq.can(moderators.ReviewCases) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	f := Filter{Status: "todo"}
	var ids []int64
	for _, v := range r.PostForm["case"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			h.showQueue(w, r, rq, f, http.StatusBadRequest, "A selected case is not a case number.", nil)
			return
		}
		ids = append(ids, id)
	}
	switch {
	case len(ids) == 0:
		h.showQueue(w, r, rq, f, http.StatusBadRequest, "Select the cases to close as no violation.", nil)
		return
	case len(ids) > queueLimit:
		h.showQueue(w, r, rq, f, http.StatusBadRequest, "Select at most 500 cases at a time.", nil)
		return
	}
	reason, err := reasonField(r, "reason", "Give a reason for closing the selected cases as no violation: it is recorded in each case.")
	if err != nil {
		h.showQueue(w, r, rq, f, http.StatusBadRequest, safeguard.ErrorMessage(err), nil)
		return
	}
	res := &bulkResult{Reason: reason}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if why, err := h.decideNoViolation(r, rq, id, reason); err != nil {
			if h.env.Status(err) >= 500 {
				h.fail(w, r, rq, err)
				return
			}
			res.Refused = append(res.Refused, bulkRefusal{ID: id, Why: safeguard.ErrorMessage(err)})
		} else if why != "" {
			res.Refused = append(res.Refused, bulkRefusal{ID: id, Why: why})
		} else {
			res.Decided = append(res.Decided, id)
		}
	}
	h.showQueue(w, r, rq, f, http.StatusOK, "", res)
}

// decideNoViolation decides one case of a bulk decision, or says why it
// may not be decided here.
func (h *handler) decideNoViolation(r *http.Request, rq *request, id int64, reason string) (string, error) {
	m := rq.moderator()
	c, err := h.Cases.CaseFor(r.Context(), m, id)
	switch {
	case errors.Is(err, safeguard.ErrNotFound):
		return "There is no such case.", nil
	case errors.Is(err, safeguard.ErrPermission), err == nil && !m.MayDecide(c):
		return "It needs senior review: a senior moderator decides it on its own page.", nil
	case err != nil:
		return "", err
	case c.Status != safeguard.CaseOpen && c.Status != safeguard.CaseInReview:
		return "It is not open (" + strings.ToLower(statusWords(c.Status)) + "): nothing was changed.", nil
	}
	_, _, err = h.Cases.Decide(r.Context(), id, cases.Decision{Moderator: m, Decision: safeguard.NoViolation, Reason: reason})
	return "", err
}
