package web

import (
	"net/http"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// routesAccountLife adds the account's own life (sessions, deletion, a
// password reset) and the operator's account tools.
func (s *Server) routesAccountLife(m *http.ServeMux) {
	m.HandleFunc("GET /api/v1/sessions", s.authSuspended(s.sessions))
	m.HandleFunc("DELETE /api/v1/sessions", s.authSuspended(s.logoutEverywhere))
	m.HandleFunc("DELETE /api/v1/sessions/{id}", s.authSuspended(s.endSession))
	m.HandleFunc("GET /api/v1/me/deletion", s.authSuspended(s.deletionPlan))
	m.HandleFunc("DELETE /api/v1/me", s.authSuspended(s.deleteMe))
	m.HandleFunc("POST /api/v1/password-resets", s.redeemReset)

	m.HandleFunc("GET /api/v1/admin/accounts", s.admin(s.adminFind))
	m.HandleFunc("GET /api/v1/admin/accounts/{handle}", s.admin(s.adminShow))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/verify", s.admin(s.adminChange("verify")))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/unverify", s.admin(s.adminChange("unverify")))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/birth-date", s.admin(s.adminChange("birth-date")))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/suspend", s.admin(s.adminChange("suspend")))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/unsuspend", s.admin(s.adminChange("unsuspend")))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/reset-password", s.admin(s.adminReset))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/guardians", s.admin(s.adminGuardians))
	m.HandleFunc("DELETE /api/v1/admin/accounts/{handle}", s.admin(s.adminDelete))
	m.HandleFunc("GET /api/v1/admin/accounts/{handle}/sessions", s.admin(s.adminSessions))
	m.HandleFunc("DELETE /api/v1/admin/accounts/{handle}/sessions", s.admin(s.adminLogout))
	s.routesPreservation(m)
}

