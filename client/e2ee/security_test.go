package e2ee_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/golden"
)

// pair is two devices of two accounts with one message from a to b
// delivered; env is that message's envelope.
func pair(t *testing.T) (w *world, a, b *e2ee.Device, env []byte) {
	t.Helper()
	w = newWorld(t)
	a, b = w.addDevice(1, "A1"), w.addDevice(2, "B1")
	w.send(a, 3, ids(a, b), e2ee.Plaintext{Text: "first"})
	w.mustDeliver(b)
	w.mustDeliver(a)
	out := w.send(a, 3, ids(a, b), e2ee.Plaintext{Text: "the message under test"})
	delete(w.relay.queues, b.ID())
	delete(w.relay.queues, a.ID())
	return w, a, b, out.Envelope
}

func TestReplayRejected(t *testing.T) {
	_, _, b, env := pair(t)
	if _, err := b.DecryptGroup(env); err != nil {
		t.Fatal(err)
	}
	_, err := b.DecryptGroup(env)
	if !errors.Is(err, e2ee.ErrReplay) || !errors.Is(err, safeguard.ErrConflict) {
		t.Fatalf("second delivery: %v, want ErrReplay", err)
	}
}

// TestOutOfOrderAccepted: replay detection is per index, so late messages
// still decrypt once.
func TestOutOfOrderAccepted(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	var envs [][]byte
	for _, text := range []string{"0", "1", "2"} {
		envs = append(envs, w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: text}).Envelope)
	}
	share := w.relay.queues[b.ID()][0]
	if _, err := b.DecryptDirect(share); err != nil {
		if _, err := b.TrustKeys(a.Keys()); err != nil {
			t.Fatal(err)
		}
		if _, err := b.DecryptDirect(share); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range []int{2, 0, 1} {
		r, err := b.DecryptGroup(envs[i])
		if err != nil || r.Index != uint32(i) {
			t.Fatalf("message %d out of order: %v", i, err)
		}
	}
	for i := range envs {
		if _, err := b.DecryptGroup(envs[i]); !errors.Is(err, e2ee.ErrReplay) {
			t.Errorf("message %d again: %v, want ErrReplay", i, err)
		}
	}
}

func TestTamperedGroupEnvelope(t *testing.T) {
	field := func(edit func(*e2ee.GroupEnvelope)) func(t *testing.T, good []byte) []byte {
		return func(t *testing.T, good []byte) []byte {
			e, err := e2ee.ParseGroupEnvelope(good)
			if err != nil {
				t.Fatal(err)
			}
			edit(&e)
			b, err := e.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	raw := func(edit func([]byte) []byte) func(t *testing.T, good []byte) []byte {
		return func(_ *testing.T, good []byte) []byte { return edit(bytes.Clone(good)) }
	}
	tests := []struct {
		name  string
		forge func(t *testing.T, good []byte) []byte
		want  error
	}{
		{"ciphertext byte flipped", field(func(e *e2ee.GroupEnvelope) { e.Ciphertext[len(e.Ciphertext)/2] ^= 1 }), e2ee.ErrTampered},
		{"signature byte flipped", field(func(e *e2ee.GroupEnvelope) { e.Ciphertext[len(e.Ciphertext)-1] ^= 0x40 }), e2ee.ErrTampered},
		{"ciphertext truncated", field(func(e *e2ee.GroupEnvelope) { e.Ciphertext = e.Ciphertext[:len(e.Ciphertext)-8] }), e2ee.ErrTampered},
		{"index in header changed", field(func(e *e2ee.GroupEnvelope) { e.Index += 5 }), e2ee.ErrTampered},
		{"commitment changed", field(func(e *e2ee.GroupEnvelope) { e.Commitment[0] ^= 1 }), franking.ErrCommitment},
		{"conversation changed", field(func(e *e2ee.GroupEnvelope) { e.Conversation = 4 }), e2ee.ErrUnknownSession},
		{"sender changed", field(func(e *e2ee.GroupEnvelope) { e.Sender.Device = "A2" }), e2ee.ErrUnknownSession},
		{"session id changed", field(func(e *e2ee.GroupEnvelope) { e.SessionID[0] ^= 1 }), e2ee.ErrUnknownSession},
		{"envelope truncated", raw(func(b []byte) []byte { return b[:len(b)-1] }), e2ee.ErrMalformed},
		{"version changed", raw(func(b []byte) []byte { b[0] = 2; return b }), e2ee.ErrMalformed},
		{"kind changed", raw(func(b []byte) []byte { b[1] = byte(e2ee.KindDirect); return b }), e2ee.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, b, good := pair(t)
			r, err := b.DecryptGroup(tt.forge(t, good))
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecryptGroup = %v, %v; want %v", r, err, tt.want)
			}
			if r != nil {
				t.Error("a refused message returned content")
			}
			// The refusal leaves the real message readable.
			if r, err := b.DecryptGroup(good); err != nil || r.Text != "the message under test" {
				t.Errorf("the untouched message after a forgery: %v", err)
			}
		})
	}
}

