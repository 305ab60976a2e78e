package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
)

// The end-to-end encryption endpoints: the key directory (/api/v1/devices,
// /api/v1/keys), direct envelopes (/api/v1/to-device), encrypted blobs of a
// conversation and franking reports.

// WithE2EE turns on the end-to-end encryption endpoints, served by es.
func WithE2EE(es *e2ee.Service) Option { return func(s *Server) { s.e2ee = es } }

// routesE2EE adds the end-to-end encryption routes. Without an e2ee service
// they answer as endpoints that do not exist.
func (s *Server) routesE2EE(m *http.ServeMux) {
	if s.e2ee == nil {
		return
	}
	m.HandleFunc("POST /api/v1/devices", s.auth(s.registerDevice))
	m.HandleFunc("GET /api/v1/devices", s.auth(s.devices))
	m.HandleFunc("GET /api/v1/devices/{device}", s.auth(s.device))
	m.HandleFunc("DELETE /api/v1/devices/{device}", s.auth(s.deleteDevice))
	m.HandleFunc("POST /api/v1/devices/{device}/keys", s.auth(s.uploadKeys))
	m.HandleFunc("GET /api/v1/devices/{device}/keys", s.auth(s.keyCount))
	m.HandleFunc("GET /api/v1/devices/{device}/inbox", s.auth(s.inbox))
	m.HandleFunc("GET /api/v1/keys", s.auth(s.conversationKeys))
	m.HandleFunc("POST /api/v1/keys/claim", s.auth(s.claimKeys))
	m.HandleFunc("POST /api/v1/to-device", s.auth(s.toDevice))
	m.HandleFunc("POST /api/v1/conversations/{id}/blobs", s.auth(s.uploadBlob))
	m.HandleFunc("GET /api/v1/conversations/{id}/blobs/{blob}", s.auth(s.blob))
	m.HandleFunc("POST /api/v1/reports/franking", s.auth(s.reportFranking))
}

// readJSONBody reads a JSON request body whole, capped at limit, for the
// e2ee parsers to decode strictly.
func readJSONBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, safeguard.Errorf(safeguard.ErrInvalid, "unsupported_media_type", "Send JSON (Content-Type: application/json).")
		}
	}
	return readBody(w, r, limit)
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "body_too_large", "The request body is larger than %d bytes.", mbe.Limit)
	}
	if err != nil {
		return nil, safeguard.Invalid("invalid_body", "The request body could not be read.")
	}
	return b, nil
}

func wireDevice(r e2ee.Registered) client.Device {
	return client.Device{Keys: client.DeviceKeys(e2ee.DeviceKeys(r.Device)), KeyCount: wireKeyCount(r.Keys), CreatedAt: r.Device.CreatedAt}
}

func wireKeyCount(k e2ee.KeyCount) client.KeyCount {
	return client.KeyCount{OneTimeKeys: k.OneTimeKeys, FallbackKey: k.Fallback}
}

func (s *Server) registerDevice(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	var reg e2ee.Registration
	body, err := readJSONBody(w, r, e2ee.MaxRequestBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reg, err = e2ee.ParseRegistration(body)
	var dev *e2ee.Registered
	created := false
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	dev, created, err = s.e2ee.RegisterDevice(r.Context(), a.ID, reg)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, wireDevice(*dev))
}

