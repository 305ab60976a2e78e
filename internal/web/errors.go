package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
)

// statusOf is the one table from error kinds to HTTP status codes.
var statusOf = []struct {
	kind   error
	status int
}{
	{safeguard.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{safeguard.ErrInvalid, http.StatusBadRequest},
	{safeguard.ErrNotFound, http.StatusNotFound},
	{safeguard.ErrConflict, http.StatusConflict},
	{safeguard.ErrPermission, http.StatusForbidden},
	{safeguard.ErrUnauthenticated, http.StatusUnauthorized},
	{safeguard.ErrRateLimited, http.StatusTooManyRequests},
	{safeguard.ErrUnavailable, http.StatusServiceUnavailable},
}

// statusByCode refines the table for codes whose status is more precise
// than their kind's.
var statusByCode = map[string]int{
	"unsupported_media_type": http.StatusUnsupportedMediaType,
}

// status returns the HTTP status for err.
func status(err error) int {
	if s, ok := statusByCode[safeguard.ErrorCode(err)]; ok {
		return s
	}
	for _, e := range statusOf {
		if errors.Is(err, e.kind) {
			return e.status
		}
	}
	return http.StatusInternalServerError
}

// writeError writes err as {"error":{"code","message"}}. Internal causes are
// logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := status(err)
	if code >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(safeguard.RetrySeconds(safeguard.RetryAfter(err))))
	}
	writeJSON(w, code, client.ErrorBody{Error: client.ErrorDetail{Code: safeguard.ErrorCode(err), Message: safeguard.ErrorMessage(err)}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", err)
		code, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"Something went wrong on our side."}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// decode reads one JSON object from r's body into v: the body capped at
// limit bytes, unknown fields and trailing data refused, each with a code.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return safeguard.Errorf(safeguard.ErrInvalid, "unsupported_media_type", "Send JSON (Content-Type: application/json).")
		}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return safeguard.Invalid("invalid_json", "The request body must hold a single JSON object.")
	}
	return nil
}

// jsonError turns a decoding error into a clear answer.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return safeguard.Errorf(safeguard.ErrTooLarge, "body_too_large", "The request body is larger than %d bytes.", mbe.Limit)
	case errors.Is(err, io.EOF):
		return safeguard.Invalid("empty_body", "The request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return safeguard.Invalid("invalid_json", "The request body is not complete JSON.")
	case errors.As(err, &syn):
		return safeguard.Invalid("invalid_json", "The request body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return safeguard.Invalid("invalid_json", "The request body must be a JSON object.")
		}
		return safeguard.Invalid("invalid_field", "Field %q must be a %s.", field, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return safeguard.Invalid("unknown_field", "Unknown field %s.", name)
	}
	return safeguard.Invalid("invalid_json", "The request body is not valid JSON.")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "struct", "map":
		return "object"
	}
	if strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint") || strings.HasPrefix(k, "float") {
		return "number"
	}
	return k
}

// require returns an error naming the first empty field of pairs (name,
// value).
func require(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return safeguard.Invalid("missing_field", "Field %q is required.", pairs[i])
		}
	}
	return nil
}

// pathID parses a numeric path value.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, safeguard.NotFound
	}
	return id, nil
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, safeguard.Invalid("invalid_parameter", "Parameter %q must be a whole number.", name)
	}
	return n, nil
}
