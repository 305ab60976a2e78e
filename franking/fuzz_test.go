package franking_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/franking"
)

// Every parser accepts exactly the canonical encodings: whatever parses
// re-encodes to the same bytes.

func FuzzParseMessage(f *testing.F) {
	for _, m := range []franking.Message{{}, {Text: "hi"}, sampleMessage()} {
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := franking.ParseMessage(b)
		if err != nil {
			return
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed message does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzParseContext(f *testing.F) {
	b, err := sampleContext(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)).MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := franking.ParseContext(b)
		if err != nil {
			return
		}
		again, err := c.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed context does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzParseReceipt(f *testing.F) {
	f.Add(make([]byte, franking.ReceiptSize))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := franking.ParseReceipt(b)
		if err != nil {
			return
		}
		again, _ := r.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzParseReport(f *testing.F) {
	s := newServer(&testing.T{}, newClock())
	for _, m := range []franking.Message{{Text: "x"}, sampleMessage()} {
		rep := deliver(&testing.T{}, s, m)
		b, err := json.Marshal(rep)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"message":"AQ==","franking_key":"","receipt":"","context":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := franking.ParseReport(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(rep)
		if err != nil {
			t.Fatalf("parsed report does not encode: %v", err)
		}
		rep2, err := franking.ParseReport(again)
		if err != nil {
			t.Fatalf("re-encoded report does not parse: %v", err)
		}
		third, _ := json.Marshal(rep2)
		if !bytes.Equal(again, third) {
			t.Fatalf("encoding not stable:\n%s\n%s", again, third)
		}
		// Verification of a parsed report never panics, whatever it holds.
		_, _ = s.verify.Verify(t.Context(), rep)
	})
}
