package storetest

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var e2eeTests = []test{
	{"Devices", testDevices},
	{"OneTimeKeys", testOneTimeKeys},
	{"OneTimeKeysConcurrentClaims", testConcurrentClaims},
	{"Inbox", testInbox},
	{"DeleteDevice", testDeleteDevice},
	{"Blobs", testBlobs},
	{"MarkReported", testMarkReported},
	{"PurgeE2EE", testPurgeE2EE},
}

// device stores a device of account named name and returns it.
func device(t *testing.T, s store.Store, account int64, name string) *safeguard.Device {
	t.Helper()
	d := &safeguard.Device{AccountID: account, Name: name, Curve25519: "c-" + name, Ed25519: "e-" + name,
		Signature: "s-" + name, CreatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreateDevice(t.Context(), d) })
	return d
}

func testDevices(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "ada", adultBirth)
	b := account(t, s, "bo", adultBirth)
	a2 := device(t, s, a.ID, "PHONE")
	a1 := device(t, s, a.ID, "LAPTOP")
	b1 := device(t, s, b.ID, "PHONE") // the same name under another account
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateDevice(ctx, &safeguard.Device{AccountID: a.ID, Name: "PHONE", Curve25519: "x", Ed25519: "y", Signature: "z", CreatedAt: t0})
	})
	wantKind(t, "second device with one name", err, safeguard.ErrConflict, "conflict")
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Device(ctx, a.ID, "PHONE")
		if err != nil {
			return err
		}
		if d := diff(a2, got); d != "" {
			t.Errorf("Device (-want +got):\n%s", d)
		}
		_, err = tx.Device(ctx, b.ID, "LAPTOP")
		wantKind(t, "missing device", err, safeguard.ErrNotFound, "")
		all, err := tx.Devices(ctx, []int64{b.ID, a.ID, 999})
		if err != nil {
			return err
		}
		if d := diff([]*safeguard.Device{a1, a2, b1}, all); d != "" {
			t.Errorf("Devices, by account and name (-want +got):\n%s", d)
		}
		none, err := tx.Devices(ctx, nil)
		if err != nil || len(none) != 0 {
			t.Errorf("Devices(nil) = %v, %v", none, err)
		}
		return nil
	})
}

func otk(id, key string, fallback bool) safeguard.OneTimeKey {
	return safeguard.OneTimeKey{KeyID: id, Curve25519: key, Signature: "sig-" + id, Fallback: fallback, CreatedAt: t0}
}

func testOneTimeKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "ada", adultBirth)
	d := device(t, s, a.ID, "PHONE")
	count := func(wantN int, wantFallback bool) {
		t.Helper()
		view(t, s, func(tx store.Tx) error {
			n, fb, err := tx.OneTimeKeyCount(ctx, d.ID)
			if err != nil {
				return err
			}
			if n != wantN || fb != wantFallback {
				t.Errorf("OneTimeKeyCount = %d, %v; want %d, %v", n, fb, wantN, wantFallback)
			}
			return nil
		})
	}
	claim := func() (*safeguard.OneTimeKey, error) {
		var k *safeguard.OneTimeKey
		err := s.Update(ctx, func(tx store.Tx) (err error) { k, err = tx.ClaimOneTimeKey(ctx, d.ID, at(5)); return })
		return k, err
	}
	count(0, false)
	if _, err := claim(); !errors.Is(err, safeguard.ErrNotFound) {
		t.Errorf("claim with no keys: %v, want not found", err)
	}
	keys := []safeguard.OneTimeKey{otk("AAAAAQ", "k1", false), otk("AAAAAg", "k2", false), otk("AAAAAw", "fb1", true)}
	update(t, s, func(tx store.Tx) error { return tx.AddOneTimeKeys(ctx, d.ID, keys) })
	count(2, true)

	var got []string
	for range 2 {
		k, err := claim()
		if err != nil {
			t.Fatal(err)
		}
		if k.Fallback || k.DeviceID != d.ID || k.Signature != "sig-"+k.KeyID {
			t.Errorf("claimed %+v", k)
		}
		got = append(got, k.Curve25519)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"k1", "k2"}) {
		t.Errorf("claimed %v, want each one-time key once", got)
	}
	count(0, true)
	for range 2 {
		k, err := claim()
		if err != nil {
			t.Fatal(err)
		}
		if !k.Fallback || k.Curve25519 != "fb1" {
			t.Errorf("with no one-time keys left, claimed %+v, want the fallback key", k)
		}
	}

	// Uploading a claimed key again never puts it back.
	update(t, s, func(tx store.Tx) error { return tx.AddOneTimeKeys(ctx, d.ID, keys[:1]) })
	count(0, true)
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.AddOneTimeKeys(ctx, d.ID, []safeguard.OneTimeKey{otk("AAAAAQ", "other", false)})
	})
	wantKind(t, "reused key id", err, safeguard.ErrConflict, "one_time_key_conflict")

	// A newer fallback key replaces the older one.
	update(t, s, func(tx store.Tx) error {
		return tx.AddOneTimeKeys(ctx, d.ID, []safeguard.OneTimeKey{otk("AAAABA", "fb2", true), otk("AAAABQ", "k3", false)})
	})
	count(1, true)
	if k, err := claim(); err != nil || k.Curve25519 != "k3" {
		t.Errorf("claim = %+v, %v; want k3", k, err)
	}
	if k, err := claim(); err != nil || k.Curve25519 != "fb2" {
		t.Errorf("claim = %+v, %v; want the new fallback key", k, err)
	}
}

