package e2ee_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client/e2ee"
)

// fastKDF keeps tests quick; TestSaveDefaultKDF covers the default.
var fastKDF = e2ee.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

var passphrase = []byte("correct horse battery staple")

func TestSaveLoadContinues(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	first := w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "before the restart"})
	w.mustDeliver(b)
	w.mustDeliver(a)

	dir := t.TempDir()
	for _, d := range []*e2ee.Device{a, b} {
		if err := d.Save(filepath.Join(dir, d.ID().Device+".keys"), passphrase, fastKDF); err != nil {
			t.Fatal(err)
		}
	}
	load := func(name string) *e2ee.Device {
		d, err := e2ee.Load(filepath.Join(dir, name+".keys"), passphrase, e2ee.Options{Now: w.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		w.devices[d.ID()] = d
		return d
	}
	a2, b2 := load("A1"), load("B1")
	if !reflect.DeepEqual(a2.Keys(), a.Keys()) {
		t.Error("identity keys changed across save and load")
	}
	if _, trust, ok := b2.PinnedKeys(a.ID()); !ok || trust != e2ee.TrustPinned {
		t.Error("pin lost across save and load")
	}
	// The same group session continues, without new key shares.
	out := w.send(a2, 1, ids(a2, b2), e2ee.Plaintext{Text: "after the restart"})
	if out.Rotated || len(out.KeyShares) != 0 || out.SessionID != first.SessionID {
		t.Errorf("after load: rotated %v, %d shares", out.Rotated, len(out.KeyShares))
	}
	got := w.mustDeliver(b2)
	if len(got) != 1 || got[0].Text != "after the restart" {
		t.Errorf("B after load read %q", texts(got))
	}
	// Replay detection survives the restart.
	if _, err := b2.DecryptGroup(first.Envelope); !errors.Is(err, e2ee.ErrReplay) {
		t.Errorf("old message after load: %v, want ErrReplay", err)
	}
	// The pairwise session survives too.
	env, err := b2.EncryptDirect(a2.ID(), []byte("pairwise after load"))
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := a2.DecryptDirect(env); err != nil || string(msg.Body) != "pairwise after load" {
		t.Errorf("pairwise after load: %v", err)
	}
	// A sealed state opens to the same sealed content: nothing is lost.
	s1, _ := a2.Seal(passphrase, fastKDF)
	a3, err := e2ee.OpenSealed(s1, passphrase, e2ee.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a3.Keys(), a.Keys()) {
		t.Error("OpenSealed changed the keys")
	}
}

func TestSaveFile(t *testing.T) {
	w := newWorld(t)
	a := w.addDevice(1, "A1")
	dir := t.TempDir()
	path := filepath.Join(dir, "device.keys")
	for range 2 { // the second save replaces the first
		if err := a.Save(path, passphrase, fastKDF); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the state (no temporary files)", len(entries))
	}
	if err := a.Save(filepath.Join(dir, "missing", "x.keys"), passphrase, fastKDF); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
	if err := a.Save(path, nil, fastKDF); !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("empty passphrase: %v", err)
	}
}

func TestLoadRefuses(t *testing.T) {
	w := newWorld(t)
	a := w.addDevice(1, "A1")
	sealed, err := a.Seal(passphrase, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(sealed); b[i] ^= 1; return b }
	tests := []struct {
		name   string
		sealed []byte
		pass   []byte
		want   error
	}{
		{"wrong passphrase", sealed, []byte("Correct horse battery staple"), e2ee.ErrWrongPassphrase},
		{"ciphertext changed", flip(len(sealed) - 40), passphrase, e2ee.ErrStateCorrupt},
		{"tag changed", flip(len(sealed) - 1), passphrase, e2ee.ErrStateCorrupt},
		{"nonce changed", flip(4 + 1 + 1 + 4 + 4 + 1 + 16 + 3), passphrase, e2ee.ErrWrongPassphrase},
		{"salt changed", flip(20), passphrase, e2ee.ErrWrongPassphrase},
		{"truncated", sealed[:len(sealed)-10], passphrase, e2ee.ErrStateCorrupt},
		{"header only", sealed[:60], passphrase, e2ee.ErrStateCorrupt},
		{"not a state", []byte("hello"), passphrase, e2ee.ErrStateCorrupt},
		{"memory raised beyond the bound", func() []byte { b := bytes.Clone(sealed); b[10] = 0xff; return b }(), passphrase, e2ee.ErrStateCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e2ee.OpenSealed(tt.sealed, tt.pass, e2ee.Options{})
			if !errors.Is(err, tt.want) || d != nil {
				t.Fatalf("OpenSealed = %v, %v; want %v", d, err, tt.want)
			}
			if safeguard.ErrorMessage(err) == "" {
				t.Error("no message for the user")
			}
		})
	}
}

// TestSealedHasNoSecrets: the sealed state holds no key material and no
// identifying text in the clear, in any common encoding.
func TestSealedHasNoSecrets(t *testing.T) {
	w := newWorld(t)
	const canary = "CANARYDEVICE7Q"
	a := w.addDevice(1, canary)
	b := w.addDevice(2, "PEERCANARY9X")
	out := w.send(a, 77, ids(a, b), e2ee.Plaintext{Text: "canary message text"})
	w.mustDeliver(b)
	w.mustDeliver(a)

	path := filepath.Join(t.TempDir(), "state")
	if err := a.Save(path, passphrase, fastKDF); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{
		"device id canary": []byte(canary),
		"peer device id":   []byte("PEERCANARY9X"),
		"passphrase":       passphrase,
		"session id":       []byte(out.SessionID),
	}
	for name, priv := range e2ee.PrivateKeysForTest(a) {
		secrets[name] = priv
		secrets[name+" (base64)"] = []byte(base64.RawStdEncoding.EncodeToString(priv))
		secrets[name+" (hex)"] = []byte(hex.EncodeToString(priv))
	}
	// Before sealing, the state holds them — the account pickle, with the
	// private identity key in it, and the device ids — so the check below
	// means something.
	plain, accountPickle := e2ee.PlainStateForTest(a)
	if !bytes.Contains(plain, []byte(accountPickle)) || !bytes.Contains(plain, []byte(canary)) || !bytes.Contains(plain, []byte("PEERCANARY9X")) {
		t.Fatal("the unsealed state lacks the account pickle or the device ids")
	}
	pickle, _ := base64.StdEncoding.DecodeString(accountPickle)
	if !bytes.Contains(pickle, secrets["ed25519 private"]) {
		t.Fatal("the account pickle lacks the private key")
	}
	secrets["account pickle"] = []byte(accountPickle)
	if len(secrets) < 12 {
		t.Fatalf("only %d secrets to look for", len(secrets))
	}
	for name, s := range secrets {
		if len(s) >= 8 && bytes.Contains(file, s) {
			t.Errorf("sealed file contains the %s", name)
		}
	}
}

func TestSaveDefaultKDF(t *testing.T) {
	if testing.Short() {
		t.Skip("argon2id with 64 MiB")
	}
	w := newWorld(t)
	a := w.addDevice(1, "A1")
	sealed, err := a.Seal(passphrase, e2ee.KDFParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e2ee.OpenSealed(sealed, passphrase, e2ee.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e2ee.OpenSealed(sealed, []byte("guess"), e2ee.Options{}); !errors.Is(err, e2ee.ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
}
