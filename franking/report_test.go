package franking_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
)

// server is the server's half of franking as a test sees it: a key ring, a
// signer and a verifier sharing one clock.
type server struct {
	clock  *clock
	keys   *franking.KeyRing
	signer franking.Signer
	verify franking.Verifier
}

func newServer(t *testing.T, c *clock) *server {
	t.Helper()
	keys := franking.NewKeyRing(franking.KeyRingConfig{
		Window:      30 * 24 * time.Hour,
		RotateEvery: 24 * time.Hour,
		Now:         c.Now,
	})
	return &server{
		clock:  c,
		keys:   keys,
		signer: franking.Signer{Keys: keys},
		verify: franking.Verifier{Keys: keys, Seen: &franking.MemorySeen{Now: c.Now}, Now: c.Now},
	}
}

// deliver plays one message through franking: the sender commits, the
// server stamps, the recipient checks the commitment and keeps what it needs
// to report.
func deliver(t *testing.T, s *server, m franking.Message) franking.Report {
	t.Helper()
	kf := franking.NewKey()
	cf, err := franking.Commit(kf, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := sampleContext(s.clock.Now())
	r, err := s.signer.Stamp(cf, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := franking.Verify(kf, cf, m); err != nil {
		t.Fatal(err)
	}
	return franking.Report{Message: m, Key: kf, Receipt: r, Context: ctx}
}

func TestReportHonest(t *testing.T) {
	s := newServer(t, newClock())
	rep := deliver(t, s, sampleMessage())
	s.clock.Advance(10 * 24 * time.Hour) // reported later, within the window, after rotations
	s.keys.Current()
	// The report goes over the wire as JSON.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := franking.ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.verify.Verify(t.Context(), parsed)
	if err != nil {
		t.Fatalf("honest report refused: %v", err)
	}
	if diff := cmp.Diff(sampleMessage(), got.Message); diff != "" {
		t.Errorf("verified message (-want +got):\n%s", diff)
	}
	if got.Context.SenderAccount != 101 || got.Context.MessageID != 5555 {
		t.Errorf("verified context = %+v", got.Context)
	}
}

func TestReportForged(t *testing.T) {
	tests := []struct {
		name  string
		forge func(s *server, r *franking.Report)
		want  error
		kind  error
	}{
		{"altered text", func(_ *server, r *franking.Report) { r.Message.Text = "something else" }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"altered attachment hash", func(_ *server, r *franking.Report) { r.Message.Attachments[0].SHA256[3] ^= 0x80 }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"attachment dropped", func(_ *server, r *franking.Report) { r.Message.Attachments = nil }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"another sender", func(_ *server, r *franking.Report) { r.Context.SenderAccount = 303 }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"another sender device", func(_ *server, r *franking.Report) { r.Context.SenderDevice = "DEVICEA2" }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"another recipient", func(_ *server, r *franking.Report) { r.Context.RecipientAccount = 404 }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"another conversation", func(_ *server, r *franking.Report) { r.Context.ConversationID++ }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"another message id", func(_ *server, r *franking.Report) { r.Context.MessageID++ }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"another time", func(_ *server, r *franking.Report) { r.Context.ServerTime = r.Context.ServerTime.Add(-time.Hour) }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"wrong franking key", func(_ *server, r *franking.Report) { r.Key = franking.NewKey() }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"forged MAC", func(_ *server, r *franking.Report) { r.Receipt.MAC[0] ^= 1 }, franking.ErrReceipt, safeguard.ErrInvalid},
		{"unknown kid", func(_ *server, r *franking.Report) { r.Receipt.KeyID += 100 }, franking.ErrUnknownKey, safeguard.ErrInvalid},
		{"past the window", func(s *server, _ *franking.Report) { s.clock.Advance(31 * 24 * time.Hour) }, franking.ErrExpired, safeguard.ErrInvalid},
		{"kid dropped, time moved into the window", func(s *server, r *franking.Report) {
			s.clock.Advance(40 * 24 * time.Hour)
			s.keys.Current() // rotates; the receipt's key is now older than the window
			r.Context.ServerTime = s.clock.Now()
		}, franking.ErrUnknownKey, safeguard.ErrInvalid},
		{"reported twice", func(s *server, r *franking.Report) {
			if _, err := s.verify.Verify(context.Background(), *r); err != nil {
				panic(err)
			}
		}, franking.ErrDuplicate, safeguard.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, newClock())
			rep := deliver(t, s, sampleMessage())
			tt.forge(s, &rep)
			_, err := s.verify.Verify(t.Context(), rep)
			if !errors.Is(err, tt.want) || !errors.Is(err, tt.kind) {
				t.Fatalf("Verify = %v, want %v of kind %v", err, tt.want, tt.kind)
			}
			for _, other := range []error{franking.ErrReceipt, franking.ErrUnknownKey, franking.ErrExpired, franking.ErrDuplicate} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
			}
		})
	}
}

// TestForgedReportDoesNotBlockReal: a forged report of a message id must not
// use up the real recipient's report.
func TestForgedReportDoesNotBlockReal(t *testing.T) {
	s := newServer(t, newClock())
	rep := deliver(t, s, sampleMessage())
	forged := rep
	forged.Message = franking.Message{Text: "made up"}
	if _, err := s.verify.Verify(t.Context(), forged); !errors.Is(err, franking.ErrReceipt) {
		t.Fatalf("forged: %v", err)
	}
	if _, err := s.verify.Verify(t.Context(), rep); err != nil {
		t.Fatalf("real report after forged one: %v", err)
	}
}

