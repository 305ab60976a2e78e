package e2ee_test

import (
	"testing"

	"github.com/safeguard-dev/safeguard/client/e2ee"
)

// benchPair is a sender and a receiver with the group key shared.
func benchPair(b *testing.B) (w *world, a, r *e2ee.Device) {
	b.Helper()
	w = newWorld(b)
	a, r = w.addDevice(1, "A1"), w.addDevice(2, "B1")
	w.send(a, 1, ids(a, r), e2ee.Plaintext{Text: "warm up"})
	w.mustDeliver(r)
	return w, a, r
}

// roundTrip encrypts one message and decrypts it on the receiver, passing
// key shares when the session rotates (every DefaultMaxSessionMessages).
func roundTrip(b *testing.B, a, r *e2ee.Device, pt e2ee.Plaintext) *e2ee.Received {
	out, err := a.EncryptGroup(1, []e2ee.DeviceID{r.ID()}, pt)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range out.KeyShares {
		if _, err := r.DecryptDirect(s.Envelope); err != nil {
			b.Fatal(err)
		}
	}
	got, err := r.DecryptGroup(out.Envelope)
	if err != nil {
		b.Fatal(err)
	}
	return got
}

// BenchmarkTextMessage: encrypt and decrypt of one short text message.
func BenchmarkTextMessage(b *testing.B) {
	_, a, r := benchPair(b)
	pt := e2ee.Plaintext{Text: "Are we still meeting at the library at four?"}
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, a, r, pt)
	}
}

// BenchmarkImageMessage: a 1 MB image end to end — attachment encryption,
// the message that carries its key, decryption of both and the hash check.
func BenchmarkImageMessage(b *testing.B) {
	_, a, r := benchPair(b)
	img := make([]byte, 1<<20)
	for i := range img {
		img[i] = byte(i*7 + i>>9)
	}
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		att, blob, err := e2ee.EncryptAttachment(img, "image/jpeg")
		if err != nil {
			b.Fatal(err)
		}
		att.BlobID = "blob"
		got := roundTrip(b, a, r, e2ee.Plaintext{Attachments: []e2ee.Attachment{att}})
		if _, err := got.Attachments[0].Decrypt(blob); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSafetyNumber: one safety number (two 5200-round fingerprints).
func BenchmarkSafetyNumber(b *testing.B) {
	_, a, r := benchPair(b)
	ka, kr := a.Keys(), r.Keys()
	for b.Loop() {
		if _, err := e2ee.SafetyNumber(ka, kr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealDefaultKDF: sealing a device's state with the default
// argon2id parameters (the cost of every save and of unlocking).
func BenchmarkSealDefaultKDF(b *testing.B) {
	_, a, _ := benchPair(b)
	for b.Loop() {
		if _, err := a.Seal(passphrase, e2ee.DefaultKDF); err != nil {
			b.Fatal(err)
		}
	}
}
