package web_test

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/client/secure"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// TestE2EEOneToOne: two verified adults, two devices each, exchange text
// and images; every device of both reads everything, the sending device
// excepted, and the server keeps no envelope once all devices have it.
func TestE2EEOneToOne(t *testing.T) {
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		alice, bob := s.adult("alice", 2), s.adult("bob", 2)
		s.contacts(alice, bob)
		conv := s.group(alice, "", bob)

		sent, err := alice.devs[0].Send(ctx, conv.ID, "hello Bob, this is end to end")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []*secure.Session{bob.devs[0], bob.devs[1], alice.devs[1]} {
			got := received(t, d)
			if diff := cmp.Diff([]string{"hello Bob, this is end to end"}, textsOf(got)); diff != "" {
				t.Errorf("%s read (-want +got):\n%s", d.Device(), diff)
			}
			if len(got) == 1 && (got[0].ID != sent.ID || got[0].Sender != s.h("alice") || got[0].SenderDevice != alice.devs[0].Device()) {
				t.Errorf("%s: message %+v", d.Device(), got[0])
			}
		}
		if got := received(t, alice.devs[0]); len(got) != 0 {
			t.Errorf("the sending device received its own message: %v", textsOf(got))
		}

		img := syntheticPNG(t, 7, "")
		reply, err := bob.devs[1].SendImage(ctx, conv.ID, "image/png", img, "a photo of the hills")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []*secure.Session{alice.devs[0], alice.devs[1], bob.devs[0]} {
			got := received(t, d)
			if len(got) != 1 || got[0].Text != "a photo of the hills" || len(got[0].Attachments) != 1 {
				t.Fatalf("%s read %+v", d.Device(), got)
			}
			data, err := d.Image(ctx, got[0], 0)
			if err != nil {
				t.Fatalf("%s opens the image: %v", d.Device(), err)
			}
			if !bytes.Equal(data, img) {
				t.Errorf("%s: image differs", d.Device())
			}
		}
		// Every device has both messages; the server kept the envelopes
		// only until then.
		if h := alice.devs[1].History(conv.ID); len(h) != 2 || h[1].ID != reply.ID {
			t.Errorf("alice's second device holds %v", h)
		}
		page, err := bob.api.History(ctx, conv.ID, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.Kind != "envelope" || len(m.Envelope) != 0 {
				t.Errorf("server history still holds message %d: kind %s, %d envelope bytes", m.ID, m.Kind, len(m.Envelope))
			}
		}
	})
}