// TestGroupRecipientsReportSeparately: each recipient holds its own receipt.
func TestGroupRecipientsReportSeparately(t *testing.T) {
	s := newServer(t, newClock())
	m := sampleMessage()
	kf := franking.NewKey()
	cf, err := franking.Commit(kf, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, recipient := range []int64{202, 303} {
		ctx := sampleContext(s.clock.Now())
		ctx.RecipientAccount = recipient
		r, err := s.signer.Stamp(cf, ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.verify.Verify(t.Context(), franking.Report{Message: m, Key: kf, Receipt: r, Context: ctx}); err != nil {
			t.Errorf("recipient %d: %v", recipient, err)
		}
	}
}

func TestKeyRing(t *testing.T) {
	c := newClock()
	ring := franking.NewKeyRing(franking.KeyRingConfig{Window: 10 * time.Hour, RotateEvery: 4 * time.Hour, Now: c.Now})
	first := ring.Current()
	if again := ring.Current(); again.ID != first.ID {
		t.Fatalf("Current rotated early: %d then %d", first.ID, again.ID)
	}
	c.Advance(4 * time.Hour)
	second := ring.Current()
	if second.ID == first.ID {
		t.Fatal("Current did not rotate after RotateEvery")
	}
	ids := func() []uint32 {
		var out []uint32
		for _, k := range ring.Keys() {
			out = append(out, k.ID)
		}
		return out
	}
	if diff := cmp.Diff([]uint32{first.ID, second.ID}, ids()); diff != "" {
		t.Errorf("keys within the window (-want +got):\n%s", diff)
	}
	// The first key signed receipts until the second was made; it goes when
	// the second is older than the window.
	c.Advance(10*time.Hour + time.Second)
	if diff := cmp.Diff([]uint32{second.ID}, ids()); diff != "" {
		t.Errorf("after the window (-want +got):\n%s", diff)
	}
	third := ring.Rotate()
	if third.ID == second.ID || third.ID == 0 {
		t.Errorf("Rotate gave kid %d after %d", third.ID, second.ID)
	}
	if diff := cmp.Diff([]uint32{second.ID, third.ID}, ids()); diff != "" {
		t.Errorf("after Rotate (-want +got):\n%s", diff)
	}

	// Keys survive a restart through Keys and Add.
	restarted := franking.NewKeyRing(franking.KeyRingConfig{Window: 10 * time.Hour, RotateEvery: 4 * time.Hour, Now: c.Now})
	for _, k := range ring.Keys() {
		if err := restarted.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(ring.Keys(), restarted.Keys()); diff != "" {
		t.Errorf("restarted ring (-want +got):\n%s", diff)
	}
	if err := restarted.Add(third); !errors.Is(err, safeguard.ErrConflict) {
		t.Errorf("adding a kid twice: %v, want ErrConflict", err)
	}
	if err := restarted.Add(franking.ServerKey{ID: 99, Secret: []byte("short")}); !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("short secret: %v, want ErrInvalid", err)
	}
	if s := ring.String(); strings.Contains(s, string(third.Secret)) || !strings.Contains(s, "kids") {
		t.Errorf("String() = %q", s)
	}
}

// TestReportAcrossRestart: a receipt made before a restart verifies after
// it, with the keys reloaded.
func TestReportAcrossRestart(t *testing.T) {
	c := newClock()
	s := newServer(t, c)
	rep := deliver(t, s, franking.Message{Text: "hello"})
	s2 := newServer(t, c)
	for _, k := range s.keys.Keys() {
		if err := s2.keys.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s2.verify.Verify(t.Context(), rep); err != nil {
		t.Fatal(err)
	}
}

func TestParseReportErrors(t *testing.T) {
	s := newServer(t, newClock())
	good, err := json.Marshal(deliver(t, s, sampleMessage()))
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(good, &fields); err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) string {
		m := map[string]any{}
		for k, v := range fields {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct{ name, in, want string }{
		{"not JSON", "{", "unexpected EOF"},
		{"syntax", `{"version":1,,}`, "JSON syntax at byte"},
		{"trailing", string(good) + "{}", "trailing data"},
		{"unknown field", with("extra", 1), `unknown field "extra"`},
		{"version", with("version", 2), "version 2, want 1"},
		{"no message", with("message", nil), "message: missing"},
		{"bad base64", with("franking_key", "!!"), "franking_key: illegal base64"},
		{"short key", with("franking_key", b64([]byte("short"))), "franking_key: 5 bytes, want 32"},
		{"short receipt", with("receipt", b64([]byte("r"))), "receipt"},
		{"bad message", with("message", b64([]byte{1, 0})), "message"},
		{"bad context", with("context", b64([]byte{1})), "context"},
		{"too large", `{"message":"` + strings.Repeat("A", franking.MaxReportBytes) + `"}`, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := franking.ParseReport([]byte(tt.in))
			checkMalformed(t, err, tt.want)
		})
	}
}