// TestForgedByMember: a member holding the group key cannot pass its own
// ciphertext off under another sender or commitment.
func TestForgedByMember(t *testing.T) {
	w := newWorld(t)
	a, b, c := w.addDevice(1, "A1"), w.addDevice(2, "B1"), w.addDevice(3, "C1")
	fromC := w.send(c, 1, ids(a, b, c), e2ee.Plaintext{Text: "from C"})
	w.mustDeliver(a)
	w.mustDeliver(b)
	env, err := e2ee.ParseGroupEnvelope(fromC.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	env.Sender = a.ID() // C claims A wrote it
	forged, err := env.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.DecryptGroup(forged); !errors.Is(err, e2ee.ErrUnknownSession) {
		t.Errorf("C's ciphertext as A's: %v, want ErrUnknownSession", err)
	}
}

func TestTamperedDirectEnvelope(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	w.connect(a, ids(b))
	if _, err := b.TrustKeys(a.Keys()); err != nil {
		t.Fatal(err)
	}
	env, err := a.EncryptDirect(b.ID(), []byte("pairwise hello"))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(env)
	bad[len(bad)-3] ^= 1
	if _, err := b.DecryptDirect(bad); !errors.Is(err, e2ee.ErrTampered) {
		t.Errorf("flipped byte: %v, want ErrTampered", err)
	}
	msg, err := b.DecryptDirect(env)
	if err != nil || string(msg.Body) != "pairwise hello" || msg.From != a.ID() {
		t.Fatalf("DecryptDirect = %+v, %v", msg, err)
	}
	if _, err := b.DecryptDirect(env); !errors.Is(err, e2ee.ErrTampered) {
		t.Errorf("replayed direct message: %v, want ErrTampered (its message key is gone)", err)
	}
	// Addressed to another device.
	parsed, _ := e2ee.ParseDirectEnvelope(env)
	parsed.Recipient.Device = "B2"
	other, _ := parsed.MarshalBinary()
	if _, err := b.DecryptDirect(other); !errors.Is(err, e2ee.ErrUnknownDevice) {
		t.Errorf("envelope for another device: %v", err)
	}
	// The reply travels on the same session, as a normal message.
	reply, err := b.EncryptDirect(a.ID(), []byte("pairwise reply"))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := e2ee.ParseDirectEnvelope(reply); p.Type != e2ee.OlmNormal {
		t.Errorf("reply has Olm type %d, want normal", p.Type)
	}
	if msg, err := a.DecryptDirect(reply); err != nil || string(msg.Body) != "pairwise reply" {
		t.Fatalf("reply: %+v, %v", msg, err)
	}
}

// impostor makes a device that claims another device's id with its own keys:
// what a directory substituting keys would serve.
func impostor(t *testing.T, victim e2ee.DeviceID) *e2ee.Device {
	t.Helper()
	m, err := e2ee.NewDevice(victim, e2ee.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.GenerateOneTimeKeys(1); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSwappedIdentityKey(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "hi"})
	w.mustDeliver(b)
	before, err := a.SafetyNumber(b.ID())
	if err != nil {
		t.Fatal(err)
	}

	mallory := impostor(t, b.ID())
	fake := mallory.Keys()
	if err := fake.Verify(); err != nil {
		t.Fatal(err) // a well-signed document: only pinning catches it
	}
	if _, err := a.TrustKeys(fake); !errors.Is(err, e2ee.ErrIdentityChanged) || !errors.Is(err, safeguard.ErrConflict) {
		t.Errorf("TrustKeys(swapped) = %v, want ErrIdentityChanged", err)
	}
	otk := mallory.UnpublishedKeys()[0]
	if _, err := a.StartSession(fake, otk); !errors.Is(err, e2ee.ErrIdentityChanged) {
		t.Errorf("StartSession(swapped) = %v, want ErrIdentityChanged", err)
	}
	// The impostor writes to A pretending to be B1.
	if _, err := mallory.StartSession(w.dir.keys[a.ID()], w.dir.claim(t, a.ID())); err != nil {
		t.Fatal(err)
	}
	env, err := mallory.EncryptDirect(a.ID(), []byte("it's me, B"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DecryptDirect(env); !errors.Is(err, e2ee.ErrIdentityChanged) {
		t.Errorf("DecryptDirect from impostor = %v, want ErrIdentityChanged", err)
	}

	// The safety number A would see for the impostor differs from B's.
	withFake, err := e2ee.SafetyNumber(a.Keys(), fake)
	if err != nil {
		t.Fatal(err)
	}
	if withFake == before {
		t.Error("safety number unchanged by a swapped key")
	}
	// Only after the user accepts the change (having compared numbers) do
	// the new keys count.
	if err := a.AcceptIdentityChange(fake); err != nil {
		t.Fatal(err)
	}
	if trust, err := a.TrustKeys(fake); err != nil || trust != e2ee.TrustPinned {
		t.Errorf("after AcceptIdentityChange: %v, %v", trust, err)
	}
	if a.HasSession(b.ID()) {
		t.Error("sessions with the old keys survived the identity change")
	}
}

func TestForgedDeviceKeys(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	other := w.addDevice(3, "C1")
	good := b.Keys()
	tests := []struct {
		name string
		edit func(*e2ee.DeviceKeys)
	}{
		{"curve key replaced", func(k *e2ee.DeviceKeys) { k.Curve25519 = other.Keys().Curve25519 }},
		{"account changed", func(k *e2ee.DeviceKeys) { k.Account = 9 }},
		{"device renamed", func(k *e2ee.DeviceKeys) { k.Device = "B9" }},
		{"signature from another device", func(k *e2ee.DeviceKeys) { k.Signature = other.Keys().Signature }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := good
			tt.edit(&k)
			if _, err := a.TrustKeys(k); !errors.Is(err, e2ee.ErrBadSignature) {
				t.Errorf("TrustKeys = %v, want ErrBadSignature", err)
			}
		})
	}
	// A one-time key signed by someone else.
	otk := w.dir.claim(t, b.ID())
	otk.Curve25519 = w.dir.claim(t, other.ID()).Curve25519
	if _, err := a.StartSession(good, otk); !errors.Is(err, e2ee.ErrBadSignature) {
		t.Errorf("StartSession with a substituted one-time key: %v, want ErrBadSignature", err)
	}
}

// TestOneTimeKeyClaimedTwice: a directory that hands the same one-time key
// to two senders. goolm uses a one-time key up when the first session opens
// with it, so the second sender's pre-key message is refused and that
// sender must claim another key. The fallback key is not used up.
func TestOneTimeKeyClaimedTwice(t *testing.T) {
	w := newWorld(t)
	a, b, c := w.addDevice(1, "A1"), w.addDevice(2, "B1"), w.addDevice(3, "C1")
	bKeys := w.dir.keys[b.ID()]
	otk := w.dir.claim(t, b.ID())
	for _, sender := range []*e2ee.Device{a, c} {
		if _, err := sender.StartSession(bKeys, otk); err != nil {
			t.Fatal(err)
		}
	}
	fromA, _ := a.EncryptDirect(b.ID(), []byte("from A"))
	fromC, _ := c.EncryptDirect(b.ID(), []byte("from C"))
	for _, d := range []*e2ee.Device{a, c} {
		if _, err := b.TrustKeys(d.Keys()); err != nil {
			t.Fatal(err)
		}
	}
	count := b.OneTimeKeyCount()
	if _, err := b.DecryptDirect(fromA); err != nil {
		t.Fatalf("first use of the one-time key: %v", err)
	}
	if got := b.OneTimeKeyCount(); got != count-1 {
		t.Errorf("one-time keys left: %d, want %d", got, count-1)
	}
	// A's second pre-key message (before B replied) reuses A's session.
	again, _ := a.EncryptDirect(b.ID(), []byte("from A again"))
	if _, err := b.DecryptDirect(again); err != nil {
		t.Errorf("A's second pre-key message: %v", err)
	}
	_, err := b.DecryptDirect(fromC)
	if !errors.Is(err, e2ee.ErrOneTimeKeyUsed) {
		t.Fatalf("second session on the same one-time key: %v, want ErrOneTimeKeyUsed", err)
	}

	// With the fallback key, both senders get through.
	d := w.addDevice(4, "D1")
	fb := w.dir.fallback[d.ID()]
	for _, sender := range []*e2ee.Device{a, c} {
		if _, err := sender.StartSession(w.dir.keys[d.ID()], fb); err != nil {
			t.Fatal(err)
		}
		if _, err := d.TrustKeys(sender.Keys()); err != nil {
			t.Fatal(err)
		}
		env, _ := sender.EncryptDirect(d.ID(), []byte("via fallback"))
		if _, err := d.DecryptDirect(env); err != nil {
			t.Errorf("%s via the fallback key: %v", sender.ID(), err)
		}
	}
}

func TestSafetyNumber(t *testing.T) {
	w := newWorld(t)
	a, b, c := w.addDevice(1, "A1"), w.addDevice(2, "B1"), w.addDevice(3, "C1")
	ab, err := e2ee.SafetyNumber(a.Keys(), b.Keys())
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := e2ee.SafetyNumber(b.Keys(), a.Keys())
	ac, _ := e2ee.SafetyNumber(a.Keys(), c.Keys())
	if ab != ba {
		t.Errorf("not symmetric: %s vs %s", ab, ba)
	}
	if ab == ac {
		t.Error("same number for different peers")
	}
	if !regexp.MustCompile(`^(\d{5} ){11}\d{5}$`).MatchString(ab) {
		t.Errorf("safety number %q is not 12 groups of 5 digits", ab)
	}
	if _, err := a.TrustKeys(b.Keys()); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.SafetyNumber(b.ID()); got != ab {
		t.Errorf("Device.SafetyNumber = %s, want %s", got, ab)
	}
	if err := a.MarkVerified(b.ID()); err != nil {
		t.Fatal(err)
	}
	if _, trust, _ := a.PinnedKeys(b.ID()); trust != e2ee.TrustVerified {
		t.Errorf("after MarkVerified: %v", trust)
	}
	if _, err := a.SafetyNumber(c.ID()); !errors.Is(err, e2ee.ErrUnknownDevice) {
		t.Errorf("unpinned peer: %v", err)
	}
}

// TestSafetyNumberGolden pins the algorithm with fixed keys.
func TestSafetyNumberGolden(t *testing.T) {
	key := func(b byte) string { return base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }
	alice := e2ee.DeviceKeys{Account: 1, Device: "ALICE1", Ed25519: key(1), Curve25519: key(2)}
	bob := e2ee.DeviceKeys{Account: 2, Device: "BOB1", Ed25519: key(3), Curve25519: key(4)}
	got, err := e2ee.SafetyNumber(alice, bob)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "safety_number.golden"), []byte(got+"\n"))
}