// TestE2EEGroup: three adults with two devices each; a fourth joins and
// reads only what is sent after; a removed member reads nothing sent after
// the removal, even holding the envelope.
func TestE2EEGroup(t *testing.T) {
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		ann, ben, cat, dan := s.adult("ann", 2), s.adult("ben", 2), s.adult("cat", 2), s.adult("dan", 2)
		s.contacts(ann, ben, cat, dan)
		g := s.group(ann, "Walking club", ben, cat)

		everyone := func(ps ...*person) []*secure.Session {
			var out []*secure.Session
			for _, p := range ps {
				out = append(out, p.devs...)
			}
			return out
		}
		if _, err := ann.devs[0].Send(ctx, g.ID, "welcome to the club"); err != nil {
			t.Fatal(err)
		}
		if _, err := cat.devs[1].SendImage(ctx, g.ID, "image/png", syntheticPNG(t, 1, ""), "route map"); err != nil {
			t.Fatal(err)
		}
		if _, err := ben.devs[0].Send(ctx, g.ID, "before dan joins"); err != nil {
			t.Fatal(err)
		}
		for _, d := range everyone(ann, ben, cat) {
			got := received(t, d)
			want := []string{"welcome to the club", "route map", "before dan joins"}
			want = slices.DeleteFunc(want, func(w string) bool {
				own := map[string]bool{"welcome to the club": d == ann.devs[0], "route map": d == cat.devs[1], "before dan joins": d == ben.devs[0]}
				return own[w]
			})
			if diff := cmp.Diff(want, textsOf(got)); diff != "" {
				t.Errorf("%s read (-want +got):\n%s", d.Device(), diff)
			}
		}

		// Dan joins: he gets nothing from before, and everything after.
		if _, err := ann.api.AddMember(ctx, g.ID, s.h("dan")); err != nil {
			t.Fatal(err)
		}
		for _, d := range dan.devs {
			if got := received(t, d); len(got) != 0 {
				t.Errorf("%s, new in the group, read %q sent before he joined", d.Device(), textsOf(got))
			}
		}
		if _, err := ben.devs[0].Send(ctx, g.ID, "hello dan"); err != nil {
			t.Fatal(err)
		}
		for _, d := range dan.devs {
			if diff := cmp.Diff([]string{"hello dan"}, textsOf(received(t, d))); diff != "" {
				t.Errorf("%s read (-want +got):\n%s", d.Device(), diff)
			}
		}
		for _, d := range everyone(ann, ben, cat) {
			received(t, d)
		}

		// Cat is removed. Whoever sends next rotates the group key.
		if _, err := ann.api.RemoveMember(ctx, g.ID, s.h("cat")); err != nil {
			t.Fatal(err)
		}
		if _, err := ben.devs[0].Send(ctx, g.ID, "after cat left"); err != nil {
			t.Fatal(err)
		}
		for _, d := range cat.devs {
			if got := received(t, d); len(got) != 0 {
				t.Errorf("%s, removed, read %q", d.Device(), textsOf(got))
			}
		}
		// Even handed the envelope, a removed member's device cannot read it.
		in, err := ann.devs[1].Sync(ctx)
		if err != nil || len(in.Messages) != 1 || in.Messages[0].Text != "after cat left" {
			t.Fatalf("ann read %v, %v", in, err)
		}
		leaked := envelopeOf(t, s, in.Messages[0].ID)
		if leaked == nil {
			t.Fatal("envelope already gone from the server")
		}
		catDev := cat.devs[0]
		if r, err := deviceState(t, cat, 0).DecryptGroup(leaked); !errors.Is(err, e2ee.ErrUnknownSession) {
			t.Errorf("removed member decrypting a later envelope: %v, %v; want ErrUnknownSession", r, err)
		}
		// And the server no longer lets the removed member in.
		if _, err := catDev.Send(ctx, g.ID, "still here?"); err == nil {
			t.Error("a removed member could still send")
		}
		if _, err := cat.api.ConversationKeys(ctx, g.ID); apiErr(t, err).Status != http.StatusNotFound {
			t.Errorf("removed member lists the group's devices: %v", err)
		}
	})
}

