package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/messaging"
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
	m.HandleFunc("POST /api/v1/admin/cases/{id}/report-retry", s.admin(s.adminCaseAction("report-retry")))
	m.HandleFunc("POST /api/v1/admin/cases/{id}/report-submitted", s.admin(s.adminCaseAction("report-submitted")))
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
	if out.BlockHandle == "" { // no one to block (a deleted sender, or no account named)
		for i := range out.Notices {
			out.Notices[i].Actions = slices.DeleteFunc(out.Notices[i].Actions, func(a string) bool { return a == "block" })
		}
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
	out := client.Appeals{Decisions: []client.AppealableDecision{}}
	for _, c := range cs {
		out.Decisions = append(out.Decisions, client.AppealableDecision{CaseID: c.ID, Decision: string(c.Decision), DecidedAt: c.DecidedAt})
	}
	if a.Status == safeguard.Suspended {
		sp, err := s.svc.SuspensionOf(r.Context(), a.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Suspension = s.wireSuspension(sp, cs)
	}
	writeJSON(w, http.StatusOK, out)
}

// wireSuspension tells a suspended account why, and how to contest it. A
// moderator's decision that can be appealed is appealed here; one that
// cannot (its appeal window passed, or — told in the same words — a
// law-enforcement report keeps it open) and an operator's suspension are
// contested through the operator's support contact. A moderator's own notes
// are never shown: the reason is the decision's, in words.
func (s *Server) wireSuspension(sp *messaging.Suspension, appealable []*safeguard.Case) *client.Suspension {
	out := &client.Suspension{By: "moderator", Contact: s.cfg.SupportContact,
		Reason: "A moderator decided that something you sent broke our rules."}
	if sp != nil && sp.CaseID == 0 && sp.Decision == "" { // the operator's (sp.By, their name, stays theirs)
		out.By = "operator"
		out.Reason = "The Safeguard team suspended your account."
		if sp.Reason != "" {
			out.Reason += " They said: " + sp.Reason
		}
	}
	if sp != nil && sp.CaseID != 0 {
		for _, c := range appealable {
			if c.ID == sp.CaseID {
				out.Appealable, out.CaseID = true, c.ID
			}
		}
	}
	switch {
	case out.Appealable:
		out.HowToContest = "If you think this is wrong, appeal the decision below. Someone who did not make the decision will look at it."
	case out.Contact != "":
		out.HowToContest = "If you think this is wrong, contact the Safeguard team and ask them to look again: " + out.Contact
	default:
		out.HowToContest = "If you think this is wrong, contact the team that runs this Safeguard service and ask them to look again."
	}
	return out
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

// The moderators' case API: the types of package client, built from the
// domain's. Content never appears, only references to evidence.

// WireCase is the wire form of a case.
func WireCase(c *safeguard.Case) client.Case {
	return client.Case{ID: c.ID, Status: string(c.Status), Priority: c.Priority, Reasons: orNone(c.Reasons), Signals: orNone(c.Signals),
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
	out := []client.Case{}
	if q.Search = r.URL.Query().Get("q"); q.Search == "" {
		cs, err := s.cases.Queue(r.Context(), q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, c := range cs {
			out = append(out, WireCase(c))
		}
	} else {
		// A search reads who each case involves, to match their handles.
		rows, err := s.cases.QueueRows(r.Context(), q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, c := range rows {
			out = append(out, WireCase(c.Case))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": out})
}

func (s *Server) adminCase(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cases.Case(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, WireCaseView(v))
}

// WireCaseView is the wire form of a case view, as the API and the CLI
// write it.
func WireCaseView(v *cases.CaseView) client.CaseView {
	out := client.CaseView{Case: WireCase(v.Case), Timeline: []client.CaseEvent{}, Occurrences: []client.CaseOccurrence{},
		Evidence: []client.EvidenceItem{}, EvidenceReads: []client.EvidenceRead{}, Reports: []client.CaseReport{}, Appeals: []client.CaseAppeal{},
		ReportFailure: v.ReportFailure, ReportPackage: v.ReportPackage}
	if v.Sender != nil {
		out.Sender = &client.CaseSender{ID: v.Sender.ID, Handle: v.Sender.Handle, Status: string(v.Sender.Status)}
	}
	for _, e := range v.Timeline {
		out.Timeline = append(out.Timeline, client.CaseEvent{At: e.At, Actor: e.Actor, Action: e.Action, From: string(e.From), To: string(e.To), Reason: e.Reason})
	}
	for _, o := range v.Occurrences {
		out.Occurrences = append(out.Occurrences, client.CaseOccurrence{ID: o.ID, DetectionID: o.DetectionID, Source: string(o.Source), At: o.At,
			MessageID: o.MessageID, ConversationID: o.ConversationID, Recipients: o.RecipientIDs, Held: o.Held,
			ReportReference: o.ReportReference})
	}
	for _, e := range v.Evidence {
		out.Evidence = append(out.Evidence, client.EvidenceItem{Seq: e.Seq, Kind: string(e.Kind), ItemKind: e.ItemKind, Ref: e.Ref, Class: string(e.Class),
			Size: e.Size, Digest: base64.StdEncoding.EncodeToString(e.Digest), Target: e.Target, At: e.At})
	}
	for _, rd := range v.Reads {
		out.EvidenceReads = append(out.EvidenceReads, client.EvidenceRead{Seq: rd.Seq, At: rd.At, Who: rd.Who, Why: rd.Why, Covers: rd.Covers})
	}
	for _, rp := range v.Reports {
		out.Reports = append(out.Reports, client.CaseReport{Reference: rp.Reference, FollowUpOf: rp.FollowUpOf, Destination: rp.Destination,
			ReceiptID: rp.ReceiptID, Priority: rp.Priority, Test: rp.Test, SubmittedAt: rp.SubmittedAt})
	}
	for _, a := range v.Appeals {
		out.Appeals = append(out.Appeals, client.CaseAppeal{ID: a.ID, Kind: string(a.Kind), Status: string(a.Status), AccountID: a.AccountID,
			CreatedAt: a.CreatedAt, DecidedBy: a.DecidedBy, Reason: a.Reason})
	}
	return out
}

func (s *Server) adminCaseAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var req client.CaseAction
		if err = decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err = s.applyCaseAction(r.Context(), action, id, req); err != nil {
			s.writeError(w, r, err)
			return
		}
		v, err := s.cases.Case(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, WireCaseView(v))
	}
}

// applyCaseAction does a moderator's action on case id.
func (s *Server) applyCaseAction(ctx context.Context, action string, id int64, req client.CaseAction) error {
	m := cases.Moderator{Name: req.Moderator, Role: cases.RoleFor(req.Senior)}
	var err error
	switch action {
	case "claim":
		_, err = s.cases.Claim(ctx, id, m)
	case "decide":
		var d safeguard.Decision
		if d, err = cases.ParseDecision(req.Decision); err != nil {
			return err
		}
		_, _, err = s.cases.Decide(ctx, id, cases.Decision{Moderator: m, Decision: d, Reason: req.Reason, Signals: req.Signals})
	case "close":
		_, err = s.cases.Close(ctx, id, m, req.Reason)
	case "legal-hold":
		_, err = s.cases.SetLegalHold(ctx, id, m, req.On == nil || *req.On, req.Reason)
	case "report-retry":
		_, _, err = s.cases.RetryReport(ctx, id, m)
	case "report-submitted":
		_, err = s.cases.MarkSubmitted(ctx, id, m, req.Reference)
	}
	return err
}

func (s *Server) adminReveal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	seq, err := pathID(r, "seq")
	var req client.CaseAction
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err = decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, data, err := s.cases.Reveal(r.Context(), id, seq, cases.Moderator{Name: req.Moderator}, req.Why)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if data == nil {
		data = []byte{}
	}
	writeJSON(w, http.StatusOK, client.RevealedEvidence{Seq: e.Seq, Ref: e.Ref, ContentType: e.ContentType, Data: data})
}

func (s *Server) adminDecideAppeal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var req client.CaseAction
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err = decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.cases.DecideAppeal(r.Context(), id, cases.AppealOutcome{Moderator: cases.Moderator{Name: req.Moderator, Role: cases.RoleFor(req.Senior)},
		Overturn: req.Overturn, Reason: req.Reason})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.AppealDecision{ID: a.ID, Status: string(a.Status), DecidedBy: a.DecidedBy, Reason: a.Reason})
}
