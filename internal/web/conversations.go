package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

func (s *Server) conversations(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	vs, err := s.svc.Conversations(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []client.Conversation{}
	for _, v := range vs {
		out = append(out, wireConversation(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.ConversationRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, created, err := s.svc.CreateConversation(r.Context(), a.ID, messaging.NewConversation{Members: req.Members, E2EE: req.E2EE, Title: req.Title})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, wireConversation(v))
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.Conversation(r.Context(), a.ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireConversation(v))
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.MemberRequest
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err = decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err = require("handle", req.Handle); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.AddMember(r.Context(), a.ID, id, req.Handle)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireConversation(v))
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.RemoveMember(r.Context(), a.ID, id, r.PathValue("handle"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireConversation(v))
}

func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	s.ownMembership(w, r, a, s.svc.AcceptInvitation)
}

func (s *Server) leave(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	s.ownMembership(w, r, a, s.svc.Leave)
}

func (s *Server) ownMembership(w http.ResponseWriter, r *http.Request, a *safeguard.Account,
	change func(context.Context, int64, int64) (*messaging.ConversationView, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := change(r.Context(), a.ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireConversation(v))
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	var before, after, limit int64
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	before, err = queryInt(r, "before")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	after, err = queryInt(r, "after")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err = queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.svc.History(r.Context(), a.ID, id, before, after, int(min(limit, 1000)))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.MessagePage{Messages: []client.Message{}, Next: h.Next}
	for _, m := range h.Messages {
		out.Messages = append(out.Messages, wireMessage(m, a.ID))
	}
	writeJSON(w, http.StatusOK, out)
}

// sendMessage takes JSON (text, or an E2EE envelope) or multipart/form-data
// with an "image" file part, an optional "text" caption and an optional
// "confirm" field ("true": the sender, asked to think first with
// 409 confirm_image, chose to send it).
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if r, err = withIdempotencyKey(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	send := s.sendJSON
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		send = s.sendImage
	}
	v, err := send(w, r, a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !v.Repeat {
		s.count(v)
	}
	writeJSON(w, http.StatusCreated, wireMessage(v, a.ID))
}

// withIdempotencyKey returns r with the send's Idempotency-Key, if it has
// one, in its context (see messaging.WithIdempotencyKey).
func withIdempotencyKey(r *http.Request) (*http.Request, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return r, nil
	}
	if err := messaging.CheckIdempotencyKey(key); err != nil {
		return r, err
	}
	return r.WithContext(messaging.WithIdempotencyKey(r.Context(), key)), nil
}

// sendJSON sends a text or an E2EE envelope.
func (s *Server) sendJSON(w http.ResponseWriter, r *http.Request, a *safeguard.Account, id int64) (*messaging.MessageView, error) {
	var req client.MessageRequest
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		return nil, err
	}
	switch {
	case len(req.Envelope) > 0:
		return s.svc.SendEnvelope(r.Context(), a.ID, id, req.Envelope, req.FrankingTag, s.origin(r))
	case req.Text == "":
		return nil, safeguard.Invalid("missing_field", "Field \"text\" is required.")
	default:
		return s.svc.SendText(r.Context(), a.ID, id, req.Text, s.origin(r))
	}
}

// count records a message in the metrics by kind only: whether it was held
// is the operator's to see in cases, never a count a sender could watch
// move after sending.
func (s *Server) count(v *messaging.MessageView) {
	s.metrics.messages.WithLabelValues(string(v.Kind)).Inc()
}

func (s *Server) sendImage(w http.ResponseWriter, r *http.Request, a *safeguard.Account, id int64) (*messaging.MessageView, error) {
	max := s.svc.Config().MaxImageBytes
	r.Body = http.MaxBytesReader(w, r.Body, max+s.cfg.MaxJSONBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, safeguard.Invalid("invalid_form", "Send the image as multipart/form-data.")
	}
	var data []byte
	var ctype, caption string
	confirmed, sawConfirm := false, false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, formError(err)
		}
		switch p.FormName() {
		case "image":
			if data != nil {
				return nil, safeguard.Invalid("invalid_form", "Send one image at a time.")
			}
			ctype = p.Header.Get("Content-Type")
			data, err = io.ReadAll(io.LimitReader(p, max+1))
			if err != nil {
				return nil, formError(err)
			}
			if int64(len(data)) > max {
				return nil, safeguard.Errorf(safeguard.ErrTooLarge, "image_too_large", "That image is too big. The limit is %d MB.", max>>20)
			}
		case "text":
			b, err := io.ReadAll(io.LimitReader(p, safeguard.MaxTextBytes+1))
			if err != nil {
				return nil, formError(err)
			}
			caption = string(b)
		case "confirm":
			if sawConfirm {
				return nil, safeguard.Invalid("invalid_form", "Send the field \"confirm\" once.")
			}
			sawConfirm = true
			b, err := io.ReadAll(io.LimitReader(p, 16))
			if err != nil {
				return nil, formError(err)
			}
			switch string(b) {
			case "true":
				confirmed = true
			case "false":
				confirmed = false
			default:
				return nil, safeguard.Invalid("invalid_field", "Field \"confirm\" must be true or false.")
			}
		}
	}
	if data == nil {
		return nil, safeguard.Invalid("missing_field", "The form has no \"image\" part.")
	}
	if confirmed {
		return s.svc.SendImageConfirmed(r.Context(), a.ID, id, data, ctype, caption, s.origin(r))
	}
	return s.svc.SendImage(r.Context(), a.ID, id, data, ctype, caption, s.origin(r))
}

func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return safeguard.Errorf(safeguard.ErrTooLarge, "body_too_large", "The upload is larger than %d bytes.", mbe.Limit)
	}
	return safeguard.Invalid("invalid_form", "The upload is not a valid multipart form.")
}

func (s *Server) sendDirect(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.DirectMessageRequest
	err := decode(w, r, s.cfg.MaxJSONBody, &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err = require("to", req.To, "text", req.Text); err != nil {
		s.writeError(w, r, err)
		return
	}
	if r, err = withIdempotencyKey(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.SendDirect(r.Context(), a.ID, req.To, req.Text, s.origin(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !v.Repeat {
		s.count(v)
	}
	writeJSON(w, http.StatusCreated, wireMessage(v, a.ID))
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.ReadRequest
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err = decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.MessageID <= 0 {
		s.writeError(w, r, safeguard.Invalid("missing_field", "Field \"message_id\" is required."))
		return
	}
	if err = s.svc.MarkRead(r.Context(), a.ID, id, req.MessageID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) readMarkers(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	markers, err := s.svc.ReadMarkers(r.Context(), a.ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.Conversation(r.Context(), a.ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []client.ReadMarker{}
	for _, m := range markers {
		if acc := v.Accounts[m.AccountID]; acc != nil {
			out = append(out, client.ReadMarker{Handle: acc.Handle, MessageID: m.MessageID, At: m.At})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"read": out})
}

func (s *Server) media(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	md, data, err := s.svc.OpenMedia(r.Context(), a.ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", md.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(data)
}
