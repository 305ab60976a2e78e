package e2ee_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/safeguard-dev/safeguard/client/e2ee"
)

func TestSealerRoundTrips(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "hello"})
	w.mustDeliver(b)

	s, err := e2ee.NewSealer(passphrase, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "device.keys")
	if err := s.Save(b, path); err != nil {
		t.Fatal(err)
	}
	// What a Sealer writes opens like any sealed state, with the
	// passphrase alone.
	b2, err := e2ee.Load(path, passphrase, e2ee.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b2.Keys(), b.Keys()) {
		t.Error("keys changed")
	}
	// And what Device.Seal writes opens with a Sealer, which then saves
	// without deriving again.
	sealed, err := a.Seal(passphrase, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	a2, s2, err := e2ee.OpenWithSealer(sealed, passphrase, e2ee.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a2.Keys(), a.Keys()) {
		t.Error("keys changed")
	}
	again, err := s2.Seal(a2)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again[:len(again)/2], sealed[:len(sealed)/2]) {
		t.Error("a second seal reused the nonce")
	}
	a3, _, err := e2ee.OpenWithSealer(again, passphrase, e2ee.Options{})
	if err != nil || !reflect.DeepEqual(a3.Keys(), a.Keys()) {
		t.Errorf("resealed state: %v", err)
	}

	// A bundle: the device and the application's data in one file.
	bpath := filepath.Join(t.TempDir(), "state")
	if err := s2.SaveBundle(bpath, a2, []byte("my history")); err != nil {
		t.Fatal(err)
	}
	a4, data, s3, err := e2ee.LoadBundle(bpath, passphrase, e2ee.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "my history" || !reflect.DeepEqual(a4.Keys(), a.Keys()) {
		t.Errorf("bundle opened to %q and keys %v", data, a4.Keys())
	}
	if err := s3.SaveBundle(bpath, a4, nil); err != nil {
		t.Fatal(err)
	}
	if _, data, _, err := e2ee.LoadBundle(bpath, passphrase, e2ee.Options{}); err != nil || len(data) != 0 {
		t.Errorf("empty data: %q, %v", data, err)
	}
}

func TestSealerRefuses(t *testing.T) {
	d, err := e2ee.NewDevice(e2ee.DeviceID{Account: 1, Device: "A1"}, e2ee.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e2ee.NewSealer(passphrase, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.SealBundle(d, []byte("secret history"))
	if err != nil {
		t.Fatal(err)
	}
	state, err := s.Seal(d)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name string
		open func() error
		want error
	}{
		{"wrong passphrase", func() error { _, _, _, err := e2ee.OpenBundle(data, []byte("nope"), e2ee.Options{}); return err }, e2ee.ErrWrongPassphrase},
		{"changed ciphertext", func() error { _, _, _, err := e2ee.OpenBundle(flipped, passphrase, e2ee.Options{}); return err }, e2ee.ErrStateCorrupt},
		{"device state as bundle", func() error { _, _, _, err := e2ee.OpenBundle(state, passphrase, e2ee.Options{}); return err }, e2ee.ErrStateCorrupt},
		{"bundle as device state", func() error { _, _, err := e2ee.OpenWithSealer(data, passphrase, e2ee.Options{}); return err }, e2ee.ErrStateCorrupt},
		{"bundle as device state, plain open", func() error { _, err := e2ee.OpenSealed(data, passphrase, e2ee.Options{}); return err }, e2ee.ErrStateCorrupt},
		{"wrong passphrase for a state", func() error {
			_, _, err := e2ee.OpenWithSealer(state, []byte("nope"), e2ee.Options{})
			return err
		}, e2ee.ErrWrongPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.open(); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := e2ee.NewSealer(nil, fastKDF); err == nil {
		t.Error("empty passphrase accepted")
	}
	s.Close()
	if _, err := s.SealBundle(d, []byte("x")); err == nil {
		t.Error("closed sealer still seals")
	}
}

func FuzzOpenBundle(f *testing.F) {
	s, err := e2ee.NewSealer(passphrase, fastKDF)
	if err != nil {
		f.Fatal(err)
	}
	d, err := e2ee.NewDevice(e2ee.DeviceID{Account: 1, Device: "F1"}, e2ee.Options{})
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := s.SealBundle(d, []byte(`{"messages":[]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(0), byte(0), uint16(0))
	f.Add(uint16(20), byte(1), uint16(0))
	f.Add(uint16(0), byte(0), uint16(9))
	f.Fuzz(func(t *testing.T, pos uint16, x byte, cut uint16) {
		b, changed := mutate(sealed, pos, x, cut)
		_, got, _, err := e2ee.OpenBundle(b, passphrase, e2ee.Options{})
		if err == nil && changed {
			t.Fatalf("a changed bundle opened, with data %q", got)
		}
		if err != nil && !changed {
			t.Fatalf("the real data does not open: %v", err)
		}
	})
}