func (s *Server) devices(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	ds, err := s.e2ee.Devices(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []client.Device{}
	for _, d := range ds {
		out = append(out, wireDevice(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
}

func (s *Server) device(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	d, err := s.e2ee.Device(r.Context(), a.ID, r.PathValue("device"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireDevice(*d))
}

func (s *Server) deleteDevice(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	if err := s.e2ee.DeleteDevice(r.Context(), a.ID, r.PathValue("device")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) uploadKeys(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	body, err := readJSONBody(w, r, e2ee.MaxRequestBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	count, err := s.e2ee.UploadKeys(r.Context(), a.ID, r.PathValue("device"), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireKeyCount(count))
}

func (s *Server) keyCount(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	d, err := s.e2ee.Device(r.Context(), a.ID, r.PathValue("device"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wireKeyCount(d.Keys))
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	after, err := queryInt(r, "after")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in, err := s.e2ee.Fetch(r.Context(), a.ID, r.PathValue("device"), after, int(min(n, e2ee.MaxInboxLimit)))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.Inbox{Items: []client.InboxItem{}, Next: in.Next, KeyCount: wireKeyCount(in.Keys)}
	for _, d := range in.Items {
		it := client.InboxItem{ID: d.Item.ID, Kind: string(d.Item.Kind), SenderAccount: d.Item.SenderID,
			SenderDevice: d.Item.SenderDevice, ConversationID: d.Item.ConversationID, MessageID: d.Item.MessageID,
			Envelope: d.Item.Envelope, Receipt: d.Receipt, Context: d.Context, CreatedAt: d.Item.CreatedAt}
		if d.Sender != nil {
			it.Sender = d.Sender.Handle
		}
		if d.SenderKeys != nil {
			k := client.DeviceKeys(*d.SenderKeys)
			it.SenderKeys = &k
		}
		out.Items = append(out.Items, it)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) conversationKeys(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := strconv.ParseInt(r.URL.Query().Get("conversation"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, safeguard.Invalid("invalid_parameter", "Parameter \"conversation\" must be a conversation id."))
		return
	}
	ms, err := s.e2ee.QueryKeys(r.Context(), a.ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.ConversationKeys{ConversationID: id, Members: []client.MemberKeys{}}
	for _, m := range ms {
		mk := client.MemberKeys{Handle: m.Account.Handle, Account: m.Account.ID, Devices: []client.DeviceKeys{}}
		for _, d := range m.Devices {
			mk.Devices = append(mk.Devices, client.DeviceKeys(e2ee.DeviceKeys(d)))
		}
		out.Members = append(out.Members, mk)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) claimKeys(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	body, err := readJSONBody(w, r, e2ee.MaxRequestBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ids, err := e2ee.ParseClaim(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	claimed, missing, err := s.e2ee.Claim(r.Context(), a.ID, ids)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.ClaimResult{Keys: []client.OneTimeKey{}, Missing: []client.DeviceRef{}}
	for _, c := range claimed {
		out.Keys = append(out.Keys, client.OneTimeKey(c.Key))
	}
	for _, m := range missing {
		out.Missing = append(out.Missing, client.DeviceRef{Account: m.Account, Device: m.Device})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) toDevice(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	body, err := readJSONBody(w, r, e2ee.MaxRequestBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := e2ee.ParseToDevice(body, a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.e2ee.SendToDevice(r.Context(), a.ID, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, client.ToDeviceResult{Queued: n})
}

func (s *Server) uploadBlob(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, perr := mime.ParseMediaType(ct); perr != nil || mt != "application/octet-stream" {
			err = safeguard.Errorf(safeguard.ErrInvalid, "unsupported_media_type", "Send the encrypted attachment as application/octet-stream.")
		}
	}
	var data []byte
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	max := s.e2ee.Config().MaxBlobBytes
	data, err = readBody(w, r, max)
	var se *safeguard.Error
	if errors.As(err, &se) && se.Code == "body_too_large" {
		err = safeguard.Errorf(safeguard.ErrTooLarge, "blob_too_large", "That attachment is too big. The limit is %d MB.", max>>20)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.e2ee.PutBlob(r.Context(), a.ID, id, data, s.origin(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, client.Blob{ID: b.ID, ConversationID: b.ConversationID, Size: b.Size, CreatedAt: b.CreatedAt})
}

func (s *Server) blob(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	id, err := pathID(r, "id")
	var data []byte
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, data, err = s.e2ee.OpenBlob(r.Context(), a.ID, id, r.PathValue("blob"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", "attachment")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(data)
}

func (s *Server) reportFranking(w http.ResponseWriter, r *http.Request, a *safeguard.Account) {
	body, err := readJSONBody(w, r, e2ee.MaxRequestBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := e2ee.ParseReportRequest(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reason, err := frankingReason(req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.e2ee.Report(r.Context(), a.ID, req, reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, client.ReportResult{DetectionID: d.ID, Status: "received", Notices: wireNotices([]string{"adult_concern"})})
}

// frankingReason looks a report reason up in the platform's list, the one
// every report uses (internal/cases); no reason is "something_else". The
// reporter of an end-to-end encrypted message is an adult, so a signal
// meant only for a minor's report is left out.
func frankingReason(code string) (e2ee.Reason, error) {
	if code == "" {
		code = "something_else"
	}
	for _, r := range cases.Reasons() {
		if r.Code == code {
			out := e2ee.Reason{Code: r.Code, Category: r.Category, Severity: r.Severity}
			if !r.MinorOnlySignal {
				out.Signal = r.Signal
			}
			return out, nil
		}
	}
	return e2ee.Reason{}, safeguard.Invalid("invalid_reason", "Choose a reason for the report.")
}

// E2EENotifier returns the notifier the e2ee service uses to deliver its
// live events (device.changed) through the bus.
func E2EENotifier(b bus.Bus, log *slog.Logger) e2ee.Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &e2eeNotifier{bus: b, log: log}
}

type e2eeNotifier struct {
	bus bus.Bus
	log *slog.Logger
}

// Notify implements e2ee.Notifier: one client.Event, published to each
// recipient's topic.
func (n *e2eeNotifier) Notify(ctx context.Context, note e2ee.Notification) {
	ev := client.Event{Type: note.Type, At: time.Now().UTC()}
	if note.Account != nil {
		ev.Device = &client.DeviceChange{Handle: note.Account.Handle, Account: note.Account.ID, Device: note.Device, Change: note.Change}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		n.log.ErrorContext(ctx, "encode live event", "type", note.Type, "err", err)
		return
	}
	for _, to := range note.To {
		if err := n.bus.Publish(ctx, topic(to), b); err != nil {
			n.log.WarnContext(ctx, "publish live event", "type", note.Type, "err", err)
		}
	}
}