// envelopeOf reads an envelope the server still holds for a message.
func envelopeOf(t *testing.T, s *e2eeStack, messageID int64) []byte {
	t.Helper()
	var env []byte
	err := s.st.View(t.Context(), func(tx store.Tx) error {
		m, err := tx.Message(t.Context(), messageID)
		if err == nil {
			env = m.Envelope
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestE2EEPolicy: only verified adults' devices take part; an account whose
// verification is revoked leaves and its devices stop receiving; device
// changes are announced to the people one shares an E2EE conversation with.
func TestE2EEPolicy(t *testing.T) {
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		alice, bob := s.adult("alice", 1), s.adult("bob", 1)
		s.contacts(alice, bob)
		conv := s.group(alice, "", bob)

		// A minor, and an adult who is not verified, cannot register a device.
		teen := s.user("teen_tom", 16, "")
		unverified := s.user("dora", 30, "")
		for name, c := range map[string]*client.Client{"teen": teen, "unverified adult": unverified} {
			_, err := secure.Open(ctx, c, secure.Options{DeviceName: "PHONE"})
			if ae := apiErr(t, err); ae.Status != http.StatusForbidden || ae.Code != "e2ee_requires_verified_adults" {
				t.Errorf("%s registers a device: %+v", name, ae)
			}
		}

		// A new device is announced to Bob.
		events, err := bob.api.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.device(alice, "ALICE-TABLET")
		for ev := range events {
			if ev.Type == "device.changed" {
				if ev.Device == nil || ev.Device.Handle != s.h("alice") || ev.Device.Device != "ALICE-TABLET" || ev.Device.Change != "added" {
					t.Errorf("device.changed = %+v", ev.Device)
				}
				break
			}
		}

		if _, err := alice.devs[0].Send(ctx, conv.ID, "before"); err != nil {
			t.Fatal(err)
		}
		received(t, bob.devs[0])

		// Bob's verification is revoked: he leaves, gets nothing more, and
		// is not listed.
		if _, err := s.admin.SetAgeAssurance(ctx, bob.id, "self-declared"); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.devs[0].Send(ctx, conv.ID, "after the revocation"); err != nil {
			t.Fatal(err)
		}
		_, err = bob.devs[0].Sync(ctx)
		if ae := apiErr(t, err); ae.Code != "e2ee_requires_verified_adults" {
			t.Errorf("revoked account fetches its inbox: %v", err)
		}
		keys, err := alice.api.ConversationKeys(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keys.Members {
			if m.Handle == s.h("bob") {
				t.Error("the revoked account's devices are still listed")
			}
		}
		// Verified again, Bob is still out of the conversation: nothing
		// sent while he was out reaches him.
		if _, err := s.admin.SetAgeAssurance(ctx, bob.id, "verified"); err != nil {
			t.Fatal(err)
		}
		if got := received(t, bob.devs[0]); len(got) != 0 {
			t.Errorf("after re-verification bob read %q", textsOf(got))
		}
	})
}

// TestE2EEBlobs: a blob of an E2EE conversation is readable only by its
// members and only through that conversation; plain conversations take no
// blobs, so a blob id pasted into a chat with a minor delivers nothing.
func TestE2EEBlobs(t *testing.T) {
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		alice, bob, eve := s.adult("alice", 1), s.adult("bob", 1), s.adult("eve", 1)
		s.contacts(alice, bob)
		s.contacts(alice, eve)
		conv := s.group(alice, "", bob)
		other := s.group(alice, "", eve)
		blob, err := alice.api.UploadBlob(ctx, conv.ID, []byte("opaque ciphertext"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := bob.api.Blob(ctx, conv.ID, blob.ID); err != nil || string(got) != "opaque ciphertext" {
			t.Errorf("member fetches blob: %q, %v", got, err)
		}
		// Eve, a verified adult outside the conversation, cannot fetch it,
		// through that conversation or through hers with Alice.
		for _, c := range []int64{conv.ID, other.ID} {
			_, err := eve.api.Blob(ctx, c, blob.ID)
			if ae := apiErr(t, err); ae.Status != http.StatusNotFound {
				t.Errorf("outsider fetches blob via conversation %d: %+v", c, ae)
			}
		}
		// Alice herself cannot use it in another conversation.
		if _, err := alice.api.Blob(ctx, other.ID, blob.ID); apiErr(t, err).Status != http.StatusNotFound {
			t.Errorf("blob fetched through another conversation: %v", err)
		}

		// A plain chat with a minor: no blobs in, none out.
		leo := s.user("leo", 15, "")
		req, err := leo.RequestContact(ctx, s.h("alice"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.api.AcceptContact(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		plain, err := alice.api.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("leo")}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = alice.api.UploadBlob(ctx, plain.ID, []byte("an image the server would not see"))
		if ae := apiErr(t, err); ae.Status != http.StatusBadRequest || ae.Code != "blobs_require_e2ee" {
			t.Errorf("blob into a plain chat: %+v", ae)
		}
		for _, c := range []*client.Client{leo, alice.api} {
			if _, err := c.Blob(ctx, plain.ID, blob.ID); apiErr(t, err).Status != http.StatusNotFound {
				t.Errorf("blob fetched through the plain chat: %v", err)
			}
		}
		if _, err := leo.UploadBlob(ctx, plain.ID, []byte("x")); apiErr(t, err).Code != "e2ee_requires_verified_adults" {
			t.Errorf("minor uploads a blob: %v", err)
		}
		// Pasted as text, an id is only text; the image never travels.
		if _, err := alice.api.SendText(ctx, plain.ID, "see "+blob.ID); err != nil {
			t.Fatal(err)
		}
		page, err := leo.History(ctx, plain.ID, client.HistoryQuery{})
		if err != nil || len(page.Messages) != 1 || page.Messages[0].Kind != "text" || page.Messages[0].MediaID != 0 {
			t.Errorf("the minor's history: %+v, %v", page, err)
		}

		// Size cap.
		_, err = alice.api.UploadBlob(ctx, conv.ID, bytes.Repeat([]byte{1}, 4<<20+1))
		if ae := apiErr(t, err); ae.Status != http.StatusRequestEntityTooLarge || ae.Code != "blob_too_large" {
			t.Errorf("oversized blob: %+v", ae)
		}
		// Envelopes and blobs are refused in a plain chat, plain text in an E2EE one.
		if _, err := alice.api.SendText(ctx, conv.ID, "plain"); apiErr(t, err).Code != "e2ee_requires_envelope" {
			t.Errorf("plain text in E2EE: %v", err)
		}
		if !strings.Contains(s.url, "127.0.0.1") {
			t.Fatal(s.url)
		}
	})
}

// TestE2EEDeviceState: a device's keys and history survive a restart,
// sealed under its passphrase; a wrong passphrase or another account's
// login does not open them.
func TestE2EEDeviceState(t *testing.T) {
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		alice, bob := s.adult("alice", 1), s.adult("bob", 1)
		s.contacts(alice, bob)
		conv := s.group(alice, "", bob)
		if _, err := alice.devs[0].Send(ctx, conv.ID, "before the restart"); err != nil {
			t.Fatal(err)
		}
		received(t, bob.devs[0])
		name := bob.devs[0].Device().Device
		if err := bob.devs[0].Close(); err != nil {
			t.Fatal(err)
		}
		reopen := func(login *client.Client, pass []byte) (*secure.Session, error) {
			return secure.Open(ctx, login, secure.Options{Dir: bob.dirs[0], Passphrase: pass, KDF: fastKDF})
		}
		if _, err := reopen(bob.api, []byte("not the passphrase")); !errors.Is(err, e2ee.ErrWrongPassphrase) {
			t.Errorf("wrong passphrase: %v", err)
		}
		if _, err := reopen(alice.api, passphraseOf(name)); err == nil || !strings.Contains(err.Error(), "holds the device of account") {
			t.Errorf("another account's login: %v", err)
		}
		again, err := reopen(bob.api, passphraseOf(name))
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if again.Device().Device != name {
			t.Errorf("reopened as device %s, want %s", again.Device().Device, name)
		}
		if h := again.History(conv.ID); len(h) != 1 || h[0].Text != "before the restart" {
			t.Errorf("history after the restart: %+v", h)
		}
		if _, err := alice.devs[0].Send(ctx, conv.ID, "after the restart"); err != nil {
			t.Fatal(err)
		}
		if got := textsOf(received(t, again)); len(got) != 1 || got[0] != "after the restart" {
			t.Errorf("after the restart bob read %q", got)
		}
	})
}

// memStore keeps a session's sealed state in memory, as a browser keeps it
// in IndexedDB; it counts the saves.
type memStore struct {
	mu     sync.Mutex
	sealed []byte
	saves  int
}

func (m *memStore) Load() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.sealed), nil
}

func (m *memStore) Save(b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sealed, m.saves = bytes.Clone(b), m.saves+1
	return nil
}

// TestE2EEDeviceStateInAStore: a device whose sealed state lives in a
// Store (a browser's storage) instead of a directory is saved there after
// every change, only sealed, and opens again with its passphrase only.
func TestE2EEDeviceStateInAStore(t *testing.T) {
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		alice, bob := s.adult("alice", 1), s.adult("bob", 0)
		s.contacts(alice, bob)
		store := &memStore{}
		open := func(pass string) (*secure.Session, error) {
			return secure.Open(ctx, bob.api, secure.Options{Store: store, Passphrase: []byte(pass), KDF: fastKDF, OneTimeKeys: 10})
		}
		dev, err := open("bob's browser passphrase")
		if err != nil {
			t.Fatal(err)
		}
		if store.saves == 0 || !bytes.HasPrefix(store.sealed, []byte("SGKB")) {
			t.Fatalf("after opening: %d saves, %.4q", store.saves, store.sealed)
		}
		conv := s.group(alice, "", bob)
		text := "kept only sealed in the browser"
		if _, err := alice.devs[0].Send(ctx, conv.ID, text); err != nil {
			t.Fatal(err)
		}
		if got := textsOf(received(t, dev)); len(got) != 1 || got[0] != text {
			t.Fatalf("bob read %q", got)
		}
		if bytes.Contains(store.sealed, []byte(text)) || bytes.Contains(store.sealed, []byte("bob's browser passphrase")) {
			t.Error("the stored state holds the text or the passphrase in the clear")
		}
		name := dev.Device().Device
		if err := dev.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := open("not the passphrase"); !errors.Is(err, e2ee.ErrWrongPassphrase) {
			t.Errorf("wrong passphrase: %v", err)
		}
		again, err := open("bob's browser passphrase")
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if again.Device().Device != name {
			t.Errorf("reopened as %s, want %s", again.Device().Device, name)
		}
		if h := again.History(conv.ID); len(h) != 1 || h[0].Text != text {
			t.Errorf("history after reopening: %+v", h)
		}
	})
}
