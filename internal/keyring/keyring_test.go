package keyring_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// opener opens another handle on one database, as another server would.
type opener func(t *testing.T) store.Store

// eachStore runs fn on SQLite, and on PostgreSQL when
// SAFEGUARD_TEST_POSTGRES is set, each with a database of its own.
func eachStore(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "keys.db")
		fn(t, func(t *testing.T) store.Store {
			db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.Schema(t)
		fn(t, func(t *testing.T) store.Store { return pgtest.OpenDSN(t, dsn) })
	})
}

// kek returns a key-encryption key made of b.
func kek(b byte) []byte { return bytes.Repeat([]byte{b}, keyring.KEKSize) }

func open(t *testing.T, st store.Store, k []byte) (*keyring.Cluster, *keyring.Keys) {
	t.Helper()
	c, keys, err := keyring.Open(t.Context(), st, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, keys
}

// rows returns the keyring's rows as stored.
func rows(t *testing.T, st store.Store) []store.SealedKey {
	t.Helper()
	var out []store.SealedKey
	if err := st.View(t.Context(), func(tx store.Tx) (err error) {
		out, err = tx.Keyring(t.Context(), "", false)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseKEK(t *testing.T) {
	k := kek(7)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k) + "\n", base64.RawURLEncoding.EncodeToString(k)} {
		got, err := keyring.ParseKEK(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKEK(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(k[:16]), "0707070707070707070707070707070707070707070707070707070707070707"} {
		if _, err := keyring.ParseKEK(s); err == nil {
			t.Errorf("ParseKEK(%q) accepted", s)
		}
	}
}

// TestOpenOnce: servers starting at once, each with its own connection,
// make one set of keys; a server started later reads the same; the keys
// are sealed, not stored as they are.
func TestOpenOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, openStore opener) { startAtOnce(t, openStore) })
}

// TestOpenOnceAfterImport: the same when some keys were imported first, so
// that the servers find the keyring begun, and make the rest at once.
func TestOpenOnceAfterImport(t *testing.T) {
	eachStore(t, func(t *testing.T, openStore opener) {
		guardian := bytes.Repeat([]byte{0x5a}, 32)
		if _, err := keyring.Import(t.Context(), openStore(t), kek(1), keyring.Keys{Guardian: guardian}, nil); err != nil {
			t.Fatal(err)
		}
		if k := startAtOnce(t, openStore); !bytes.Equal(k.Guardian, guardian) {
			t.Fatal("the imported guardian key was replaced")
		}
	})
}

// startAtOnce opens the keyring from several servers at once, checks they
// agree on one set of keys, and returns it.
func startAtOnce(t *testing.T, openStore opener) *keyring.Keys {
	t.Helper()
	{
		const servers = 4
		got := make([]*keyring.Keys, servers)
		errs := make([]error, servers)
		handles := make([]store.Store, servers)
		for i := range handles {
			handles[i] = openStore(t)
		}
		var wg sync.WaitGroup
		for i := range servers {
			wg.Go(func() { _, got[i], errs[i] = keyring.Open(t.Context(), handles[i], kek(1), nil) })
		}
		wg.Wait()
		for i := range servers {
			if errs[i] != nil {
				t.Fatalf("server %d: %v", i, errs[i])
			}
			if d := cmp.Diff(got[0], got[i]); d != "" {
				t.Fatalf("server %d has other keys than server 0 (-0 +%d):\n%s", i, i, d)
			}
		}
		k := got[0]
		if len(k.Media) != 32 || len(k.Guardian) != 32 || len(k.EvidenceData) != 32 || len(k.EvidenceSigning) != ed25519.PrivateKeySize {
			t.Fatalf("keys missing: %+v", k)
		}
		if len(k.Franking) != 1 {
			t.Fatalf("%d franking keys, want 1", len(k.Franking))
		}
		if bytes.Equal(k.Media, k.Guardian) || bytes.Equal(k.Media, k.EvidenceData) {
			t.Fatal("two keys are the same")
		}
		rs := rows(t, handles[0])
		if len(rs) != 6 { // four keys, a franking key, the check
			t.Fatalf("%d rows, want 6: %v", len(rs), rs)
		}
		for _, r := range rs {
			if bytes.Contains(r.Sealed, k.Media) || bytes.Contains(r.Sealed, k.Franking[0].Secret) {
				t.Fatalf("row %s holds a key as it is", r.Name)
			}
		}
		_, again := open(t, openStore(t), kek(1))
		if d := cmp.Diff(k, again); d != "" {
			t.Fatalf("reopened (-first +again):\n%s", d)
		}
		read, err := keyring.Read(t.Context(), openStore(t), kek(1))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(k, read); d != "" {
			t.Fatalf("Read (-opened +read):\n%s", d)
		}
		if _, err := keyring.Read(t.Context(), openStore(t), kek(2)); !errors.Is(err, keyring.ErrWrongKEK) {
			t.Fatalf("Read with another KEK: %v", err)
		}
		return k
	}
}

// TestWrongKEK: a server given another KEK is refused and changes nothing,
// whether the keyring was made or imported.
func TestWrongKEK(t *testing.T) {
	eachStore(t, func(t *testing.T, openStore opener) {
		st := openStore(t)
		open(t, st, kek(1))
		before := rows(t, st)
		_, _, err := keyring.Open(t.Context(), st, kek(2), nil)
		if !errors.Is(err, keyring.ErrWrongKEK) {
			t.Fatalf("another KEK: %v, want ErrWrongKEK", err)
		}
		if d := cmp.Diff(before, rows(t, st)); d != "" {
			t.Fatalf("a refused server changed the keyring (-before +after):\n%s", d)
		}
		if _, _, err := keyring.Open(t.Context(), st, kek(1)[:16], nil); err == nil {
			t.Fatal("a KEK of 16 bytes accepted")
		}
	})
}

// TestKeyBoundToName: a sealed key moved to another name does not open.
func TestKeyBoundToName(t *testing.T) {
	eachStore(t, func(t *testing.T, openStore opener) {
		st := openStore(t)
		open(t, st, kek(1))
		var guardian store.SealedKey
		for _, r := range rows(t, st) {
			if r.Name == keyring.Guardian {
				guardian = r
			}
		}
		moved := store.SealedKey{Name: keyring.Media, Sealed: guardian.Sealed}
		if err := st.Update(t.Context(), func(tx store.Tx) error { return tx.ResealKeyring(t.Context(), []store.SealedKey{moved}) }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := keyring.Open(t.Context(), st, kek(1), nil); err == nil {
			t.Fatal("the guardian key stored as the media key opened")
		}
	})
}

// stamp makes a receipt with ring for a message, and the report of it.
func stamp(t *testing.T, ring *franking.KeyRing, id int64) franking.Report {
	t.Helper()
	msg := franking.Message{Text: "a synthetic message (TEST)"}
	kf := franking.NewKey()
	cf, err := franking.Commit(kf, msg)
	if err != nil {
		t.Fatal(err)
	}
	fc := franking.Context{SenderAccount: 1, SenderDevice: "d1", RecipientAccount: 2, ConversationID: 3, ServerTime: time.Now().UTC(), MessageID: id}
	r, err := franking.Signer{Keys: ring}.Stamp(cf, fc)
	if err != nil {
		t.Fatal(err)
	}
	return franking.Report{Message: msg, Key: kf, Context: fc, Receipt: r}
}

// verify checks a report with ring.
func verify(ctx context.Context, ring *franking.KeyRing, rep franking.Report) error {
	_, err := franking.Verifier{Keys: ring, Seen: &franking.MemorySeen{}}.Verify(ctx, rep)
	return err
}

// TestFrankingShared: a receipt made with a key one server rotated to
// verifies on another once that one has refreshed (or saved); the old key
// still verifies; a key past the report window leaves the keyring.
func TestFrankingShared(t *testing.T) {
	eachStore(t, func(t *testing.T, openStore opener) {
		ctx := t.Context()
		var mu sync.Mutex
		now := time.Now().UTC()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		cfg := franking.KeyRingConfig{Window: 10 * time.Hour, RotateEvery: 4 * time.Hour, Now: clock}
		server := func() *keyring.Franking {
			c, keys, err := keyring.Open(ctx, openStore(t), kek(1), clock)
			if err != nil {
				t.Fatal(err)
			}
			f, err := c.Franking(keys.Franking, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		a, b := server(), server()
		first := stamp(t, a.Ring(), 1)
		if err := verify(ctx, b.Ring(), first); err != nil {
			t.Fatalf("a receipt of the first key, on the other server: %v", err)
		}
		rotated, err := a.Rotate()
		if err != nil {
			t.Fatal(err)
		}
		second := stamp(t, a.Ring(), 2)
		if second.Receipt.KeyID != rotated.ID || rotated.ID == first.Receipt.KeyID {
			t.Fatalf("after rotation the receipt names key %d, want the new %d", second.Receipt.KeyID, rotated.ID)
		}
		if err := verify(ctx, b.Ring(), second); !errors.Is(err, franking.ErrUnknownKey) {
			t.Fatalf("before a refresh: %v, want ErrUnknownKey", err)
		}
		if err := b.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		for _, rep := range []franking.Report{first, second} {
			if err := verify(ctx, b.Ring(), rep); err != nil {
				t.Fatalf("receipt of key %d after a refresh: %v", rep.Receipt.KeyID, err)
			}
		}
		if got := stamp(t, b.Ring(), 3).Receipt.KeyID; got != rotated.ID {
			t.Fatalf("server b makes receipts with key %d, want the newest %d", got, rotated.ID)
		}

		// Far past the window: the ring rotates on its own, and the save
		// deletes the keys nobody may verify with any more.
		mu.Lock()
		now = now.Add(20 * time.Hour)
		mu.Unlock()
		third := stamp(t, b.Ring(), 4)
		if err := b.Save(b.Ring().Keys()); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows(t, openStore(t)) {
			names = append(names, r.Name)
		}
		if len(names) != 6 { // four keys, the check and the one franking key left
			t.Fatalf("rows after the window passed: %v", names)
		}
		if err := a.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if err := verify(ctx, a.Ring(), third); err != nil {
			t.Fatalf("the newest receipt on server a: %v", err)
		}
	})
}

// TestRotateKEK: every key is resealed under the new KEK in one go; the
// old KEK opens nothing after, and a server still on it adds no key sealed
// with it. A wrong old KEK changes nothing.
func TestRotateKEK(t *testing.T) {
	eachStore(t, func(t *testing.T, openStore opener) {
		ctx := t.Context()
		st := openStore(t)
		c, keys := open(t, st, kek(1))
		running, err := c.Franking(keys.Franking, franking.KeyRingConfig{})
		if err != nil {
			t.Fatal(err)
		}
		before := rows(t, st)
		if _, err := keyring.RotateKEK(ctx, st, kek(3), kek(2)); !errors.Is(err, keyring.ErrWrongKEK) {
			t.Fatalf("rotate with a wrong old KEK: %v", err)
		}
		if d := cmp.Diff(before, rows(t, st)); d != "" {
			t.Fatalf("a refused rotation changed the keyring:\n%s", d)
		}
		n, err := keyring.RotateKEK(ctx, st, kek(1), kek(2))
		if err != nil || n != len(before) {
			t.Fatalf("RotateKEK: %d, %v; want %d", n, err, len(before))
		}
		if _, _, err := keyring.Open(ctx, openStore(t), kek(1), nil); !errors.Is(err, keyring.ErrWrongKEK) {
			t.Fatalf("the old KEK after rotation: %v", err)
		}
		_, after := open(t, openStore(t), kek(2))
		if d := cmp.Diff(keys, after); d != "" {
			t.Fatalf("the keys under the new KEK (-before +after):\n%s", d)
		}
		if _, err := running.Rotate(); !errors.Is(err, keyring.ErrWrongKEK) {
			t.Fatalf("a server on the old KEK adds a key: %v", err)
		}
		if got := len(rows(t, st)); got != len(before) {
			t.Fatalf("%d rows after a refused save, want %d", got, len(before))
		}
	})
}

// TestImport: keys from files go into an empty keyring once, and are the
// keys the servers use; missing ones are made at the first start.
func TestImport(t *testing.T) {
	eachStore(t, func(t *testing.T, openStore opener) {
		ctx := t.Context()
		st := openStore(t)
		if empty, err := keyring.Empty(ctx, st); err != nil || !empty {
			t.Fatalf("Empty before: %v, %v", empty, err)
		}
		created := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		files := keyring.Keys{
			Media:           bytes.Repeat([]byte{0xaa}, 32),
			EvidenceSigning: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xbb}, 32)),
			Franking: []franking.ServerKey{{ID: 77, Secret: bytes.Repeat([]byte{0xcc}, 32), Created: created},
				{ID: 78, Secret: bytes.Repeat([]byte{0xdd}, 32), Created: created.Add(time.Minute)}},
		}
		names, err := keyring.Import(ctx, st, kek(1), files, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"media", "evidence.signing", "franking/77", "franking/78"}; !cmp.Equal(names, want) {
			t.Fatalf("imported %v, want %v", names, want)
		}
		if empty, _ := keyring.Empty(ctx, st); empty {
			t.Fatal("Empty after an import")
		}
		if _, err := keyring.Import(ctx, st, kek(1), files, nil); err == nil {
			t.Fatal("a second import accepted")
		}
		_, keys := open(t, st, kek(1))
		if !bytes.Equal(keys.Media, files.Media) || !keys.EvidenceSigning.Equal(files.EvidenceSigning) {
			t.Fatal("the servers do not use the imported keys")
		}
		if d := cmp.Diff(files.Franking, keys.Franking); d != "" {
			t.Fatalf("franking keys (-imported +opened):\n%s", d)
		}
		if len(keys.Guardian) != 32 || len(keys.EvidenceData) != 32 {
			t.Fatal("the keys not imported were not made")
		}
	})
}
