package e2ee_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client/e2ee"
)

func sampleGroupEnvelope() e2ee.GroupEnvelope {
	e := e2ee.GroupEnvelope{
		Conversation: 12,
		Sender:       e2ee.DeviceID{Account: 34, Device: "PHONE"},
		Index:        56,
		Ciphertext:   []byte("not really a Megolm message"),
	}
	e.SessionID[0], e.Commitment[31] = 1, 2
	return e
}

func sampleDirectEnvelope() e2ee.DirectEnvelope {
	e := e2ee.DirectEnvelope{
		Sender:     e2ee.DeviceID{Account: 1, Device: "A1"},
		Recipient:  e2ee.DeviceID{Account: 2, Device: "B1"},
		Type:       e2ee.OlmPreKey,
		Ciphertext: []byte("olm"),
	}
	e.SenderKey[5] = 9
	return e
}

func TestEnvelopeRoundTrip(t *testing.T) {
	g := sampleGroupEnvelope()
	b, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if kind, err := e2ee.PeekKind(b); err != nil || kind != e2ee.KindGroup {
		t.Errorf("PeekKind = %v, %v", kind, err)
	}
	got, err := e2ee.ParseGroupEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g, got); diff != "" {
		t.Errorf("group round trip (-want +got):\n%s", diff)
	}

	d := sampleDirectEnvelope()
	b, err = d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if kind, err := e2ee.PeekKind(b); err != nil || kind != e2ee.KindDirect {
		t.Errorf("PeekKind = %v, %v", kind, err)
	}
	gotD, err := e2ee.ParseDirectEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, gotD); diff != "" {
		t.Errorf("direct round trip (-want +got):\n%s", diff)
	}
}

func TestParseEnvelopeErrors(t *testing.T) {
	good, _ := sampleGroupEnvelope().MarshalBinary()
	direct, _ := sampleDirectEnvelope().MarshalBinary()
	edit := func(b []byte, f func([]byte) []byte) []byte { return f(bytes.Clone(b)) }
	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		want  string
	}{
		{"group empty", parseGroup, nil, "version: need 1 bytes"},
		{"group version", parseGroup, edit(good, func(b []byte) []byte { b[0] = 9; return b }), "version 9, want 1"},
		{"group as direct", parseDirect, good, "kind 1, want 2"},
		{"direct as group", parseGroup, direct, "kind 2, want 1"},
		{"group truncated header", parseGroup, good[:20], "sender device: need"},
		{"group truncated ciphertext", parseGroup, good[:len(good)-1], "ciphertext: need"},
		{"group trailing", parseGroup, append(bytes.Clone(good), 0), "1 trailing bytes"},
		{"group bad device", parseGroup, edit(good, func(b []byte) []byte { b[19] = ' '; return b }), "not in [A-Za-z0-9_-]"},
		{"group huge ciphertext length", parseGroup, edit(good, func(b []byte) []byte {
			n := len(b) - len("not really a Megolm message") - 4
			copy(b[n:], []byte{0x7f, 0xff, 0xff, 0xff})
			return b
		}), "at most 65536 allowed"},
		{"direct bad type", parseDirect, edit(direct, func(b []byte) []byte { b[len(b)-8] = 7; return b }), "olm message type 7"},
		{"direct truncated", parseDirect, direct[:30], "need"},
		{"too large", parseGroup, make([]byte, e2ee.MaxEnvelopeBytes+1), "at most 65536 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			if !errors.Is(err, e2ee.ErrMalformed) || !errors.Is(err, safeguard.ErrInvalid) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	for _, in := range [][]byte{nil, {1}, {2, 1}, {1, 3}} {
		if _, err := e2ee.PeekKind(in); !errors.Is(err, e2ee.ErrMalformed) {
			t.Errorf("PeekKind(%x) = %v", in, err)
		}
	}
}

func parseGroup(b []byte) error  { _, err := e2ee.ParseGroupEnvelope(b); return err }
func parseDirect(b []byte) error { _, err := e2ee.ParseDirectEnvelope(b); return err }

func TestKeyDocuments(t *testing.T) {
	w := newWorld(t)
	a := w.addDevice(1, "A1")
	b, err := json.Marshal(a.Keys())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := e2ee.ParseDeviceKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	if keys != a.Keys() {
		t.Errorf("ParseDeviceKeys = %+v", keys)
	}
	otk := w.dir.claim(t, a.ID())
	ob, _ := json.Marshal(otk)
	if got, err := e2ee.ParseOneTimeKey(ob); err != nil || got != otk {
		t.Errorf("ParseOneTimeKey = %+v, %v", got, err)
	}
	tests := []struct{ name, in, want string }{
		{"syntax", `{"account":`, "unexpected EOF"},
		{"unknown field", strings.Replace(string(b), `"account"`, `"acount"`, 1), "unknown field"},
		{"trailing", string(b) + "{}", "trailing data"},
		{"bad base64", strings.Replace(string(b), `"curve25519":"`, `"curve25519":"!`, 1), "curve25519: illegal base64"},
		{"bad device", strings.Replace(string(b), `"A1"`, `"A 1"`, 1), "not in [A-Za-z0-9_-]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e2ee.ParseDeviceKeys([]byte(tt.in))
			if !errors.Is(err, e2ee.ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseDeviceKeys = %v, want ErrMalformed with %q", err, tt.want)
			}
		})
	}
}
