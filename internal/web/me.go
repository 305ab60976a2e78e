package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// routesMe adds what an account does with its own account and the
// conversation changes of the web app.
func (s *Server) routesMe(m *http.ServeMux) {
	m.HandleFunc("POST /api/v1/me/password", s.auth(s.changePassword))
	m.HandleFunc("GET /api/v1/me/export", s.authSuspended(s.export))
	m.HandleFunc("PATCH /api/v1/conversations/{id}", s.auth(s.renameConversation))
}

// changePassword changes the caller's password; the caller's other sessions
// end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var req client.PasswordChange
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := require("current_password", req.CurrentPassword, "new_password", req.NewPassword); err != nil {
		s.writeError(w, r, err)
		return
	}
	token, _ := bearer(r)
	if err := s.svc.ChangePassword(r.Context(), a.ID, token, req.CurrentPassword, req.NewPassword, s.origin(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// renameConversation changes a group's title.
func (s *Server) renameConversation(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req client.ConversationUpdate
	if err := decode(w, r, s.cfg.MaxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.RenameConversation(r.Context(), a.ID, id, req.Title)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireConversation(v))
}

// exportAbout is what an export says of itself.
const exportAbout = "This is the data Safeguard holds about you and can show you: your account, your contacts " +
	"and blocks, the conversations you are or were in, and the messages you can read in them, oldest first. " +
	"Other people appear by their handle only. In a conversation you left or were removed from, only your own " +
	"messages are here. Images are named by media_id: download each from /api/v1/media/{media_id}. " +
	"End-to-end encrypted messages are here as the server holds them: the encrypted envelope, which Safeguard " +
	"cannot read, and only until every device has fetched it (after that the envelope is empty here); your " +
	"devices hold the readable text."

// export writes the caller's own data as one JSON document
// (client.Export), streamed: the messages are read a page at a time, so
// memory does not grow with the history. An error after the answer began
// aborts the connection, so a cut-short export is never valid JSON.
func (s *Server) export(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	ctx := r.Context()
	contacts, err := s.svc.Contacts(ctx, a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now().UTC()
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="safeguard-export-`+a.Handle+`-`+now.Format("2006-01-02")+`.json"`)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	rc := http.NewResponseController(w)
	// A long export outlasts the server's write timeout: each page has its
	// own time to be written.
	ex := exportWriter{w: bw, extend: func() { rc.SetWriteDeadline(time.Now().Add(exportPageTimeout)) }}
	ex.extend()
	ex.raw(`{"format":`)
	ex.value(client.ExportFormat)
	ex.raw(`,"exported_at":`)
	ex.value(now)
	ex.raw(`,"about":`)
	ex.value(exportAbout)
	ex.raw(`,"account":`)
	ex.value(client.ExportAccount{Account: wireAccount(a, now), BirthDate: a.BirthDate.String()})
	ex.raw(`,"contacts":`)
	ex.value(wireContactList(contacts))
	ex.raw(`,"conversations":[`)
	first := true
	err = s.svc.ExportConversations(ctx, a.ID, func(c *messaging.ExportedConversation) error {
		if !first {
			ex.raw(",")
		}
		first = false
		return ex.conversation(c, a.ID)
	})
	ex.raw("]}\n")
	if err = errors.Join(err, ex.err); err != nil {
		s.exportCut(ctx, err)
	}
	if err = bw.Flush(); err != nil {
		s.exportCut(ctx, err)
	}
}

// exportCut ends an export that could not be written whole: the connection
// is cut, so that what the client got is not valid JSON.
func (s *Server) exportCut(ctx context.Context, err error) {
	s.log.WarnContext(ctx, "export cut short", "err", err)
	panic(http.ErrAbortHandler)
}

// exportPageTimeout is how long one page of an export may take to write.
const exportPageTimeout = time.Minute

// exportWriter writes JSON a piece at a time and keeps the first error.
type exportWriter struct {
	w      *bufio.Writer
	extend func() // gives the next page its time to be written
	err    error
}

func (e *exportWriter) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *exportWriter) value(v any) {
	if e.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.err = err
		return
	}
	_, e.err = e.w.Write(b)
}

// conversation writes one conversation and its messages, page by page.
func (e *exportWriter) conversation(c *messaging.ExportedConversation, viewer int64) error {
	head, err := json.Marshal(client.ExportConversation{Conversation: wireConversation(c.ConversationView),
		Membership: string(c.Membership.State)})
	if err != nil {
		return err
	}
	// The head ends with "messages":null}; the messages follow in its place.
	const tail = `"messages":null}`
	e.raw(string(head[:len(head)-len(tail)]))
	e.raw(`"messages":[`)
	n := 0
	err = c.Messages(func(page []*messaging.MessageView) error {
		e.extend()
		for _, m := range page {
			if n > 0 {
				e.raw(",")
			}
			n++
			e.value(wireMessage(m, viewer))
		}
		return e.err
	})
	e.raw("]}")
	if err != nil {
		return err
	}
	return e.err
}

func wireContactList(l *messaging.ContactList) client.Contacts {
	out := client.Contacts{Contacts: wireContacts(l.Contacts), Incoming: wireContacts(l.Incoming), Outgoing: wireContacts(l.Outgoing), Blocked: []string{}}
	for _, b := range l.Blocked {
		out.Blocked = append(out.Blocked, b.Handle)
	}
	return out
}
