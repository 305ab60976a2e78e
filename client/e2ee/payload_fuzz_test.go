package e2ee

import (
	"encoding/json"
	"testing"
)

// The plaintext parsers run only on authenticated plaintext, but a member
// of a conversation chooses that plaintext: they get fuzzed too.

func FuzzParseGroupContent(f *testing.F) {
	good, _ := json.Marshal(groupContent{
		Version: payloadVersion, Conversation: 1, Sender: deviceJSON{1, "A1"}, Text: "hi",
		FrankingKey: make([]byte, 32),
	})
	f.Add(good)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseGroupContent(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseGroupContent(again); err != nil {
			t.Fatalf("re-encoded content does not parse: %v", err)
		}
		if _, err := c.frankingMessage().MarshalBinary(); err != nil {
			t.Fatalf("valid content has no franking encoding: %v", err)
		}
	})
}

func FuzzParseDirectPayload(f *testing.F) {
	good, _ := json.Marshal(directPayload{
		Version: payloadVersion, Type: directMessage, Sender: deviceJSON{1, "A1"}, Recipient: deviceJSON{2, "B1"}, Body: []byte("x"),
	})
	f.Add(good)
	f.Add([]byte(`{"v":1,"type":"group_key"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseDirectPayload(b)
		if err != nil {
			return
		}
		again, _ := json.Marshal(p)
		if _, err := parseDirectPayload(again); err != nil {
			t.Fatalf("re-encoded payload does not parse: %v", err)
		}
	})
}
