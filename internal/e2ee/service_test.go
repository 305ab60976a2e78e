package e2ee_test

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// clock is an injected time source that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a service on a fresh SQLite store, with two verified adults in
// an E2EE conversation, each with a registered device.
type fixture struct {
	st     store.Store
	md     media.Store
	svc    *e2ee.Service
	clock  *clock
	saved  [][]franking.ServerKey
	a, b   *safeguard.Account
	da, db *ce.Device
	conv   *safeguard.Conversation
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, md: md, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	ring := franking.NewKeyRing(franking.KeyRingConfig{Now: f.clock.Now})
	f.svc, err = e2ee.New(e2ee.Config{Limits: &e2ee.Limits{}}, e2ee.Deps{Store: st, Media: md, Keys: ring, Now: f.clock.Now,
		SaveKeys: func(keys []franking.ServerKey) error { f.saved = append(f.saved, keys); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	adult := func(handle string) *safeguard.Account {
		a := &safeguard.Account{Handle: handle, BirthDate: safeguard.Date{Year: 1980, Month: 1, Day: 1},
			Assurance: safeguard.Verified, Status: safeguard.Active, App: "chat", CreatedAt: f.clock.Now()}
		if err := st.Update(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, a, "x") }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.a, f.b = adult("ann"), adult("ben")
	f.conv = &safeguard.Conversation{Kind: safeguard.Direct, E2EE: true, App: "chat", CreatedBy: f.a.ID, CreatedAt: f.clock.Now(),
		Members: []safeguard.Member{{AccountID: f.a.ID, State: safeguard.MemberJoined}, {AccountID: f.b.ID, State: safeguard.MemberJoined}}}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.CreateConversation(ctx, f.conv) }); err != nil {
		t.Fatal(err)
	}
	f.da, f.db = f.register(t, f.a, "A1"), f.register(t, f.b, "B1")
	return f
}

func (f *fixture) register(t *testing.T, a *safeguard.Account, name string) *ce.Device {
	t.Helper()
	d := newDevice(t, a.ID, name)
	reg, err := e2ee.ParseRegistration(registration(t, d))
	if err != nil {
		t.Fatal(err)
	}
	if _, created, err := f.svc.RegisterDevice(t.Context(), a.ID, reg); err != nil || !created {
		t.Fatalf("register %s: %v, created %v", name, err, created)
	}
	d.MarkKeysPublished()
	return d
}

// envelope stores a group envelope message from ann's device, relayed in
// the same transaction, and returns it.
func (f *fixture) envelope(t *testing.T, status safeguard.MessageStatus, tag []byte) (*safeguard.Message, error) {
	t.Helper()
	claimed, _, err := f.svc.Claim(t.Context(), f.a.ID, []ce.DeviceID{f.db.ID()})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v", err)
	}
	if !f.da.HasSession(f.db.ID()) {
		if _, err := f.da.StartSession(f.db.Keys(), claimed[0].Key); err != nil {
			t.Fatal(err)
		}
	}
	out, err := f.da.EncryptGroup(f.conv.ID, []ce.DeviceID{f.db.ID()}, ce.Plaintext{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if tag == nil {
		tag = out.Commitment[:]
	}
	m := &safeguard.Message{ConversationID: f.conv.ID, SenderID: f.a.ID, App: "chat", Kind: safeguard.EnvelopeMessage,
		Envelope: out.Envelope, FrankingTag: tag, Status: status, CreatedAt: f.clock.Now()}
	err = f.st.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateMessage(t.Context(), m); err != nil {
			return err
		}
		return f.svc.Relay(t.Context(), tx, m, []*safeguard.Account{f.b})
	})
	return m, err
}

