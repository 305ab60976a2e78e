package web

import (
	"net/http"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
)

func (s *Server) contacts(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	l, err := s.svc.Contacts(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireContactList(l))
}

func (s *Server) requestContact(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.ContactRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := require("to", req.To); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.RequestContact(r.Context(), a.ID, req.To)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wireContact(v))
}

func (s *Server) answerContact(accept bool) func(http.ResponseWriter, *http.Request, *safeguard.Account) {
	return func(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		answer := s.svc.DeclineContact
		if accept {
			answer = s.svc.AcceptContact
		}
		v, err := answer(r.Context(), a.ID, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, wireContact(v))
	}
}

func (s *Server) blockContact(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	notices, err := s.svc.BlockContact(r.Context(), a.ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.Notices{Notices: orEmpty(wireNotices(notices))})
}

func (s *Server) block(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.BlockRequest
	err := decode(w, r, s.cfg.MaxJSONBody, &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err = require("handle", req.Handle); err != nil {
		s.writeError(w, r, err)
		return
	}
	notices, err := s.svc.Block(r.Context(), a.ID, req.Handle)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.Notices{Notices: orEmpty(wireNotices(notices))})
}

func (s *Server) unblock(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	if err := s.svc.Unblock(r.Context(), a.ID, r.PathValue("handle")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
