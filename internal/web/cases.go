package web

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
)

// Option adds a part to a Server.
type Option func(*Server)

// WithCases serves user reports, appeals and the moderators' case API
// from cs.
func WithCases(cs *cases.Service) Option { return func(s *Server) { s.cases = cs } }

// routesCases adds the routes of user reports, appeals and cases. Without
// a cases service they answer as endpoints that do not exist.
func (s *Server) routesCases(m *http.ServeMux) {
	if s.cases == nil {
		return
	}
	m.HandleFunc("GET /api/v1/reports/reasons", s.auth(s.reportReasons))
	m.HandleFunc("POST /api/v1/reports", s.auth(s.report))
	m.HandleFunc("GET /api/v1/appeals", s.authSuspended(s.appealable))
	m.HandleFunc("POST /api/v1/appeals", s.authSuspended(s.appeal))

	m.HandleFunc("GET /api/v1/admin/cases", s.admin(s.adminCases))
	m.HandleFunc("GET /api/v1/admin/cases/{id}", s.admin(s.adminCase))
	m.HandleFunc("POST /api/v1/admin/cases/{id}/claim", s.admin(s.adminCaseAction("claim")))
	m.HandleFunc("POST /api/v1/admin/cases/{id}/decide", s.admin(s.adminCaseAction("decide")))
	m.HandleFunc("POST /api/v1/admin/cases/{id}/close", s.admin(s.adminCaseAction("close")))
	m.HandleFunc("POST /api/v1/admin/cases/{id}/legal-hold", s.admin(s.adminCaseAction("legal-hold")))
	m.HandleFunc("POST /api/v1/admin/cases/{id}/evidence/{seq}/reveal", s.admin(s.adminReveal))
	m.HandleFunc("POST /api/v1/admin/appeals/{id}/decide", s.admin(s.adminDecideAppeal))
}

func (s *Server) reportReasons(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	out := []client.ReportReason{}
	for _, x := range cases.Reasons() {
		out = append(out, client.ReportReason{Code: x.Code, Text: x.Text})
	}
	writeJSON(w, http.StatusOK, map[string]any{"reasons": out})
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.ReportRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.cases.Report(r.Context(), a.ID, cases.Report{MessageID: req.MessageID, ConversationID: req.ConversationID,
		Account: req.Account, Reason: req.Reason, Note: req.Note})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.ReportReceipt{ID: rec.ID, ReceivedAt: rec.ReceivedAt, Notices: wireNotices(rec.Notices), BlockHandle: rec.BlockHandle}
	if out.Notices == nil {
		out.Notices = []client.Notice{}
	}
	code := http.StatusCreated
	if rec.Duplicate {
		code = http.StatusOK
	}
	writeJSON(w, code, out)
}