// testConcurrentClaims races claims in separate transactions: each one-time
// key goes to exactly one of them, the rest get the fallback key.
func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "ada", adultBirth)
	d := device(t, s, a.ID, "PHONE")
	const keys, claims = 8, 16
	var up []safeguard.OneTimeKey
	for i := range keys {
		up = append(up, otk(fmt.Sprintf("K%02d", i), fmt.Sprintf("key%02d", i), false))
	}
	up = append(up, otk("FB", "fallback", true))
	update(t, s, func(tx store.Tx) error { return tx.AddOneTimeKeys(ctx, d.ID, up) })

	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for range claims {
		wg.Go(func() {
			var k *safeguard.OneTimeKey
			err := s.Update(ctx, func(tx store.Tx) (err error) { k, err = tx.ClaimOneTimeKey(ctx, d.ID, at(1)); return })
			if err != nil {
				t.Errorf("claim: %v", err)
				return
			}
			mu.Lock()
			got[k.Curve25519]++
			mu.Unlock()
		})
	}
	wg.Wait()
	for i := range keys {
		if n := got[fmt.Sprintf("key%02d", i)]; n != 1 {
			t.Errorf("one-time key %d handed out %d times, want once", i, n)
		}
	}
	if got["fallback"] != claims-keys {
		t.Errorf("fallback handed out %d times, want %d", got["fallback"], claims-keys)
	}
}

// envelopeMessage stores an envelope message and returns it.
func envelopeMessage(t *testing.T, s store.Store, conv, sender int64, env string) *safeguard.Message {
	t.Helper()
	m := &safeguard.Message{ConversationID: conv, SenderID: sender, App: safeguard.DefaultApp, Kind: safeguard.EnvelopeMessage,
		Envelope: []byte(env), FrankingTag: []byte("cf-" + env), Status: safeguard.Delivered, CreatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreateMessage(t.Context(), m) })
	return m
}

func groupItem(dev *safeguard.Device, m *safeguard.Message, sender string) *safeguard.InboxItem {
	return &safeguard.InboxItem{DeviceID: dev.ID, Kind: safeguard.InboxGroup, SenderID: m.SenderID, SenderDevice: sender,
		ConversationID: m.ConversationID, MessageID: m.ID, CreatedAt: t0}
}

func directItem(dev *safeguard.Device, sender int64, env string, minute int) *safeguard.InboxItem {
	return &safeguard.InboxItem{DeviceID: dev.ID, Kind: safeguard.InboxDirect, SenderID: sender, SenderDevice: "S",
		Envelope: []byte(env), CreatedAt: at(minute)}
}

func envelopeOf(t *testing.T, s store.Store, id int64) (env, tag []byte) {
	t.Helper()
	view(t, s, func(tx store.Tx) error {
		m, err := tx.Message(t.Context(), id)
		if err != nil {
			return err
		}
		env, tag = m.Envelope, m.FrankingTag
		return nil
	})
	return env, tag
}

