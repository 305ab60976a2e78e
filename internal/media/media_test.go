package media

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, err := LoadOrCreateKey(filepath.Join(dir, "media.key"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateKey(filepath.Join(dir, "media.key"))
	if err != nil || !bytes.Equal(key, again) {
		t.Fatalf("key not kept: %v", err)
	}
	d, err := OpenDisk(filepath.Join(dir, "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	canary := []byte("CANARY-media-plaintext-7f3a")
	k, err := d.Put(ctx, canary)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Get(ctx, k)
	if err != nil || !bytes.Equal(got, canary) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// The layout of media directories: <first two hex digits>/<key>, 0600.
	path := filepath.Join(dir, "media", k[:2], k)
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) != 1+12+len(canary)+16 {
		t.Fatalf("%s: %d bytes, %v; want the sealed file", path, len(raw), err)
	}
	if fi, _ := os.Stat(path); fi.Mode() != 0o600 {
		t.Fatalf("%s: mode %v", path, fi.Mode())
	}
	if bytes.Contains(raw, canary) {
		t.Fatal("plaintext on disk")
	}

	// A file swapped for another does not open.
	k2, _ := d.Put(ctx, []byte("other"))
	raw2, _ := os.ReadFile(filepath.Join(dir, "media", k2[:2], k2))
	os.WriteFile(filepath.Join(dir, "media", k[:2], k), raw2, 0o600)
	if _, err := d.Get(ctx, k); err == nil {
		t.Fatal("swapped file opened")
	}

	// Another key cannot read it.
	other := bytes.Repeat([]byte{1}, KeySize)
	d2, _ := OpenDisk(filepath.Join(dir, "media"), other)
	if _, err := d2.Get(ctx, k2); err == nil {
		t.Fatal("opened with the wrong key")
	}

	if err := d.Delete(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, k2); !errors.Is(err, safeguard.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := d.Delete(ctx, k2); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	for _, bad := range []string{"", "../../etc/passwd", "zz"} {
		if _, err := d.Get(ctx, bad); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("Get(%q) = %v", bad, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey("abcd"); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := OpenDisk(t.TempDir(), []byte("short")); err == nil {
		t.Fatal("short key accepted by OpenDisk")
	}
}
