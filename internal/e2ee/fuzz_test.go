package e2ee_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
)

// The server's parsers of what clients send: each either refuses the input
// with an error, or returns a value that keeps the parser's promises.

func FuzzParseRegistration(f *testing.F) {
	d := newDevice(f, 7, "PHONE")
	f.Add(registration(f, d))
	f.Add([]byte(`{"keys":{"account":7,"device":"X","curve25519":"","ed25519":"","signature":""}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		reg, err := e2ee.ParseRegistration(b)
		if err != nil {
			return
		}
		if err := reg.Keys.Verify(); err != nil {
			t.Fatalf("accepted keys that do not verify: %v", err)
		}
		for _, k := range reg.OneTimeKeys {
			if k.Fallback || k.Verify(reg.Keys) != nil {
				t.Fatalf("accepted a one-time key not signed by the device: %+v", k)
			}
		}
		if reg.FallbackKey != nil && (!reg.FallbackKey.Fallback || reg.FallbackKey.Verify(reg.Keys) != nil) {
			t.Fatalf("accepted a bad fallback key: %+v", reg.FallbackKey)
		}
	})
}

func FuzzParseKeyUpload(f *testing.F) {
	d := newDevice(f, 7, "PHONE")
	var otks []ce.OneTimeKey
	var fb ce.OneTimeKey
	for _, k := range d.UnpublishedKeys() {
		if k.Fallback {
			fb = k
		} else {
			otks = append(otks, k)
		}
	}
	b, _ := json.Marshal(map[string]any{"one_time_keys": otks, "fallback_key": fb})
	f.Add(b)
	f.Add([]byte(`{"one_time_keys":[]}`))
	keys := d.Keys()
	f.Fuzz(func(t *testing.T, b []byte) {
		up, err := e2ee.ParseKeyUpload(b, keys)
		if err != nil {
			return
		}
		if len(up.OneTimeKeys) > e2ee.MaxKeysPerUpload {
			t.Fatalf("accepted %d keys", len(up.OneTimeKeys))
		}
		for _, k := range up.OneTimeKeys {
			if k.Verify(keys) != nil {
				t.Fatalf("accepted an unsigned key %+v", k)
			}
		}
	})
}

func FuzzParseClaim(f *testing.F) {
	f.Add([]byte(`{"devices":[{"account":1,"device":"A"}]}`))
	f.Add([]byte(`{"devices":[{"account":1,"device":"A"},{"account":1,"device":"A"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := e2ee.ParseClaim(b)
		if err != nil {
			return
		}
		if len(ids) == 0 || len(ids) > e2ee.MaxClaims {
			t.Fatalf("accepted %d devices", len(ids))
		}
		seen := map[ce.DeviceID]bool{}
		for _, id := range ids {
			if id.Validate() != nil || seen[id] {
				t.Fatalf("accepted device %v", id)
			}
			seen[id] = true
		}
	})
}

func FuzzParseToDevice(f *testing.F) {
	a, b := newDevice(f, 1, "A1"), newDevice(f, 2, "B1")
	env := directFrom(f, a, b)
	body, _ := json.Marshal(map[string]any{"device": "A1", "messages": []any{
		map[string]any{"account": 2, "device": "B1", "envelope": env}}})
	f.Add(body, int64(1))
	f.Add([]byte(`{"device":"A1","messages":[{"account":2,"device":"B1","envelope":"AQI="}]}`), int64(1))
	f.Fuzz(func(t *testing.T, b []byte, sender int64) {
		req, err := e2ee.ParseToDevice(b, sender)
		if err != nil {
			return
		}
		from := ce.DeviceID{Account: sender, Device: req.From}
		for _, m := range req.Messages {
			if m.Parsed.Sender != from || m.Parsed.Recipient != m.To {
				t.Fatalf("accepted an envelope from %v to %v as from %v to %v", m.Parsed.Sender, m.Parsed.Recipient, from, m.To)
			}
			again, err := ce.ParseDirectEnvelope(m.Envelope)
			if err != nil || again.Recipient != m.To {
				t.Fatalf("kept envelope does not parse: %v", err)
			}
		}
	})
}

func FuzzParseReportRequest(f *testing.F) {
	rep, _ := json.Marshal(sampleReport(f))
	f.Add([]byte(`{"report":` + string(rep) + `,"reason":"something_else"}`))
	f.Add([]byte(`{"report":{"version":1},"reason":"x"}`))
	ring := franking.NewKeyRing(franking.KeyRingConfig{})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := e2ee.ParseReportRequest(b)
		if err != nil {
			return
		}
		if len(req.Reason) > 64 || strings.Trim(req.Reason, "abcdefghijklmnopqrstuvwxyz_") != "" {
			t.Fatalf("accepted reason %q", req.Reason)
		}
		again, err := json.Marshal(req.Report)
		if err != nil {
			t.Fatalf("parsed report does not encode: %v", err)
		}
		if _, err := franking.ParseReport(again); err != nil {
			t.Fatalf("re-encoded report does not parse: %v", err)
		}
		// Verifying whatever parsed never panics.
		v := franking.Verifier{Keys: ring, Seen: &franking.MemorySeen{}, Now: func() time.Time { return req.Report.Context.ServerTime }}
		_, _ = v.Verify(t.Context(), req.Report)
	})
}

func FuzzCheckGroupEnvelope(f *testing.F) {
	a, b := newDevice(f, 1, "A1"), newDevice(f, 2, "B1")
	directFrom(f, a, b)
	out, err := a.EncryptGroup(5, []ce.DeviceID{b.ID()}, ce.Plaintext{Text: "hi"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(out.Envelope, int64(5), int64(1))
	f.Add(out.KeyShares[0].Envelope, int64(5), int64(1))
	f.Fuzz(func(t *testing.T, b []byte, conv, sender int64) {
		env, err := e2ee.CheckGroupEnvelope(b, conv, sender)
		if err != nil {
			return
		}
		if env.Conversation != conv || env.Sender.Account != sender {
			t.Fatalf("accepted an envelope of %d/%v for %d/%d", env.Conversation, env.Sender, conv, sender)
		}
		again, err := env.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical envelope: %v", err)
		}
	})
}

func FuzzParseKeyFile(f *testing.F) {
	ring := franking.NewKeyRing(franking.KeyRingConfig{})
	ring.Current()
	b, err := e2ee.MarshalKeyFile(ring.Keys())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"version":1,"keys":[{"id":1,"secret":"00","created":"2026-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := e2ee.ParseKeyFile(b)
		if err != nil {
			return
		}
		r := franking.NewKeyRing(franking.KeyRingConfig{Window: 1 << 62})
		for _, k := range keys {
			if err := r.Add(k); err != nil {
				t.Fatalf("parsed key %d is not usable: %v", k.ID, err)
			}
		}
		again, err := e2ee.MarshalKeyFile(keys)
		if err != nil {
			t.Fatal(err)
		}
		back, err := e2ee.ParseKeyFile(again)
		if err != nil || len(back) != len(keys) {
			t.Fatalf("re-encoded key file: %d keys, %v", len(back), err)
		}
	})
}
