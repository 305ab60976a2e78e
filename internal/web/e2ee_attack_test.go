package web_test

import (
	"errors"
	"net/http"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/client/secure"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// problemsOf syncs a device and returns what it refused.
func problemsOf(t *testing.T, d *secure.Session) ([]secure.Message, []secure.Problem) {
	t.Helper()
	up, err := d.Sync(t.Context())
	if err != nil {
		t.Fatalf("%s sync: %v", d.Device(), err)
	}
	return up.Messages, up.Problems
}

// wantRefused checks that exactly one envelope was refused, for want, with
// an error whose code is code.
func wantRefused(t *testing.T, what string, got []secure.Message, problems []secure.Problem, want error, code string) {
	t.Helper()
	if len(got) != 0 {
		t.Errorf("%s: accepted %q", what, textsOf(got))
	}
	if len(problems) != 1 {
		t.Fatalf("%s: %d problems, want 1: %v", what, len(problems), problems)
	}
	err := problems[0].Err
	if !errors.Is(err, want) || safeguard.ErrorCode(err) != code {
		t.Errorf("%s: refused with %v (code %s), want %v (%s)", what, err, safeguard.ErrorCode(err), want, code)
	}
}

// TestE2EEAttacks: a changed ciphertext, a replayed message, a swapped
// identity key and a one-time key handed out twice are each refused, with
// an error that says which.
func TestE2EEAttacks(t *testing.T) {
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		alice, bob, carol := s.adult("alice", 1), s.adult("bob", 1), s.adult("carol", 1)
		s.contacts(alice, bob, carol)
		conv := s.group(alice, "", bob)
		if _, err := alice.devs[0].Send(ctx, conv.ID, "first"); err != nil {
			t.Fatal(err)
		}
		received(t, bob.devs[0])

		t.Run("tampered ciphertext", func(t *testing.T) {
			m, err := alice.devs[0].Send(ctx, conv.ID, "this will be changed on the way")
			if err != nil {
				t.Fatal(err)
			}
			env := envelopeOf(t, s, m.ID)
			env[len(env)-80] ^= 0x01 // inside the Megolm ciphertext
			if _, err := s.raw.ExecContext(ctx, s.rebind(`UPDATE messages SET envelope = ? WHERE id = ?`), env, m.ID); err != nil {
				t.Fatal(err)
			}
			got, problems := problemsOf(t, bob.devs[0])
			wantRefused(t, "tampered", got, problems, e2ee.ErrTampered, "e2ee_tampered")
		})

		t.Run("replayed message", func(t *testing.T) {
			m, err := alice.devs[0].Send(ctx, conv.ID, "say this only once")
			if err != nil {
				t.Fatal(err)
			}
			env := envelopeOf(t, s, m.ID)
			if got := received(t, bob.devs[0]); len(got) != 1 {
				t.Fatalf("bob read %q", textsOf(got))
			}
			// The same envelope again, as a new message.
			if _, err := alice.api.SendEnvelope(ctx, conv.ID, env, nil); err != nil {
				t.Fatal(err)
			}
			got, problems := problemsOf(t, bob.devs[0])
			wantRefused(t, "replay", got, problems, e2ee.ErrReplay, "e2ee_replay")
		})

		t.Run("swapped identity key", func(t *testing.T) {
			// An honest directory refuses other keys under a known device.
			impostor, err := e2ee.NewDevice(bob.devs[0].Device(), e2ee.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = bob.api.RegisterDevice(ctx, client.DeviceRegistration{Keys: client.DeviceKeys(impostor.Keys())})
			if ae := apiErr(t, err); ae.Status != http.StatusConflict || ae.Code != "device_exists" {
				t.Errorf("re-registration with other keys: %+v", ae)
			}
			// It refuses pairwise envelopes that carry another identity key
			// than the sending device's.
			if err := impostor.GenerateOneTimeKeys(1); err != nil {
				t.Fatal(err)
			}
			claim, err := bob.api.ClaimKeys(ctx, []client.DeviceRef{{Account: alice.id, Device: alice.devs[0].Device().Device}})
			if err != nil || len(claim.Keys) != 1 {
				t.Fatalf("claim: %+v, %v", claim, err)
			}
			if _, err := impostor.StartSession(alice.devs[0].Keys(), e2ee.OneTimeKey(claim.Keys[0])); err != nil {
				t.Fatal(err)
			}
			env, err := impostor.EncryptDirect(alice.devs[0].Device(), []byte("trust me"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = bob.api.SendToDevice(ctx, client.ToDeviceRequest{Device: bob.devs[0].Device().Device,
				Messages: []client.ToDeviceMessage{{Account: alice.id, Device: alice.devs[0].Device().Device, Envelope: env}}})
			if ae := apiErr(t, err); ae.Status != http.StatusBadRequest || ae.Code != "identity_key_mismatch" {
				t.Errorf("envelope with another identity key: %+v", ae)
			}
			// A directory that swaps the keys anyway is caught by the pin.
			err = s.st.Update(ctx, func(tx store.Tx) error {
				d, err := tx.Device(ctx, bob.id, bob.devs[0].Device().Device)
				if err != nil {
					return err
				}
				if err := tx.DeleteDevice(ctx, d.ID); err != nil {
					return err
				}
				k := impostor.Keys()
				return tx.CreateDevice(ctx, &safeguard.Device{AccountID: bob.id, Name: k.Device,
					Curve25519: k.Curve25519, Ed25519: k.Ed25519, Signature: k.Signature})
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = alice.devs[0].Send(ctx, conv.ID, "to the real bob only")
			if !errors.Is(err, e2ee.ErrIdentityChanged) || safeguard.ErrorCode(err) != "identity_key_changed" {
				t.Errorf("send after the swap: %v, want identity_key_changed", err)
			}
			peers, err := alice.devs[0].SafetyNumbers(ctx, conv.ID)
			if err != nil || len(peers) != 1 || !peers[0].Changed {
				t.Errorf("safety numbers after the swap: %+v, %v", peers, err)
			}
		})

		t.Run("one-time key claimed twice", func(t *testing.T) {
			// The directory hands each one-time key out once, then the
			// fallback key.
			target := client.DeviceRef{Account: carol.id, Device: carol.devs[0].Device().Device}
			seen := map[string]int{}
			for range 12 {
				res, err := alice.api.ClaimKeys(ctx, []client.DeviceRef{target})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Keys) != 1 {
					// Carol and Alice share no E2EE conversation yet.
					if len(res.Missing) != 1 {
						t.Fatalf("claim: %+v", res)
					}
					break
				}
			}
			s.group(alice, "", carol)
			var fallbacks int
			for range 12 {
				res, err := alice.api.ClaimKeys(ctx, []client.DeviceRef{target})
				if err != nil || len(res.Keys) != 1 {
					t.Fatalf("claim: %+v, %v", res, err)
				}
				k := res.Keys[0]
				if k.Fallback {
					fallbacks++
					continue
				}
				seen[k.KeyID]++
			}
			if len(seen) != 10 || fallbacks != 2 {
				t.Errorf("12 claims gave %d one-time keys and %d fallbacks, want 10 and 2", len(seen), fallbacks)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("one-time key %s handed out %d times", id, n)
				}
			}
			// Carol's device tops its keys up when it next syncs.
			received(t, carol.devs[0])
			devs, err := carol.api.Devices(ctx)
			if err != nil || len(devs) != 1 || devs[0].KeyCount.OneTimeKeys != 10 || !devs[0].KeyCount.FallbackKey {
				t.Errorf("carol's keys after the refill: %+v, %v", devs, err)
			}

			// A directory that hands one key to two senders: the device
			// opens the first session and refuses the second.
			dan := s.adult("dan", 0)
			erin := s.adult("erin", 0)
			s.contacts(dan, erin, alice)
			s.group(alice, "Four", dan, erin)
			dans, erins := e2ee.DeviceID{Account: dan.id, Device: "DAN-RAW"}, e2ee.DeviceID{Account: erin.id, Device: "ERIN-RAW"}
			var raws []*e2ee.Device
			for _, x := range []struct {
				p  *person
				id e2ee.DeviceID
			}{{dan, dans}, {erin, erins}} {
				d, err := e2ee.NewDevice(x.id, e2ee.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := x.p.api.RegisterDevice(ctx, client.DeviceRegistration{Keys: client.DeviceKeys(d.Keys())}); err != nil {
					t.Fatal(err)
				}
				raws = append(raws, d)
			}
			aliceDev := alice.devs[0].Device()
			res, err := dan.api.ClaimKeys(ctx, []client.DeviceRef{{Account: aliceDev.Account, Device: aliceDev.Device}})
			if err != nil || len(res.Keys) != 1 || res.Keys[0].Fallback {
				t.Fatalf("claim: %+v, %v", res, err)
			}
			otk := e2ee.OneTimeKey(res.Keys[0])
			for i, d := range raws {
				if _, err := d.StartSession(alice.devs[0].Keys(), otk); err != nil {
					t.Fatal(err)
				}
				env, err := d.EncryptDirect(aliceDev, []byte("hello"))
				if err != nil {
					t.Fatal(err)
				}
				sender := []*person{dan, erin}[i]
				if _, err := sender.api.SendToDevice(ctx, client.ToDeviceRequest{Device: d.ID().Device,
					Messages: []client.ToDeviceMessage{{Account: aliceDev.Account, Device: aliceDev.Device, Envelope: env}}}); err != nil {
					t.Fatal(err)
				}
			}
			_, problems := problemsOf(t, alice.devs[0])
			if len(problems) != 1 || problems[0].SenderDevice != erins ||
				!errors.Is(problems[0].Err, e2ee.ErrOneTimeKeyUsed) || safeguard.ErrorCode(problems[0].Err) != "e2ee_one_time_key_used" {
				t.Errorf("problems = %+v, want erin's session refused with e2ee_one_time_key_used", problems)
			}
		})

		t.Run("key share from a non-member", func(t *testing.T) {
			// Carol shares a conversation with Alice, but not the one with
			// Bob; she sends Alice a key share for that one.
			s.group(alice, "", carol)
			raw, err := e2ee.NewDevice(e2ee.DeviceID{Account: carol.id, Device: "CAROL-RAW"}, e2ee.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := carol.api.RegisterDevice(ctx, client.DeviceRegistration{Keys: client.DeviceKeys(raw.Keys())}); err != nil {
				t.Fatal(err)
			}
			aliceDev := alice.devs[0].Device()
			res, err := carol.api.ClaimKeys(ctx, []client.DeviceRef{{Account: aliceDev.Account, Device: aliceDev.Device}})
			if err != nil || len(res.Keys) != 1 {
				t.Fatalf("claim: %+v, %v", res, err)
			}
			if _, err := raw.StartSession(alice.devs[0].Keys(), e2ee.OneTimeKey(res.Keys[0])); err != nil {
				t.Fatal(err)
			}
			out, err := raw.EncryptGroup(conv.ID, []e2ee.DeviceID{aliceDev}, e2ee.Plaintext{Text: "I am in your chat with bob"})
			if err != nil || len(out.KeyShares) != 1 {
				t.Fatalf("encrypt: %v", err)
			}
			if _, err := carol.api.SendToDevice(ctx, client.ToDeviceRequest{Device: "CAROL-RAW",
				Messages: []client.ToDeviceMessage{{Account: aliceDev.Account, Device: aliceDev.Device, Envelope: out.KeyShares[0].Envelope}}}); err != nil {
				t.Fatal(err)
			}
			got, problems := problemsOf(t, alice.devs[0])
			if len(got) != 0 || len(problems) != 1 || !errors.Is(problems[0].Err, secure.ErrNotMember) {
				t.Errorf("key share from a non-member: messages %q, problems %+v", textsOf(got), problems)
			}
			// The server keeps her envelope out of the conversation anyway.
			if _, err := carol.api.SendEnvelope(ctx, conv.ID, out.Envelope, out.Commitment[:]); apiErr(t, err).Status != http.StatusNotFound {
				t.Errorf("non-member posts an envelope: %v", err)
			}
		})
	})
}

// rebind writes ? placeholders as the raw database wants them.
func (s *e2eeStack) rebind(q string) string {
	if !s.postgres {
		return q
	}
	var out []byte
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, '$', byte('0'+n))
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
