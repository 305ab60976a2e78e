package e2ee_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
)

// newDevice returns a device with three one-time keys and a fallback key.
func newDevice(t testing.TB, account int64, name string) *ce.Device {
	t.Helper()
	d, err := ce.NewDevice(ce.DeviceID{Account: account, Device: name}, ce.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.GenerateOneTimeKeys(3); err != nil {
		t.Fatal(err)
	}
	if err := d.GenerateFallbackKey(); err != nil {
		t.Fatal(err)
	}
	return d
}

func registration(t testing.TB, d *ce.Device) []byte {
	t.Helper()
	w := map[string]any{"keys": d.Keys()}
	var otks []ce.OneTimeKey
	for _, k := range d.UnpublishedKeys() {
		if k.Fallback {
			w["fallback_key"] = k
		} else {
			otks = append(otks, k)
		}
	}
	w["one_time_keys"] = otks
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseRegistration(t *testing.T) {
	d := newDevice(t, 7, "PHONE")
	other := newDevice(t, 7, "OTHER")
	good := registration(t, d)
	reg, err := e2ee.ParseRegistration(good)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Keys != d.Keys() || len(reg.OneTimeKeys) != 3 || reg.FallbackKey == nil {
		t.Errorf("parsed %+v", reg)
	}
	keys := d.Keys()
	forged := keys
	forged.Curve25519 = other.Keys().Curve25519
	otherKey := other.UnpublishedKeys()[0]
	ownKey := d.UnpublishedKeys()[0]
	fallback := d.UnpublishedKeys()[3]
	tests := []struct {
		name, body, code, message string
	}{
		{"empty", ``, "empty_body", "empty"},
		{"cut short", `{"keys":`, "invalid_json", "not complete JSON"},
		{"not json", `{"keys":]`, "invalid_json", "not valid JSON (at byte 9)"},
		{"unknown field", `{"keys":` + mustJSON(t, keys) + `,"extra":1}`, "unknown_field", `"extra"`},
		{"trailing", string(good) + `{}`, "invalid_json", "single JSON object"},
		{"no keys", `{}`, "invalid_request", "keys: missing"},
		{"forged keys", `{"keys":` + mustJSON(t, forged) + `}`, "e2ee_bad_signature", "keys: "},
		{"bad device name", `{"keys":{"account":7,"device":"has space","curve25519":"","ed25519":"","signature":""}}`, "e2ee_malformed", "keys: "},
		{"key of another device", `{"keys":` + mustJSON(t, keys) + `,"one_time_keys":[` + mustJSON(t, otherKey) + `]}`, "e2ee_bad_signature", "one_time_keys[0]"},
		{"fallback among one-time keys", `{"keys":` + mustJSON(t, keys) + `,"one_time_keys":[` + mustJSON(t, fallback) + `]}`, "invalid_request", "fallback_key"},
		{"one-time key as fallback", `{"keys":` + mustJSON(t, keys) + `,"fallback_key":` + mustJSON(t, ownKey) + `}`, "invalid_request", "not marked"},
		{"repeated key", `{"keys":` + mustJSON(t, keys) + `,"one_time_keys":[` + mustJSON(t, ownKey) + `,` + mustJSON(t, ownKey) + `]}`, "invalid_request", "appears twice"},
		{"wrong type", `{"keys":` + mustJSON(t, keys) + `,"one_time_keys":{}}`, "invalid_field", "one_time_keys"},
		{"invalid utf-8", "{\"keys\":\"\xff\"}", "invalid_json", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e2ee.ParseRegistration([]byte(tt.body))
			wantError(t, err, tt.code, tt.message)
		})
	}
}

// wantError checks an error's code and that its user message mentions what
// is wrong.
func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := safeguard.ErrorCode(err); got != code {
		t.Errorf("code %q, want %q (%v)", got, code, err)
	}
	if msg := safeguard.ErrorMessage(err); !strings.Contains(msg, message) {
		t.Errorf("message %q does not mention %q", msg, message)
	}
}

func TestParseKeyUpload(t *testing.T) {
	d := newDevice(t, 7, "PHONE")
	var otks []ce.OneTimeKey
	for _, k := range d.UnpublishedKeys() {
		if !k.Fallback {
			otks = append(otks, k)
		}
	}
	good := mustJSON(t, map[string]any{"one_time_keys": otks})
	up, err := e2ee.ParseKeyUpload([]byte(good), d.Keys())
	if err != nil || len(up.OneTimeKeys) != 3 || up.FallbackKey != nil {
		t.Errorf("parsed %+v, %v", up, err)
	}
	// Against another device's keys, the signatures fail.
	_, err = e2ee.ParseKeyUpload([]byte(good), newDevice(t, 7, "PHONE").Keys())
	wantError(t, err, "e2ee_bad_signature", "one_time_keys[0]")
	many := make([]ce.OneTimeKey, e2ee.MaxKeysPerUpload+1)
	_, err = e2ee.ParseKeyUpload([]byte(mustJSON(t, map[string]any{"one_time_keys": many})), d.Keys())
	wantError(t, err, "invalid_request", "at most 100")
}

