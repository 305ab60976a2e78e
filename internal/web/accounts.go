package web

import (
	"context"
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
	if req.Nickname == "" {
		req.Nickname = req.Handle
	}
	if err := require("nickname", req.Nickname, "password", req.Password, "birth_date", req.BirthDate); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.svc.SignUp(r.Context(), messaging.SignUp{
		Nickname: req.Nickname, Password: req.Password, BirthDate: req.BirthDate, App: req.App, LocalAuthority: req.LocalAuthority,
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
	a.RecoveryCodes = out.RecoveryCodes
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
	ctx := r.Context()
	if app := r.Header.Get(AppHeader); app != "" {
		if !s.svc.ValidApp(app) {
			s.writeError(w, r, safeguard.Invalid("unknown_app", "There is no app called %q here.", app))
			return
		}
		ctx = messaging.WithApp(ctx, app) // the session records it
	}
	token, sess, a, err := s.svc.Login(ctx, req.Handle, req.Password, s.origin(r))
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

// about answers anyone, logged in or not: what the app shows about this
// service, such as how to reach its support team.
func (s *Server) about(w http.ResponseWriter, r *http.Request) {
	// Always the field, empty when not set: a client reads one shape.
	writeJSON(w, http.StatusOK, map[string]string{"support_contact": s.cfg.SupportContact})
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
	child, err := s.svc.LinkGuardian(r.Context(), a.ID, req.Code, s.origin(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireAccount(child, s.now()))
}

// secondGuardianCode gives a guardian a code for a second guardian of the
// child named.
func (s *Server) secondGuardianCode(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	code, expires, err := s.svc.NewSecondGuardianCode(r.Context(), a.ID, r.PathValue("handle"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.GuardianCode{Child: r.PathValue("handle"), Code: code, Expires: expires})
}

// guardianReset gives a guardian a one-time reset code for their child
// under 13.
func (s *Server) guardianReset(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	code, child, err := s.svc.GuardianReset(r.Context(), a.ID, r.PathValue("handle"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.ResetCode{Handle: child.Handle, Code: code.Code, ExpiresAt: code.ExpiresAt})
}

// stepDown ends the caller's guardianship of the child named.
func (s *Server) stepDown(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	if _, err := s.svc.StepDown(r.Context(), a.ID, r.PathValue("handle")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// guardianCode gives a child waiting for a guardian a new code.
func (s *Server) guardianCode(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	code, expires, err := s.svc.NewGuardianCode(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := wireAccount(a, s.now())
	out.GuardianCode, out.GuardianCodeExpires = code, &expires
	writeJSON(w, http.StatusOK, out)
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
		out = append(out, client.GuardianRequest{ID: v.ID, Child: child, Other: v.Other.Handle, Direction: dir,
			OtherAdult: v.Other.Band(s.now()) == safeguard.Adult, CreatedAt: v.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

// guardianContacts lists the contacts of the caller's children: handles,
// whether each is an adult, and since when; never a message.
func (s *Server) guardianContacts(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	wards, err := s.svc.GuardianContacts(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []client.GuardianContact{}
	for _, wc := range wards {
		for _, v := range wc.Contacts {
			out = append(out, client.GuardianContact{Child: wc.Child.Handle, Handle: v.Other.Handle,
				Adult: v.Other.Band(s.now()) == safeguard.Adult, Since: v.UpdatedAt})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": out})
}

func (s *Server) guardianDecide(approve bool) func(http.ResponseWriter, *http.Request, *safeguard.Account) {
	return func(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if _, err = s.svc.GuardianDecide(r.Context(), a.ID, id, approve); err != nil {
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

// adminSet handles an operator change of one account field, given by the
// request body T, whose value the field function reads.
func adminSet[T any](s *Server, name string, field func(*T) string,
	change func(ctx context.Context, id int64, value string) (*safeguard.Account, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req T
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err = decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err = require(name, field(&req)); err != nil {
			s.writeError(w, r, err)
			return
		}
		a, err := change(r.Context(), id, field(&req))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, wireAccount(a, s.now()))
	}
}

func (s *Server) adminAgeAssurance() http.HandlerFunc {
	return adminSet(s, "level", func(r *client.AgeAssuranceRequest) string { return r.Level },
		func(ctx context.Context, id int64, level string) (*safeguard.Account, error) {
			return s.svc.SetAssurance(ctx, "operator-api", id, safeguard.Assurance(level))
		})
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