func testInbox(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "ada", adultBirth)
	b := account(t, s, "bo", adultBirth)
	c := group(t, s, true, a.ID, b.ID)
	b1 := device(t, s, b.ID, "B1")
	b2 := device(t, s, b.ID, "B2")
	m := envelopeMessage(t, s, c.ID, a.ID, "ciphertext-1")
	items := []*safeguard.InboxItem{
		directItem(b1, a.ID, "key share", 0),
		groupItem(b1, m, "A1"),
		groupItem(b2, m, "A1"),
	}
	update(t, s, func(tx store.Tx) error { return tx.AppendInbox(ctx, items) })
	if !(items[0].ID < items[1].ID && items[1].ID < items[2].ID) {
		t.Fatalf("inbox ids not increasing: %d %d %d", items[0].ID, items[1].ID, items[2].ID)
	}
	inbox := func(dev *safeguard.Device, after int64, n int) []*safeguard.InboxItem {
		t.Helper()
		var out []*safeguard.InboxItem
		view(t, s, func(tx store.Tx) (err error) { out, err = tx.Inbox(ctx, dev.ID, after, n); return })
		return out
	}
	want0 := *items[0]
	want1 := *items[1]
	want1.Envelope = []byte("ciphertext-1")
	if d := diff([]*safeguard.InboxItem{&want0, &want1}, inbox(b1, 0, 0)); d != "" {
		t.Errorf("Inbox (-want +got):\n%s", d)
	}
	if got := inbox(b1, items[0].ID, 0); len(got) != 1 || got[0].ID != items[1].ID {
		t.Errorf("Inbox after the first item = %v", got)
	}
	if got := inbox(b1, 0, 1); len(got) != 1 || got[0].ID != items[0].ID {
		t.Errorf("Inbox with limit 1 = %v", got)
	}

	// The envelope stays with the message until every device has it.
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.AckInbox(ctx, b1.ID, items[1].ID); return })
	if n != 2 {
		t.Errorf("AckInbox = %d, want 2", n)
	}
	if len(inbox(b1, 0, 0)) != 0 {
		t.Error("acknowledged items still in the inbox")
	}
	if env, _ := envelopeOf(t, s, m.ID); string(env) != "ciphertext-1" {
		t.Errorf("envelope dropped while device B2 still waits for it: %q", env)
	}
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.AckInbox(ctx, b2.ID, items[2].ID); return })
	if env, tag := envelopeOf(t, s, m.ID); env != nil || tag != nil {
		t.Errorf("envelope %q and tag %q kept after every device fetched it", env, tag)
	}
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.AckInbox(ctx, b2.ID, items[2].ID); return })
	if n != 0 {
		t.Errorf("second AckInbox = %d, want 0", n)
	}

	// A message fanned out to nobody is released at once; a text message
	// is never touched.
	m2 := envelopeMessage(t, s, c.ID, a.ID, "ciphertext-2")
	txt := message(c.ID, a.ID, "hello")
	update(t, s, func(tx store.Tx) error { return tx.CreateMessage(ctx, txt) })
	update(t, s, func(tx store.Tx) error { return tx.ReleaseEnvelopes(ctx, []int64{m2.ID, txt.ID, 0}) })
	if env, _ := envelopeOf(t, s, m2.ID); env != nil {
		t.Errorf("envelope nobody waits for kept: %q", env)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Message(ctx, txt.ID)
		if err == nil && got.Text != "hello" {
			t.Errorf("text message changed: %+v", got)
		}
		return err
	})
}

func testDeleteDevice(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "ada", adultBirth)
	b := account(t, s, "bo", adultBirth)
	c := group(t, s, true, a.ID, b.ID)
	b1 := device(t, s, b.ID, "B1")
	b2 := device(t, s, b.ID, "B2")
	m := envelopeMessage(t, s, c.ID, a.ID, "ciphertext")
	update(t, s, func(tx store.Tx) error {
		if err := tx.AddOneTimeKeys(ctx, b1.ID, []safeguard.OneTimeKey{otk("K", "k", false)}); err != nil {
			return err
		}
		return tx.AppendInbox(ctx, []*safeguard.InboxItem{groupItem(b1, m, "A1"), directItem(b2, a.ID, "x", 0)})
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteDevice(ctx, b1.ID) })
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Device(ctx, b.ID, "B1")
		wantKind(t, "deleted device", err, safeguard.ErrNotFound, "")
		if items, err := tx.Inbox(ctx, b1.ID, 0, 0); err != nil || len(items) != 0 {
			t.Errorf("inbox of a deleted device: %v, %v", items, err)
		}
		if n, fb, err := tx.OneTimeKeyCount(ctx, b1.ID); err != nil || n != 0 || fb {
			t.Errorf("keys of a deleted device: %d, %v, %v", n, fb, err)
		}
		if items, err := tx.Inbox(ctx, b2.ID, 0, 0); err != nil || len(items) != 1 {
			t.Errorf("inbox of the other device: %v, %v", items, err)
		}
		return nil
	})
	if env, _ := envelopeOf(t, s, m.ID); env != nil {
		t.Errorf("envelope only the deleted device waited for kept: %q", env)
	}
	err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteDevice(ctx, b1.ID) })
	wantKind(t, "delete twice", err, safeguard.ErrNotFound, "")
}

