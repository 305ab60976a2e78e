package e2ee

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
)

// Limits on request bodies.
const (
	// MaxKeysPerUpload caps the one-time keys of one upload.
	MaxKeysPerUpload = 100
	// MaxClaims caps the devices of one claim: a group of 256 with a few
	// devices each.
	MaxClaims = 1024
	// MaxToDevice caps the envelopes of one to-device request.
	MaxToDevice = 1024
	// MaxRequestBytes caps the JSON of a key or to-device request.
	MaxRequestBytes = 4 << 20
)

// Registration is a device's request to join the key directory: its signed
// identity keys, and optionally its first one-time keys and fallback key.
type Registration struct {
	Keys        ce.DeviceKeys
	OneTimeKeys []ce.OneTimeKey
	FallbackKey *ce.OneTimeKey
}

// KeyUpload is a device's new one-time keys and fallback key.
type KeyUpload struct {
	OneTimeKeys []ce.OneTimeKey
	FallbackKey *ce.OneTimeKey
}

// ToDevice is a batch of direct envelopes from one of the caller's devices.
type ToDevice struct {
	From     string // the sending device's name
	Messages []DirectMessage
}

// DirectMessage is one direct envelope and the device it is addressed to.
type DirectMessage struct {
	To       ce.DeviceID
	Envelope []byte
	Parsed   ce.DirectEnvelope
}

// ReportRequest is a franking report and the reason the reporter gives,
// one of the platform's report reasons (internal/cases, reasons.json).
type ReportRequest struct {
	Report franking.Report
	Reason string // empty when the reporter gave none
}

// ParseRegistration decodes {"keys":{…},"one_time_keys":[…],"fallback_key":{…}}.
// The device keys must be validly self-signed and every one-time key signed
// by them.
func ParseRegistration(b []byte) (Registration, error) {
	var w struct {
		Keys        json.RawMessage   `json:"keys"`
		OneTimeKeys []json.RawMessage `json:"one_time_keys"`
		FallbackKey json.RawMessage   `json:"fallback_key"`
	}
	if err := strict(b, &w); err != nil {
		return Registration{}, err
	}
	if len(w.Keys) == 0 || string(w.Keys) == "null" {
		return Registration{}, invalid("keys: missing")
	}
	keys, err := ce.ParseDeviceKeys(w.Keys)
	if err != nil {
		return Registration{}, fieldError("keys", err)
	}
	up, err := parseKeys(w.OneTimeKeys, w.FallbackKey, keys)
	if err != nil {
		return Registration{}, err
	}
	return Registration{Keys: keys, OneTimeKeys: up.OneTimeKeys, FallbackKey: up.FallbackKey}, nil
}

// ParseKeyUpload decodes {"one_time_keys":[…],"fallback_key":{…}} and checks
// every key's signature against the device's keys.
func ParseKeyUpload(b []byte, device ce.DeviceKeys) (KeyUpload, error) {
	var w struct {
		OneTimeKeys []json.RawMessage `json:"one_time_keys"`
		FallbackKey json.RawMessage   `json:"fallback_key"`
	}
	if err := strict(b, &w); err != nil {
		return KeyUpload{}, err
	}
	return parseKeys(w.OneTimeKeys, w.FallbackKey, device)
}

func parseKeys(otks []json.RawMessage, fallback json.RawMessage, device ce.DeviceKeys) (KeyUpload, error) {
	if len(otks) > MaxKeysPerUpload {
		return KeyUpload{}, invalid("one_time_keys: %d keys, at most %d in one upload", len(otks), MaxKeysPerUpload)
	}
	var up KeyUpload
	seen := map[string]bool{}
	for i, raw := range otks {
		field := fmt.Sprintf("one_time_keys[%d]", i)
		k, err := ce.ParseOneTimeKey(raw)
		if err != nil {
			return KeyUpload{}, fieldError(field, err)
		}
		if k.Fallback {
			return KeyUpload{}, invalid("%s: a fallback key goes in fallback_key", field)
		}
		if err := k.Verify(device); err != nil {
			return KeyUpload{}, fieldError(field, err)
		}
		if seen[k.KeyID] {
			return KeyUpload{}, invalid("%s: key id %q appears twice", field, k.KeyID)
		}
		seen[k.KeyID] = true
		up.OneTimeKeys = append(up.OneTimeKeys, k)
	}
	if len(fallback) > 0 && string(fallback) != "null" {
		k, err := ce.ParseOneTimeKey(fallback)
		if err != nil {
			return KeyUpload{}, fieldError("fallback_key", err)
		}
		if !k.Fallback {
			return KeyUpload{}, invalid("fallback_key: the key is not marked as a fallback key")
		}
		if err := k.Verify(device); err != nil {
			return KeyUpload{}, fieldError("fallback_key", err)
		}
		up.FallbackKey = &k
	}
	return up, nil
}

