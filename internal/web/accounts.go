package web

import (
	"net/http"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	var req client.SignUpRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := require("handle", req.Handle, "password", req.Password, "birth_date", req.BirthDate); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.svc.SignUp(r.Context(), messaging.SignUp{
		Handle: req.Handle, Password: req.Password, BirthDate: req.BirthDate, App: req.App, LocalAuthority: req.LocalAuthority,
	}, s.origin(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a := wireAccount(out.Account, s.now())
	if out.GuardianCode != "" {
		a.GuardianCode = out.GuardianCode
		a.GuardianCodeExpires = &out.CodeExpires
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req client.SessionRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := require("handle", req.Handle, "password", req.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	token, sess, a, err := s.svc.Login(r.Context(), req.Handle, req.Password, s.origin(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, client.Session{Token: token, ExpiresAt: sess.ExpiresAt, Account: wireAccount(a, s.now())})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	token, _ := bearer(r)
	if err := s.svc.Logout(r.Context(), token); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	writeJSON(w, http.StatusOK, wireAccount(a, s.now()))
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	target, contact, err := s.svc.Lookup(r.Context(), a.ID, r.PathValue("handle"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.Profile{Handle: target.Handle, Contact: contact})
}

func (s *Server) guardianLink(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.GuardianLinkRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := require("code", req.Code); err != nil {
		s.writeError(w, r, err)
		return
	}
	child, err := s.svc.LinkGuardian(r.Context(), a.ID, req.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireAccount(child, s.now()))
}

func (s *Server) guardianChildren(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	wards, err := s.svc.Wards(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []client.Account{}
	for _, c := range wards {
		out = append(out, wireAccount(c, s.now()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"children": out})
}

func (s *Server) guardianRequests(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	vs, err := s.svc.GuardianRequests(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wards, err := s.svc.Wards(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, c := range wards {
		names[c.ID] = c.Handle
	}
	out := []client.GuardianRequest{}
	for _, v := range vs {
		child := names[v.FromID]
		dir := "outgoing"
		if child == "" {
			child, dir = names[v.ToID], "incoming"
		}
		out = append(out, client.GuardianRequest{ID: v.ID, Child: child, Other: v.Other.Handle, Direction: dir, CreatedAt: v.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func (s *Server) guardianDecide(approve bool) func(http.ResponseWriter, *http.Request, *safeguard.Account) {
	return func(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
		id, err := pathID(r, "id")
		if err == nil {
			_, err = s.svc.GuardianDecide(r.Context(), a.ID, id, approve)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		state := "declined"
		if approve {
			state = "approved"
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "decision": state})
	}
}

// The operator API.

func (s *Server) adminAccount(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var a *safeguard.Account
	if err == nil {
		a, err = s.svc.Account(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireAccount(a, s.now()))
}

func (s *Server) adminAgeAssurance(w http.ResponseWriter, r *http.Request) {
	var req client.AgeAssuranceRequest
	id, err := pathID(r, "id")
	if err == nil {
		err = decode(w, r, s.cfg.MaxJSONBody, &req)
	}
	if err == nil {
		err = require("level", req.Level)
	}
	var a *safeguard.Account
	if err == nil {
		a, err = s.svc.SetAssurance(r.Context(), "operator-api", id, safeguard.Assurance(req.Level))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireAccount(a, s.now()))
}

func (s *Server) adminBirthDate(w http.ResponseWriter, r *http.Request) {
	var req client.BirthDateRequest
	id, err := pathID(r, "id")
	if err == nil {
		err = decode(w, r, s.cfg.MaxJSONBody, &req)
	}
	if err == nil {
		err = require("birth_date", req.BirthDate)
	}
	var a *safeguard.Account
	if err == nil {
		a, err = s.svc.CorrectBirthDate(r.Context(), "operator-api", id, req.BirthDate)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireAccount(a, s.now()))
}

// adminAudit lists audit entries about an account (?target=ID) or all.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	target, err := queryInt(r, "target")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	entries, err := s.svc.AuditEntries(r.Context(), target, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []client.AuditEntry{}
	for _, e := range entries {
		out = append(out, client.AuditEntry{ID: e.ID, At: e.At.Format(time.RFC3339Nano), Actor: e.Actor, ActorID: e.ActorID,
			Action: e.Action, TargetID: e.TargetID, Reason: e.Reason, Detail: e.Detail})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}