func TestParseClaim(t *testing.T) {
	ids, err := e2ee.ParseClaim([]byte(`{"devices":[{"account":1,"device":"A"},{"account":2,"device":"A"}]}`))
	if err != nil || len(ids) != 2 || ids[1] != (ce.DeviceID{Account: 2, Device: "A"}) {
		t.Errorf("parsed %v, %v", ids, err)
	}
	tests := []struct{ name, body, code, message string }{
		{"none", `{"devices":[]}`, "invalid_request", "at least one"},
		{"bad name", `{"devices":[{"account":1,"device":""}]}`, "invalid_request", "devices[0]"},
		{"twice", `{"devices":[{"account":1,"device":"A"},{"account":1,"device":"A"}]}`, "invalid_request", "devices[1]: device 1/A appears twice"},
		{"string account", `{"devices":[{"account":"1","device":"A"}]}`, "invalid_field", "account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e2ee.ParseClaim([]byte(tt.body))
			wantError(t, err, tt.code, tt.message)
		})
	}
}

// directFrom returns a direct envelope from one device to another.
func directFrom(t testing.TB, from, to *ce.Device) []byte {
	t.Helper()
	var otk ce.OneTimeKey
	for _, k := range to.UnpublishedKeys() {
		otk = k
	}
	if _, err := from.StartSession(to.Keys(), otk); err != nil {
		t.Fatal(err)
	}
	env, err := from.EncryptDirect(to.ID(), []byte("key share"))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestParseToDevice(t *testing.T) {
	a, b := newDevice(t, 1, "A1"), newDevice(t, 2, "B1")
	env := directFrom(t, a, b)
	body := func(from string, account int64, device string, env []byte) []byte {
		return []byte(mustJSON(t, map[string]any{"device": from, "messages": []any{
			map[string]any{"account": account, "device": device, "envelope": env}}}))
	}
	req, err := e2ee.ParseToDevice(body("A1", 2, "B1", env), 1)
	if err != nil || req.From != "A1" || len(req.Messages) != 1 || req.Messages[0].Parsed.Recipient != b.ID() {
		t.Fatalf("parsed %+v, %v", req, err)
	}
	tests := []struct {
		name   string
		body   []byte
		sender int64
		code   string
		msg    string
	}{
		{"another sender account", body("A1", 2, "B1", env), 9, "invalid_request", "sent by 1/A1, not by this device 9/A1"},
		{"another sender device", body("A2", 2, "B1", env), 1, "invalid_request", "not by this device 1/A2"},
		{"addressed elsewhere", body("A1", 2, "B2", env), 1, "invalid_request", "addressed to 2/B1, not 2/B2"},
		{"not an envelope", body("A1", 2, "B1", []byte{1, 1, 0}), 1, "e2ee_malformed", "messages[0].envelope"},
		{"no messages", []byte(`{"device":"A1","messages":[]}`), 1, "invalid_request", "at least one"},
		{"no device", []byte(`{"messages":[]}`), 1, "invalid_request", "device:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e2ee.ParseToDevice(tt.body, tt.sender)
			wantError(t, err, tt.code, tt.msg)
		})
	}
}

func sampleReport(t testing.TB) franking.Report {
	t.Helper()
	ring := franking.NewKeyRing(franking.KeyRingConfig{})
	kf := franking.NewKey()
	m := franking.Message{Text: "hello"}
	cf, err := franking.Commit(kf, m)
	if err != nil {
		t.Fatal(err)
	}
	fc := franking.Context{SenderAccount: 1, SenderDevice: "A1", RecipientAccount: 2, ConversationID: 3,
		ServerTime: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), MessageID: 4}
	r, err := franking.Signer{Keys: ring}.Stamp(cf, fc)
	if err != nil {
		t.Fatal(err)
	}
	return franking.Report{Message: m, Key: kf, Receipt: r, Context: fc}
}

func TestParseReportRequest(t *testing.T) {
	rep := mustJSON(t, sampleReport(t))
	got, err := e2ee.ParseReportRequest([]byte(`{"report":` + rep + `,"reason":"asked_for_photos"}`))
	if err != nil || got.Reason != "asked_for_photos" || got.Report.Message.Text != "hello" {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	if got, err := e2ee.ParseReportRequest([]byte(`{"report":` + rep + `}`)); err != nil || got.Reason != "" {
		t.Errorf("no reason: %+v, %v", got, err)
	}
	tests := []struct{ name, body, code, message string }{
		{"no report", `{"reason":"something_else"}`, "invalid_request", "report: missing"},
		{"bad reason", `{"report":` + rep + `,"reason":"Not A Code"}`, "invalid_reason", "Choose a reason"},
		{"bad report", `{"report":{"version":2}}`, "franking_malformed", "report"},
		{"unknown field", `{"report":` + rep + `,"comment":"x"}`, "unknown_field", `"comment"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e2ee.ParseReportRequest([]byte(tt.body))
			wantError(t, err, tt.code, tt.message)
		})
	}
}

func TestCheckGroupEnvelope(t *testing.T) {
	a, b := newDevice(t, 1, "A1"), newDevice(t, 2, "B1")
	directFrom(t, a, b)
	out, err := a.EncryptGroup(5, []ce.DeviceID{b.ID()}, ce.Plaintext{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := e2ee.CheckGroupEnvelope(out.Envelope, 5, 1)
	if err != nil || env.Sender != a.ID() || env.Commitment != out.Commitment {
		t.Errorf("checked %+v, %v", env, err)
	}
	_, err = e2ee.CheckGroupEnvelope(out.Envelope, 6, 1)
	wantError(t, err, "envelope_mismatch", "conversation 5")
	_, err = e2ee.CheckGroupEnvelope(out.Envelope, 5, 2)
	wantError(t, err, "envelope_mismatch", "another sender")
	_, err = e2ee.CheckGroupEnvelope(out.KeyShares[0].Envelope, 5, 1)
	wantError(t, err, "e2ee_malformed", "envelope: ")
	if !errors.Is(err, ce.ErrMalformed) {
		t.Errorf("direct envelope as group envelope: %v", err)
	}
}