// ParseClaim decodes {"devices":[{"account":N,"device":"NAME"},…]}.
func ParseClaim(b []byte) ([]ce.DeviceID, error) {
	var w struct {
		Devices []struct {
			Account int64  `json:"account"`
			Device  string `json:"device"`
		} `json:"devices"`
	}
	if err := strict(b, &w); err != nil {
		return nil, err
	}
	if len(w.Devices) == 0 {
		return nil, invalid("devices: name at least one device")
	}
	if len(w.Devices) > MaxClaims {
		return nil, invalid("devices: %d devices, at most %d in one claim", len(w.Devices), MaxClaims)
	}
	out := make([]ce.DeviceID, 0, len(w.Devices))
	seen := map[ce.DeviceID]bool{}
	for i, d := range w.Devices {
		id := ce.DeviceID{Account: d.Account, Device: d.Device}
		if err := id.Validate(); err != nil {
			return nil, invalid("devices[%d]: %v", i, err)
		}
		if seen[id] {
			return nil, invalid("devices[%d]: device %s appears twice", i, id)
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, nil
}

// ParseToDevice decodes {"device":"MINE","messages":[{"account":N,
// "device":"THEIRS","envelope":"<base64>"},…]}. Each envelope must be a
// direct envelope from the named device of sender to the device it is
// addressed to.
func ParseToDevice(b []byte, sender int64) (ToDevice, error) {
	var w struct {
		Device   string `json:"device"`
		Messages []struct {
			Account  int64  `json:"account"`
			Device   string `json:"device"`
			Envelope []byte `json:"envelope"`
		} `json:"messages"`
	}
	if err := strict(b, &w); err != nil {
		return ToDevice{}, err
	}
	from := ce.DeviceID{Account: sender, Device: w.Device}
	if err := from.Validate(); err != nil {
		return ToDevice{}, invalid("device: %v", err)
	}
	if len(w.Messages) == 0 {
		return ToDevice{}, invalid("messages: send at least one envelope")
	}
	if len(w.Messages) > MaxToDevice {
		return ToDevice{}, invalid("messages: %d envelopes, at most %d at once", len(w.Messages), MaxToDevice)
	}
	out := ToDevice{From: w.Device}
	for i, m := range w.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		to := ce.DeviceID{Account: m.Account, Device: m.Device}
		if err := to.Validate(); err != nil {
			return ToDevice{}, invalid("%s: %v", field, err)
		}
		env, err := ce.ParseDirectEnvelope(m.Envelope)
		if err != nil {
			return ToDevice{}, fieldError(field+".envelope", err)
		}
		if env.Sender != from {
			return ToDevice{}, invalid("%s.envelope: sent by %s, not by this device %s", field, env.Sender, from)
		}
		if env.Recipient != to {
			return ToDevice{}, invalid("%s.envelope: addressed to %s, not %s", field, env.Recipient, to)
		}
		out.Messages = append(out.Messages, DirectMessage{To: to, Envelope: m.Envelope, Parsed: env})
	}
	return out, nil
}

// ParseReportRequest decodes {"report":{…franking report…},"reason":"…"}.
// The report itself is parsed by franking.ParseReport, which accepts only
// canonical encodings; the reason is a code of 1 to 64 of [a-z_], which the
// caller looks up.
func ParseReportRequest(b []byte) (ReportRequest, error) {
	var w struct {
		Report json.RawMessage `json:"report"`
		Reason string          `json:"reason"`
	}
	if err := strict(b, &w); err != nil {
		return ReportRequest{}, err
	}
	if len(w.Report) == 0 || string(w.Report) == "null" {
		return ReportRequest{}, invalid("report: missing")
	}
	rep, err := franking.ParseReport(w.Report)
	if err != nil {
		return ReportRequest{}, err
	}
	if len(w.Reason) > 64 || strings.Trim(w.Reason, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return ReportRequest{}, safeguard.Invalid("invalid_reason", "Choose a reason for the report.")
	}
	return ReportRequest{Report: rep, Reason: w.Reason}, nil
}

// strict decodes one JSON object into v: unknown fields, trailing data and
// oversized input refused, the error naming the field or byte at fault.
func strict(b []byte, v any) error {
	if len(b) > MaxRequestBytes {
		return safeguard.Errorf(safeguard.ErrTooLarge, "body_too_large", "The request body is larger than %d bytes.", MaxRequestBytes)
	}
	if !utf8.Valid(b) {
		return safeguard.Invalid("invalid_json", "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return safeguard.Invalid("empty_body", "The request body is empty; send a JSON object.")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return safeguard.Invalid("invalid_json", "The request body is not complete JSON.")
		case errors.As(err, &syn):
			return safeguard.Invalid("invalid_json", "The request body is not valid JSON (at byte %d).", syn.Offset)
		case errors.As(err, &typ) && typ.Field != "":
			return safeguard.Invalid("invalid_field", "Field %q has the wrong type (at byte %d).", typ.Field, typ.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return safeguard.Invalid("unknown_field", "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return safeguard.Invalid("invalid_json", "The request body is not a valid JSON object: %v.", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return safeguard.Invalid("invalid_json", "The request body must hold a single JSON object.")
	}
	return nil
}

func invalid(format string, args ...any) error {
	return safeguard.Invalid("invalid_request", format+".", args...)
}

// fieldError names the field an error of client/e2ee or franking is about,
// keeping its code and kind.
func fieldError(field string, err error) error {
	var e *safeguard.Error
	if errors.As(err, &e) {
		return &safeguard.Error{Kind: e.Kind, Code: e.Code, Message: field + ": " + e.Message, Err: e.Err}
	}
	return invalid("%s: %v", field, err)
}
