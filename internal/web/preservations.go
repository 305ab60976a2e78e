package web

import (
	"net/http"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// routesPreservation adds recovery codes (the account's own) and police
// preservation requests (the operator's).
func (s *Server) routesPreservation(m *http.ServeMux) {
	m.HandleFunc("POST /api/v1/me/recovery-codes", s.auth(s.newRecoveryCodes))
	m.HandleFunc("POST /api/v1/admin/accounts/{handle}/preservations", s.admin(s.adminPreserve))
	m.HandleFunc("GET /api/v1/admin/accounts/{handle}/preservations", s.admin(s.adminPreservations))
	m.HandleFunc("PATCH /api/v1/admin/accounts/{handle}/preservations/{id}", s.admin(s.adminExtendPreservation))
}

func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.RecoveryCodesRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	codes, err := s.svc.NewRecoveryCodes(r.Context(), a.ID, req.Password, s.origin(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.RecoveryCodeSet{Codes: codes})
}

// WirePreservation is a preservation request as the operator API shows it.
func WirePreservation(p *safeguard.Preservation, handle string, now time.Time) client.Preservation {
	return client.Preservation{ID: p.ID, Handle: handle, Reference: p.Reference, Agency: p.Agency, RecordedBy: p.RecordedBy,
		CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, Active: p.Active(now)}
}

func (s *Server) adminPreserve(w http.ResponseWriter, r *http.Request) {
	var req client.PreservationRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, a, err := s.svc.Preserve(r.Context(), r.PathValue("handle"),
		messaging.Preservation{Reference: req.Reference, Agency: req.Agency, Days: req.Days, By: req.By})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, WirePreservation(p, a.Handle, s.now()))
}

func (s *Server) adminPreservations(w http.ResponseWriter, r *http.Request) {
	a, ps, err := s.svc.Preservations(r.Context(), r.PathValue("handle"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.PreservationList{Handle: a.Handle, Preservations: []client.Preservation{}}
	for _, p := range ps {
		out.Preservations = append(out.Preservations, WirePreservation(p, a.Handle, s.now()))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminExtendPreservation(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, safeguard.Errorf(safeguard.ErrNotFound, "preservation_not_found", "That account has no preservation with that ID."))
		return
	}
	var req client.PreservationRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := messaging.ExtendOnlyDays(req.Reference, req.Agency); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, a, err := s.svc.ExtendPreservation(r.Context(), r.PathValue("handle"), id, req.Days, req.By)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, WirePreservation(p, a.Handle, s.now()))
}
