package console

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// act runs a case action for the moderator: the case must be one they may
// see and the permission theirs. On success the browser goes back to the
// case page with a notice; a refusal shows the case page with the reason.
func (h *handler) act(w http.ResponseWriter, r *http.Request, rq *request, perm moderators.Permission,
	fn func(id int64) (done string, err error)) {
	ids, err := pathIDs(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	id := ids[0]
	if _, err := h.caseFor(r.Context(), rq, id); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if !rq.can(perm) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	done, err := fn(id)
	if err != nil {
		code := h.env.Status(err)
		if code >= 500 {
			h.fail(w, r, rq, err)
			return
		}
		h.showCase(w, r, rq, id, code, "", safeguard.ErrorMessage(err))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/console/cases/%d?done=%s", id, done), http.StatusSeeOther)
}

// reasonField reads a required reason from the form.
func reasonField(r *http.Request, name, missing string) (string, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	switch {
	case v == "":
		return "", safeguard.Invalid("reason_required", "%s", missing)
	case len(v) > maxReason:
		return "", safeguard.Invalid("reason_too_long", "Keep the reason under %d characters.", maxReason)
	}
	return v, nil
}

func (h *handler) claim(w http.ResponseWriter, r *http.Request, rq *request) {
	h.act(w, r, rq, moderators.ReviewCases, func(id int64) (string, error) {
		_, err := h.Cases.Claim(r.Context(), id, rq.moderator())
		return "claimed", err
	})
}

func (h *handler) decide(w http.ResponseWriter, r *http.Request, rq *request) {
	h.act(w, r, rq, moderators.ReviewCases, func(id int64) (string, error) {
		if r.PostFormValue("decision") == "" {
			return "", safeguard.Invalid("decision_required", "Choose a decision.")
		}
		d, err := cases.ParseDecision(r.PostFormValue("decision"))
		if err != nil {
			return "", err
		}
		reason, err := reasonField(r, "reason", "Give a reason for the decision: it is recorded and, for a report, goes into it.")
		if err != nil {
			return "", err
		}
		var signals []string
		if r.PostFormValue("immediate_danger") != "" {
			signals = append(signals, "immediate_danger")
		}
		v, _, err := h.Cases.Decide(r.Context(), id, cases.Decision{Moderator: rq.moderator(), Decision: d, Reason: reason, Signals: signals})
		if err != nil || d != safeguard.ReportLE {
			return "decided", err
		}
		return reportDone(v.Case), nil
	})
}

// reportDone is the notice after a report was filed, or tried: filed,
// failed, or awaiting submission by hand.
func reportDone(c *safeguard.Case) string {
	switch c.Status {
	case safeguard.CaseReportFailed:
		return "report-failed"
	case safeguard.CaseAwaitingSubmission:
		return "awaiting"
	}
	return "reported"
}

// retryReport files again a report that failed.
func (h *handler) retryReport(w http.ResponseWriter, r *http.Request, rq *request) {
	h.act(w, r, rq, moderators.ReviewCases, func(id int64) (string, error) {
		v, _, err := h.Cases.RetryReport(r.Context(), id, rq.moderator())
		if err != nil {
			return "", err
		}
		if done := reportDone(v.Case); done != "reported" {
			return done, nil
		}
		return "retried", nil
	})
}

// reportSubmitted records that a person submitted the report package by
// hand, with the reference the receiving body gave.
func (h *handler) reportSubmitted(w http.ResponseWriter, r *http.Request, rq *request) {
	h.act(w, r, rq, moderators.ReviewCases, func(id int64) (string, error) {
		ref, err := reasonField(r, "reference", "Give the reference the report was submitted under.")
		if err != nil {
			return "", err
		}
		_, err = h.Cases.MarkSubmitted(r.Context(), id, rq.moderator(), ref)
		return "submitted", err
	})
}

func (h *handler) closeCase(w http.ResponseWriter, r *http.Request, rq *request) {
	h.act(w, r, rq, moderators.CloseReported, func(id int64) (string, error) {
		reason, err := reasonField(r, "reason", "Give a reason for closing the case.")
		if err != nil {
			return "", err
		}
		_, err = h.Cases.Close(r.Context(), id, rq.moderator(), reason)
		return "closed", err
	})
}

func (h *handler) legalHold(w http.ResponseWriter, r *http.Request, rq *request) {
	h.act(w, r, rq, moderators.LegalHold, func(id int64) (string, error) {
		on := r.PostFormValue("on") == "1"
		reason, err := reasonField(r, "reason", "Give the reason for the legal hold (for example, the order or request it answers).")
		if err != nil {
			return "", err
		}
		_, err = h.Cases.SetLegalHold(r.Context(), id, rq.moderator(), on, reason)
		if on {
			return "hold-on", err
		}
		return "hold-off", err
	})
}

func (h *handler) decideAppeal(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := pathIDs(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	var caseID int64
	if _, err := fmt.Sscan(r.PostFormValue("case"), &caseID); err != nil || caseID <= 0 {
		h.fail(w, r, rq, errNoPage)
		return
	}
	r.SetPathValue("id", fmt.Sprint(caseID))
	h.act(w, r, rq, moderators.DecideAppeals, func(int64) (string, error) {
		var overturn bool
		switch r.PostFormValue("outcome") {
		case "uphold":
		case "overturn":
			overturn = true
		default:
			return "", safeguard.Invalid("outcome_required", "Choose whether the decision stands or is reversed.")
		}
		reason, err := reasonField(r, "reason", "Give a reason for the outcome: the person who appealed is told it.")
		if err != nil {
			return "", err
		}
		a, err := h.Cases.CaseAppeal(r.Context(), caseID, ids[0])
		if err != nil {
			return "", err
		}
		_, err = h.Cases.DecideAppeal(r.Context(), a.ID, cases.AppealOutcome{Moderator: rq.moderator(), Overturn: overturn, Reason: reason})
		return "appeal", err
	})
}

// export builds the case's report package and sends it as a zip. Building
// it reads the evidence, each read recorded against the moderator; the
// download is in the case's timeline.
func (h *handler) export(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := pathIDs(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	id := ids[0]
	c, err := h.caseFor(r.Context(), rq, id)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if !rq.can(moderators.ExportReports) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	tmp, err := os.MkdirTemp("", "safeguard-console-export-")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	defer os.RemoveAll(tmp)
	// A case not decided for a report has only a draft to export.
	pkg, rec, err := h.Cases.Export(r.Context(), id, tmp, rq.name(), c.Decision != safeguard.ReportLE)
	if err != nil {
		if code := h.env.Status(err); code < 500 {
			h.showCase(w, r, rq, id, code, "", safeguard.ErrorMessage(err))
			return
		}
		h.fail(w, r, rq, err)
		return
	}
	var files []string
	err = filepath.WalkDir(rec.ID, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.zip"`, pkg.Reference))
	zw := zip.NewWriter(w)
	for _, path := range files {
		rel, _ := filepath.Rel(rec.ID, path)
		if err := addFile(zw, pkg.Reference+"/"+filepath.ToSlash(rel), path); err != nil {
			h.Log.ErrorContext(r.Context(), "console: export zip", "case", id, "err", err)
			return // the download ends short; the browser says it failed
		}
	}
	if err := zw.Close(); err != nil {
		h.Log.ErrorContext(r.Context(), "console: export zip", "case", id, "err", err)
	}
}

func addFile(zw *zip.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}