func testBlobs(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := &safeguard.Blob{ID: "blob-1", ConversationID: 7, OwnerID: 3, Size: 1234, StorageKey: "abcdef",
		Origin: safeguard.Origin{Addr: netip.MustParseAddrPort("203.0.113.9:40123"), At: t0}, CreatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreateBlob(ctx, b) })
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateBlob(ctx, &safeguard.Blob{ID: "blob-1", CreatedAt: t0}) })
	wantKind(t, "blob id taken", err, safeguard.ErrConflict, "")
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Blob(ctx, "blob-1")
		if err != nil {
			return err
		}
		if d := diff(b, got); d != "" {
			t.Errorf("Blob (-want +got):\n%s", d)
		}
		_, err = tx.Blob(ctx, "blob-2")
		wantKind(t, "missing blob", err, safeguard.ErrNotFound, "")
		return nil
	})
}

func testMarkReported(t *testing.T, s store.Store) {
	ctx := t.Context()
	mark := func(msg, rcpt int64) bool {
		t.Helper()
		var fresh bool
		update(t, s, func(tx store.Tx) (err error) { fresh, err = tx.MarkReported(ctx, msg, rcpt, at(60)); return })
		return fresh
	}
	if !mark(10, 2) {
		t.Error("first report not new")
	}
	if mark(10, 2) {
		t.Error("second report of the same receipt new")
	}
	if !mark(10, 3) || !mark(11, 2) {
		t.Error("another recipient, or another message, not new")
	}
}

func testPurgeE2EE(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "ada", adultBirth)
	b := account(t, s, "bo", adultBirth)
	c := group(t, s, true, a.ID, b.ID)
	b1 := device(t, s, b.ID, "B1")
	old := envelopeMessage(t, s, c.ID, a.ID, "old")
	recent := envelopeMessage(t, s, c.ID, a.ID, "recent")
	oldItem := groupItem(b1, old, "A1")
	recentItem := groupItem(b1, recent, "A1")
	recentItem.CreatedAt = at(30)
	update(t, s, func(tx store.Tx) error {
		for _, bl := range []*safeguard.Blob{
			{ID: "old", ConversationID: c.ID, StorageKey: "key-old", CreatedAt: at(0)},
			{ID: "new", ConversationID: c.ID, StorageKey: "key-new", CreatedAt: at(30)},
		} {
			if err := tx.CreateBlob(ctx, bl); err != nil {
				return err
			}
		}
		if _, err := tx.MarkReported(ctx, 1, 2, at(5)); err != nil {
			return err
		}
		if _, err := tx.MarkReported(ctx, 1, 3, at(50)); err != nil {
			return err
		}
		return tx.AppendInbox(ctx, []*safeguard.InboxItem{oldItem, recentItem, directItem(b1, a.ID, "old share", 0)})
	})
	var p store.E2EEPurge
	update(t, s, func(tx store.Tx) (err error) { p, err = tx.PurgeE2EE(ctx, at(10), at(10)); return })
	want := store.E2EEPurge{Inbox: 2, Envelopes: 1, Blobs: []string{"key-old"}, Reports: 1}
	if d := diff(want, p); d != "" {
		t.Errorf("PurgeE2EE (-want +got):\n%s", d)
	}
	if env, _ := envelopeOf(t, s, old.ID); env != nil {
		t.Errorf("envelope past retention kept: %q", env)
	}
	if env, _ := envelopeOf(t, s, recent.ID); string(env) != "recent" {
		t.Errorf("recent envelope dropped: %q", env)
	}
	view(t, s, func(tx store.Tx) error {
		items, err := tx.Inbox(ctx, b1.ID, 0, 0)
		if err != nil || len(items) != 1 || items[0].ID != recentItem.ID {
			t.Errorf("inbox after purge: %v, %v", items, err)
		}
		_, err = tx.Blob(ctx, "old")
		wantKind(t, "purged blob", err, safeguard.ErrNotFound, "")
		_, err = tx.Blob(ctx, "new")
		return err
	})
	var fresh bool
	update(t, s, func(tx store.Tx) (err error) { fresh, err = tx.MarkReported(ctx, 1, 3, at(50)); return })
	if fresh {
		t.Error("a report record still within its window was purged")
	}
}
