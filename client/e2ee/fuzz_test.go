package e2ee_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/safeguard-dev/safeguard/client/e2ee"
)

// The envelope parsers accept exactly their encodings: whatever parses
// re-encodes to the same bytes.

func FuzzParseGroupEnvelope(f *testing.F) {
	b, _ := sampleGroupEnvelope().MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := e2ee.ParseGroupEnvelope(b)
		if err != nil {
			return
		}
		again, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed envelope does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzParseDirectEnvelope(f *testing.F) {
	b, _ := sampleDirectEnvelope().MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := e2ee.ParseDirectEnvelope(b)
		if err != nil {
			return
		}
		again, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed envelope does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzParseDeviceKeys(f *testing.F) {
	d, err := e2ee.NewDevice(e2ee.DeviceID{Account: 1, Device: "F1"}, e2ee.Options{})
	if err != nil {
		f.Fatal(err)
	}
	b, _ := json.Marshal(d.Keys())
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := e2ee.ParseDeviceKeys(b)
		if err != nil {
			return
		}
		// Whatever parses is validly signed.
		if err := k.Verify(); err != nil {
			t.Fatalf("parsed keys do not verify: %v", err)
		}
	})
}

func FuzzParseOneTimeKey(f *testing.F) {
	d, err := e2ee.NewDevice(e2ee.DeviceID{Account: 1, Device: "F1"}, e2ee.Options{})
	if err != nil {
		f.Fatal(err)
	}
	if err := d.GenerateOneTimeKeys(1); err != nil {
		f.Fatal(err)
	}
	b, _ := json.Marshal(d.UnpublishedKeys()[0])
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := e2ee.ParseOneTimeKey(b)
		if err != nil {
			return
		}
		again, _ := json.Marshal(k)
		if _, err := e2ee.ParseOneTimeKey(again); err != nil {
			t.Fatalf("re-encoded key does not parse: %v", err)
		}
	})
}

// mutate returns a changed copy of b: byte pos (mod len) xored with x,
// then cut bytes dropped from the end. changed reports whether the result
// differs from b.
func mutate(b []byte, pos uint16, x byte, cut uint16) (out []byte, changed bool) {
	out = bytes.Clone(b)
	if x != 0 {
		out[int(pos)%len(out)] ^= x
	}
	if n := int(cut) % len(out); n > 0 {
		out = out[:len(out)-n]
	}
	return out, !bytes.Equal(out, b)
}

// The fuzzers below change a real ciphertext made in the same process (a
// fuzz worker makes its own), so that mutations reach authentication and
// not only the parser: none may panic, and no changed input may decrypt.

func FuzzDecryptGroup(f *testing.F) {
	w := newWorld(f)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "zero"})
	w.mustDeliver(b)
	real := w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "the real one"}).Envelope
	f.Add(uint16(0), byte(0), uint16(0))
	f.Add(uint16(40), byte(1), uint16(0))
	f.Add(uint16(0), byte(0), uint16(1))
	f.Fuzz(func(t *testing.T, pos uint16, x byte, cut uint16) {
		env, changed := mutate(real, pos, x, cut)
		r, err := b.DecryptGroup(env)
		if err == nil && changed {
			t.Fatalf("a changed envelope decrypted to %q", r.Text)
		}
	})
}

func FuzzDecryptDirect(f *testing.F) {
	w := newWorld(f)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	w.connect(a, ids(b))
	if _, err := b.TrustKeys(a.Keys()); err != nil {
		f.Fatal(err)
	}
	real, err := a.EncryptDirect(b.ID(), []byte("pairwise"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(0), byte(0), uint16(0))
	f.Add(uint16(60), byte(0x80), uint16(0))
	f.Fuzz(func(t *testing.T, pos uint16, x byte, cut uint16) {
		env, changed := mutate(real, pos, x, cut)
		msg, err := b.DecryptDirect(env)
		if err == nil && changed {
			t.Fatalf("a changed envelope decrypted to %q", msg.Body)
		}
	})
}

func FuzzOpenSealed(f *testing.F) {
	d, err := e2ee.NewDevice(e2ee.DeviceID{Account: 1, Device: "F1"}, e2ee.Options{})
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := d.Seal(passphrase, fastKDF)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(0), byte(0), uint16(0))
	f.Add(uint16(12), byte(1), uint16(0))
	f.Add(uint16(0), byte(0), uint16(17))
	f.Fuzz(func(t *testing.T, pos uint16, x byte, cut uint16) {
		b, changed := mutate(sealed, pos, x, cut)
		got, err := e2ee.OpenSealed(b, passphrase, e2ee.Options{})
		if err == nil && changed {
			t.Fatalf("a changed state opened as %s", got.ID())
		}
		if err != nil && !changed {
			t.Fatalf("the real state does not open: %v", err)
		}
	})
}