func TestRelayAndFetch(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	m, err := f.envelope(t, safeguard.Delivered, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Fetch(ctx, f.b.ID, "B1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Items) != 1 || in.Items[0].Item.MessageID != m.ID || len(in.Items[0].Receipt) != franking.ReceiptSize {
		t.Fatalf("inbox %+v", in)
	}
	// The receipt's key was saved before the receipt left.
	r, _ := franking.ParseReceipt(in.Items[0].Receipt)
	if len(f.saved) != 1 || f.saved[0][0].ID != r.KeyID {
		t.Errorf("saved keys %v, receipt key %d", f.saved, r.KeyID)
	}
	fc, err := franking.ParseContext(in.Items[0].Context)
	if err != nil || fc.MessageID != m.ID || fc.SenderDevice != "A1" || fc.RecipientAccount != f.b.ID || !fc.ServerTime.Equal(m.CreatedAt) {
		t.Errorf("context %+v, %v", fc, err)
	}
	// Fetching again without acknowledging hands out the same item; with
	// the cursor, it is gone, and so is the envelope.
	again, err := f.svc.Fetch(ctx, f.b.ID, "B1", 0, 0)
	if err != nil || len(again.Items) != 1 {
		t.Fatalf("second fetch %+v, %v", again, err)
	}
	done, err := f.svc.Fetch(ctx, f.b.ID, "B1", in.Next, 0)
	if err != nil || len(done.Items) != 0 || done.Next != in.Next {
		t.Fatalf("after acknowledging: %+v, %v", done, err)
	}
	var kept *safeguard.Message
	f.st.View(ctx, func(tx store.Tx) (err error) { kept, err = tx.Message(ctx, m.ID); return })
	if kept.Envelope != nil || kept.FrankingTag != nil {
		t.Error("envelope kept after its only device fetched it")
	}
	if len(f.saved) != 1 {
		t.Errorf("keys saved %d times; want once, nothing new to save", len(f.saved))
	}
}

func TestRelayRefuses(t *testing.T) {
	f := newFixture(t)
	_, err := f.envelope(t, safeguard.Delivered, []byte("not the commitment"))
	wantError(t, err, "franking_tag_mismatch", "franking tag")

	// A held message is stored but handed to no device.
	if _, err := f.envelope(t, safeguard.Held, nil); err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Fetch(t.Context(), f.b.ID, "B1", 0, 0)
	if err != nil || len(in.Items) != 0 {
		t.Errorf("held message handed out: %+v, %v", in, err)
	}

	// A sending device that is not registered.
	if err := f.svc.DeleteDevice(t.Context(), f.a.ID, "A1"); err != nil {
		t.Fatal(err)
	}
	_, err = f.envelope(t, safeguard.Delivered, nil)
	wantError(t, err, "unknown_device", "not registered")
}

func TestRegisterDevice(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	// The same keys again: not an error, not created.
	reg, _ := e2ee.ParseRegistration(registration(t, f.da))
	if _, created, err := f.svc.RegisterDevice(ctx, f.a.ID, reg); err != nil || created {
		t.Errorf("re-registration: created %v, %v", created, err)
	}
	// Keys of another account.
	_, _, err := f.svc.RegisterDevice(ctx, f.b.ID, reg)
	wantError(t, err, "device_account_mismatch", "another account")
	// Not a verified adult any more.
	f.b.Assurance = safeguard.SelfDeclared
	f.st.Update(ctx, func(tx store.Tx) error { return tx.UpdateAccount(ctx, f.b) })
	other, _ := e2ee.ParseRegistration(registration(t, newDevice(t, f.b.ID, "B2")))
	_, _, err = f.svc.RegisterDevice(ctx, f.b.ID, other)
	wantError(t, err, "e2ee_requires_verified_adults", "verified")
	if _, err := f.svc.Fetch(ctx, f.b.ID, "B1", 0, 0); !errors.Is(err, safeguard.ErrPermission) {
		t.Errorf("fetch by an account no longer verified: %v", err)
	}
	// Too many devices.
	for i := range e2ee.DefaultMaxDevices - 1 {
		f.register(t, f.a, "EXTRA"+strings.Repeat("X", i+1))
	}
	extra, _ := e2ee.ParseRegistration(registration(t, newDevice(t, f.a.ID, "ONE-TOO-MANY")))
	_, _, err = f.svc.RegisterDevice(ctx, f.a.ID, extra)
	wantError(t, err, "too_many_devices", "the most allowed")
}

func TestSweep(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.envelope(t, safeguard.Delivered, nil); err != nil {
		t.Fatal(err)
	}
	blob, err := f.svc.PutBlob(ctx, f.a.ID, f.conv.ID, []byte("ciphertext"), safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := f.svc.Sweep(ctx); err != nil || p.Inbox+p.Envelopes+len(p.Blobs) != 0 {
		t.Fatalf("sweep within retention: %+v, %v", p, err)
	}
	f.clock.Advance(e2ee.DefaultRetention + time.Minute)
	p, err := f.svc.Sweep(ctx)
	if err != nil || p.Inbox != 1 || p.Envelopes != 1 || len(p.Blobs) != 1 {
		t.Fatalf("sweep past retention: %+v, %v", p, err)
	}
	if _, _, err := f.svc.OpenBlob(ctx, f.b.ID, f.conv.ID, blob.ID); !errors.Is(err, safeguard.ErrNotFound) {
		t.Errorf("blob past retention: %v", err)
	}
	if _, err := f.md.Get(ctx, blob.StorageKey); !errors.Is(err, safeguard.ErrNotFound) {
		t.Errorf("blob bytes past retention: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "franking.keys")
	ring, save, err := e2ee.OpenKeyFile(path, franking.KeyRingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ring.Keys()) != 0 {
		t.Fatal("a new key file has keys")
	}
	k := ring.Current()
	if err := save(ring.Keys()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v", st.Mode(), err)
	}
	ring2, _, err := e2ee.OpenKeyFile(path, franking.KeyRingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ring2.Keys(); len(got) != 1 || got[0].ID != k.ID || string(got[0].Secret) != string(k.Secret) || !got[0].Created.Equal(k.Created) {
		t.Errorf("reloaded %v", got)
	}
	tests := []struct{ name, body, want string }{
		{"not json", `{`, "unexpected EOF"},
		{"version", `{"version":2,"keys":[]}`, "version 2"},
		{"short secret", `{"version":1,"keys":[{"id":1,"secret":"00","created":"2026-01-01T00:00:00Z"}]}`, "keys[0]: secret of 1 bytes"},
		{"zero id", `{"version":1,"keys":[{"id":0,"secret":"` + strings.Repeat("00", 32) + `","created":"2026-01-01T00:00:00Z"}]}`, "keys[0]: id 0"},
		{"no time", `{"version":1,"keys":[{"id":3,"secret":"` + strings.Repeat("00", 32) + `"}]}`, "keys[0]: no creation time"},
		{"unknown field", `{"version":1,"keys":[],"x":1}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e2ee.ParseKeyFile([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	os.WriteFile(path, []byte(`{"version":9}`), 0o600)
	if _, _, err := e2ee.OpenKeyFile(path, franking.KeyRingConfig{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("bad file: %v", err)
	}
}