func wireSessions(vs []messaging.SessionView) []client.SessionInfo {
	out := []client.SessionInfo{}
	for _, v := range vs {
		si := client.SessionInfo{ID: v.ID, CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt, App: v.App, Current: v.Current}
		if !v.LastUsedAt.IsZero() {
			t := v.LastUsedAt
			si.LastUsedAt = &t
		}
		if v.Origin.Addr.IsValid() {
			si.Address = v.Origin.Addr.Addr().Unmap().String()
		}
		out = append(out, si)
	}
	return out
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	token, _ := bearer(r)
	vs, err := s.svc.Sessions(r.Context(), a.ID, token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.SessionList{Sessions: wireSessions(vs)})
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	if err := s.svc.LogoutEverywhere(r.Context(), a.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, safeguard.Errorf(safeguard.ErrNotFound, "session_not_found", "There is no such session. It may have ended already."))
		return
	}
	if err := s.svc.EndSession(r.Context(), a.ID, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func wireDeletion(d messaging.Deletion) client.Deletion {
	out := client.Deletion{Kept: []client.Retained{}, Deleted: []client.Retained{}}
	for _, k := range d.Kept {
		out.Kept = append(out.Kept, client.Retained(k))
	}
	for _, k := range d.Deleted {
		out.Deleted = append(out.Deleted, client.Retained(k))
	}
	return out
}

func (s *Server) deletionPlan(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	writeJSON(w, http.StatusOK, wireDeletion(s.svc.DeletionPlan()))
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.DeleteAccountRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.svc.DeleteOwn(r.Context(), a.ID, req.Password, req.Confirm, s.origin(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireDeletion(d))
}

func (s *Server) redeemReset(w http.ResponseWriter, r *http.Request) {
	var req client.PasswordResetRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	code := req.Code
	if code == "" {
		code = req.RecoveryCode
	}
	if err := require("handle", req.Handle, "code", code, "new_password", req.NewPassword); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Code != "" && req.RecoveryCode != "" {
		s.writeError(w, r, safeguard.Invalid("one_code", "Give a reset code or a recovery code, not both."))
		return
	}
	redeem := s.svc.RedeemReset
	if req.RecoveryCode != "" {
		redeem = s.svc.RedeemRecovery
	}
	if err := redeem(r.Context(), req.Handle, code, req.NewPassword, s.origin(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// The operator's account tools. {handle} is a handle or a numeric ID.

func (s *Server) adminFind(w http.ResponseWriter, r *http.Request) {
	after, err := queryInt(r, "after")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lim, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	as, next, err := s.svc.FindAccounts(r.Context(), messaging.AccountSearch{Pattern: q.Get("q"), Band: safeguard.AgeBand(q.Get("band")),
		Status: safeguard.AccountStatus(q.Get("status")), Assurance: safeguard.Assurance(q.Get("assurance")), After: after, Limit: int(min(lim, 500))})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.AccountPage{Accounts: []client.Account{}, Next: next}
	for _, a := range as {
		out.Accounts = append(out.Accounts, wireAccount(a, s.now()))
	}
	writeJSON(w, http.StatusOK, out)
}

// WireAccountDetail is an account as the operator API shows it.
func WireAccountDetail(d *messaging.AccountDetail, now time.Time) client.AccountDetail {
	out := client.AccountDetail{Account: wireAccount(d.Account, now), Children: []string{}, Guardians: []string{}, AssuranceHistory: []client.AssuranceChange{}}
	for i, g := range d.Guardians {
		if i == 0 {
			out.Guardian = g.Handle
		}
		out.Guardians = append(out.Guardians, g.Handle)
	}
	for _, c := range d.Wards {
		out.Children = append(out.Children, c.Handle)
	}
	c := d.Counts
	out.Counts = client.AccountCounts{Contacts: c.Contacts, Blocks: c.Blocks, Conversations: c.Conversations,
		MessagesSent: c.MessagesSent, Sessions: d.Sessions, Cases: c.Cases, Reports: c.Reports}
	for _, h := range d.Assurance {
		out.AssuranceHistory = append(out.AssuranceHistory, client.AssuranceChange{At: h.At, Level: string(h.Level), From: string(h.From),
			Method: h.Method, Note: h.Note, By: h.By})
	}
	if !d.Account.BirthDate.IsZero() {
		out.BirthDate = d.Account.BirthDate.String()
	}
	if b := d.BirthDateCorrected; b != nil {
		out.BirthDateCorrected = &client.BirthDateCorrection{At: b.At, From: b.From, To: b.To, Method: b.Method, Reason: b.Reason, By: b.By}
	}
	return out
}

// WireAccount is an account as the API shows it.
func WireAccount(a *safeguard.Account, now time.Time) client.Account { return wireAccount(a, now) }

// WireSessions is sessions as the API shows them.
func WireSessions(vs []messaging.SessionView) []client.SessionInfo { return wireSessions(vs) }

// WireDeletion is a deletion as the API shows it.
func WireDeletion(d messaging.Deletion) client.Deletion { return wireDeletion(d) }

func (s *Server) adminShow(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.Detail(r.Context(), r.PathValue("handle"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, WireAccountDetail(d, s.now()))
}

// adminChange is an operator change of an account's assurance, date of
// birth or status.
func (s *Server) adminChange(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req client.OperatorChange
		if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		ref, ctx := r.PathValue("handle"), r.Context()
		var a *safeguard.Account
		var err error
		switch action {
		case "verify":
			a, err = s.svc.Verify(ctx, ref, req.Method, req.Note, req.By)
		case "unverify":
			a, err = s.svc.Unverify(ctx, ref, req.Reason, req.By)
		case "birth-date":
			a, err = s.svc.CorrectBirthDate(ctx, ref, req.BirthDate, req.Method, req.Reason, req.By)
		case "suspend":
			a, err = s.svc.Suspend(ctx, ref, req.Reason, req.By)
		default:
			a, err = s.svc.Unsuspend(ctx, ref, req.Reason, req.By)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, wireAccount(a, s.now()))
	}
}

// adminGuardians unlinks, links or replaces a child's guardian and answers
// the child as the operator's account view shows it.
func (s *Server) adminGuardians(w http.ResponseWriter, r *http.Request) {
	var req client.GuardianChange
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.ChangeGuardians(r.Context(), r.PathValue("handle"),
		messaging.GuardianChange{Remove: req.Remove, Add: req.Add, Reason: req.Reason, By: req.By})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.svc.Detail(r.Context(), a.Handle)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, WireAccountDetail(d, s.now()))
}

func (s *Server) adminReset(w http.ResponseWriter, r *http.Request) {
	var req client.OperatorChange
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	code, a, err := s.svc.IssueReset(r.Context(), r.PathValue("handle"), req.By)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.ResetCode{Handle: a.Handle, Code: code.Code, ExpiresAt: code.ExpiresAt})
}

func (s *Server) adminDelete(w http.ResponseWriter, r *http.Request) {
	var req client.OperatorChange
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, d, err := s.svc.DeleteAccount(r.Context(), r.PathValue("handle"), req.Reason, req.By)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.AccountDeleted{Account: wireAccount(a, s.now()), Deletion: wireDeletion(d)})
}

func (s *Server) adminSessions(w http.ResponseWriter, r *http.Request) {
	a, vs, err := s.svc.AccountSessions(r.Context(), r.PathValue("handle"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.AccountSessions{Handle: a.Handle, Sessions: wireSessions(vs)})
}

func (s *Server) adminLogout(w http.ResponseWriter, r *http.Request) {
	var req client.OperatorChange
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.svc.LogoutAccount(r.Context(), r.PathValue("handle"), req.By); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