func (s *Server) appealable(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	cs, err := s.cases.Appealable(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, c := range cs {
		out = append(out, map[string]any{"case_id": c.ID, "decision": c.Decision, "decided_at": c.DecidedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": out})
}

func (s *Server) appeal(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.AppealRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	var ap *safeguard.Appeal
	var err error
	switch {
	case (req.CaseID != 0) == (req.MessageID != 0):
		err = safeguard.Invalid("invalid_target", "Appeal one decision (case_id) or one message (message_id).")
	case req.CaseID != 0:
		ap, err = s.cases.Appeal(r.Context(), a.ID, req.CaseID, req.Text)
	default:
		ap, err = s.cases.ContestHold(r.Context(), a.ID, req.MessageID, req.Text)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, client.AppealReceipt{ID: ap.ID, Status: string(ap.Status), ReceivedAt: ap.CreatedAt})
}

// The moderators' case API. Cases are written as JSON of the domain types;
// content never appears, only references to evidence.

type wireCase struct {
	ID              int64     `json:"id"`
	Status          string    `json:"status"`
	Priority        int       `json:"priority"`
	Reasons         []string  `json:"reasons"`
	Signals         []string  `json:"signals"`
	Source          string    `json:"source"`
	Category        string    `json:"category"`
	SenderID        int64     `json:"sender_id"`
	ContentKey      string    `json:"content_key"`
	ConversationID  int64     `json:"conversation_id"`
	MinorSender     bool      `json:"minor_sender"`
	SeniorReview    bool      `json:"senior_review"`
	Assignee        string    `json:"assignee,omitempty"`
	Decision        string    `json:"decision,omitempty"`
	DecisionReason  string    `json:"decision_reason,omitempty"`
	DecidedBy       string    `json:"decided_by,omitempty"`
	ReportReference string    `json:"report_reference,omitempty"`
	LegalHold       bool      `json:"legal_hold"`
	Occurrences     int       `json:"occurrences"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func wireCaseOf(c *safeguard.Case) wireCase {
	return wireCase{ID: c.ID, Status: string(c.Status), Priority: c.Priority, Reasons: orNone(c.Reasons), Signals: orNone(c.Signals),
		Source: string(c.Source), Category: string(c.Category), SenderID: c.SenderID, ContentKey: c.ContentKey,
		ConversationID: c.ConversationID, MinorSender: c.MinorSender, SeniorReview: c.SeniorReview, Assignee: c.Assignee,
		Decision: string(c.Decision), DecisionReason: c.DecisionReason, DecidedBy: c.DecidedBy,
		ReportReference: c.ReportReference, LegalHold: c.LegalHold, Occurrences: c.Occurrences,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) adminCases(w http.ResponseWriter, r *http.Request) {
	var q cases.QueueQuery
	for _, st := range strings.Split(r.URL.Query().Get("status"), ",") {
		if st != "" {
			q.Statuses = append(q.Statuses, safeguard.CaseStatus(st))
		}
	}
	cs, err := s.cases.Queue(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []wireCase{}
	for _, c := range cs {
		out = append(out, wireCaseOf(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": out})
}

func (s *Server) adminCase(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var v *cases.CaseView
	if err == nil {
		v, err = s.cases.Case(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, CaseJSON(v))
}

// CaseJSON is the JSON of a case view, as the API and the CLI write it.
func CaseJSON(v *cases.CaseView) map[string]any {
	timeline := []map[string]any{}
	for _, e := range v.Timeline {
		timeline = append(timeline, map[string]any{"at": e.At, "actor": e.Actor, "action": e.Action, "from": e.From, "to": e.To, "reason": e.Reason})
	}
	occ := []map[string]any{}
	for _, o := range v.Occurrences {
		occ = append(occ, map[string]any{"id": o.ID, "detection_id": o.DetectionID, "source": o.Source, "at": o.At,
			"message_id": o.MessageID, "conversation_id": o.ConversationID, "recipients": o.RecipientIDs, "held": o.Held,
			"report_reference": o.ReportReference})
	}
	ev := []map[string]any{}
	for _, e := range v.Evidence {
		ev = append(ev, map[string]any{"seq": e.Seq, "kind": e.Kind, "item_kind": e.ItemKind, "ref": e.Ref, "class": e.Class,
			"size": e.Size, "digest": base64.StdEncoding.EncodeToString(e.Digest), "target": e.Target, "at": e.At})
	}
	reads := []map[string]any{}
	for _, rd := range v.Reads {
		reads = append(reads, map[string]any{"seq": rd.Seq, "at": rd.At, "who": rd.Who, "why": rd.Why})
	}
	reports := []map[string]any{}
	for _, rp := range v.Reports {
		reports = append(reports, map[string]any{"reference": rp.Reference, "follow_up_of": rp.FollowUpOf, "destination": rp.Destination,
			"receipt_id": rp.ReceiptID, "priority": rp.Priority, "test": rp.Test, "submitted_at": rp.SubmittedAt})
	}
	appeals := []map[string]any{}
	for _, a := range v.Appeals {
		appeals = append(appeals, map[string]any{"id": a.ID, "kind": a.Kind, "status": a.Status, "account_id": a.AccountID,
			"created_at": a.CreatedAt, "decided_by": a.DecidedBy, "reason": a.Reason})
	}
	out := map[string]any{"case": wireCaseOf(v.Case), "timeline": timeline, "occurrences": occ, "evidence": ev,
		"evidence_reads": reads, "reports": reports, "appeals": appeals}
	if v.Sender != nil {
		out["sender"] = map[string]any{"id": v.Sender.ID, "handle": v.Sender.Handle, "status": v.Sender.Status}
	}
	return out
}

// caseAction is the body of a moderator's action on a case.
type caseAction struct {
	Moderator string   `json:"moderator"`
	Senior    bool     `json:"senior"`
	Decision  string   `json:"decision"`
	Reason    string   `json:"reason"`
	Signals   []string `json:"signals"`
	On        *bool    `json:"on"`
	Why       string   `json:"why"`
	Overturn  bool     `json:"overturn"`
}

func (s *Server) adminCaseAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		var req caseAction
		if err == nil {
			err = decode(w, r, s.cfg.MaxJSONBody, &req)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		m := cases.Moderator{Name: req.Moderator, Senior: req.Senior}
		ctx := r.Context()
		switch action {
		case "claim":
			_, err = s.cases.Claim(ctx, id, m)
		case "decide":
			var d safeguard.Decision
			if d, err = cases.ParseDecision(req.Decision); err == nil {
				_, _, err = s.cases.Decide(ctx, id, cases.Decision{Moderator: m, Decision: d, Reason: req.Reason, Signals: req.Signals})
			}
		case "close":
			_, err = s.cases.Close(ctx, id, m, req.Reason)
		case "legal-hold":
			_, err = s.cases.SetLegalHold(ctx, id, m, req.On == nil || *req.On, req.Reason)
		}
		var v *cases.CaseView
		if err == nil {
			v, err = s.cases.Case(ctx, id)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, CaseJSON(v))
	}
}

func (s *Server) adminReveal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var seq int64
	if err == nil {
		seq, err = pathID(r, "seq")
	}
	var req caseAction
	if err == nil {
		err = decode(w, r, s.cfg.MaxJSONBody, &req)
	}
	var e *safeguard.EvidenceEntry
	var data []byte
	if err == nil {
		e, data, err = s.cases.Reveal(r.Context(), id, seq, cases.Moderator{Name: req.Moderator}, req.Why)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"seq": e.Seq, "ref": e.Ref, "content_type": e.ContentType,
		"data": base64.StdEncoding.EncodeToString(data)})
}

func (s *Server) adminDecideAppeal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var req caseAction
	if err == nil {
		err = decode(w, r, s.cfg.MaxJSONBody, &req)
	}
	var a *safeguard.Appeal
	if err == nil {
		a, err = s.cases.DecideAppeal(r.Context(), id, cases.AppealOutcome{Moderator: cases.Moderator{Name: req.Moderator, Senior: req.Senior},
			Overturn: req.Overturn, Reason: req.Reason})
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "status": a.Status, "decided_by": a.DecidedBy, "reason": a.Reason})
}
