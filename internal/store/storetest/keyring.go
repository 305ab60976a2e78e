package storetest

import (
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var keyringTests = []test{
	{"Keyring", testKeyring},
}

func testKeyring(t *testing.T, s store.Store) {
	ctx := t.Context()
	read := func(prefix string) []store.SealedKey {
		var got []store.SealedKey
		view(t, s, func(tx store.Tx) (err error) {
			got, err = tx.Keyring(ctx, prefix, false)
			return err
		})
		return got
	}
	media := store.SealedKey{Name: "media", Created: at(1), Sealed: []byte{1, 2, 3}}
	f1 := store.SealedKey{Name: "franking/7", Created: at(2), Sealed: []byte{4}}
	f2 := store.SealedKey{Name: "franking/9", Created: at(3), Sealed: []byte{5, 6}}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.AddToKeyring(ctx, []store.SealedKey{media, f2, f1})
		if n != 3 {
			t.Errorf("added %d of 3 new keys", n)
		}
		return err
	})
	if d := diff([]store.SealedKey{f1, f2, media}, read("")); d != "" {
		t.Fatalf("the keyring (-want +got):\n%s", d)
	}
	// A name taken keeps its key: the first to add it wins.
	update(t, s, func(tx store.Tx) error {
		n, err := tx.AddToKeyring(ctx, []store.SealedKey{{Name: "media", Created: at(5), Sealed: []byte{9}}})
		if n != 0 {
			t.Errorf("added %d keys under a name taken", n)
		}
		return err
	})
	update(t, s, func(tx store.Tx) error {
		got, err := tx.Keyring(ctx, "franking/", true)
		if d := diff([]store.SealedKey{f1, f2}, got); d != "" {
			t.Errorf("the franking keys, locked (-want +got):\n%s", d)
		}
		return err
	})
	if d := diff([]store.SealedKey{media}, read("media")); d != "" {
		t.Fatalf("a name taken again (-want +got):\n%s", d)
	}
	resealed := media
	resealed.Sealed = []byte{7, 7}
	update(t, s, func(tx store.Tx) error { return tx.ResealKeyring(ctx, []store.SealedKey{resealed}) })
	if d := diff([]store.SealedKey{resealed}, read("me")); d != "" {
		t.Fatalf("resealed (-want +got):\n%s", d)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.ResealKeyring(ctx, []store.SealedKey{{Name: "guardian", Sealed: []byte{1}}})
	})
	wantKind(t, "reseal a key not stored", err, safeguard.ErrNotFound, "")
	update(t, s, func(tx store.Tx) error {
		n, err := tx.DeleteFromKeyring(ctx, []string{"franking/7", "franking/8"})
		if n != 1 {
			t.Errorf("deleted %d keys, want 1", n)
		}
		return err
	})
	if d := diff([]store.SealedKey{f2, resealed}, read("")); d != "" {
		t.Fatalf("after a delete (-want +got):\n%s", d)
	}
}
