package keyring

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// DefaultRefreshEvery is how often a server reads the franking keys other
// servers made (a forced rotation, say) into its ring.
const DefaultRefreshEvery = 30 * time.Second

// Cluster is the keyring in the database the servers of a cluster share,
// opened with their KEK. It is safe for concurrent use.
type Cluster struct {
	st  store.Store
	s   sealer
	now func() time.Time
}

// Open opens the keyring in st with kek and returns it with its keys. Keys
// that are missing are made in the same transaction, after the keyring's
// lock is taken, so that servers starting at once make one set. A KEK that
// does not open the keyring is ErrWrongKEK. now is time.Now if nil.
func Open(ctx context.Context, st store.Store, kek []byte, now func() time.Time) (*Cluster, *Keys, error) {
	c, err := openCluster(st, kek, now)
	if err != nil {
		return nil, nil, err
	}
	var keys *Keys
	err = st.Update(ctx, func(tx store.Tx) error {
		at := c.now().UTC()
		if err := c.s.lock(ctx, tx, at); err != nil {
			return err
		}
		rows, err := tx.Keyring(ctx, "", false)
		if err != nil {
			return err
		}
		if keys, err = c.s.openAll(rows); err != nil {
			return err
		}
		var add []store.SealedKey
		for _, name := range singles {
			if keys.secret(name) == nil {
				secret := make([]byte, keySize)
				rand.Read(secret)
				add = append(add, c.s.seal(name, at, secret))
			}
		}
		if len(keys.Franking) == 0 {
			k := newFrankingKey(at, nil)
			add = append(add, c.s.seal(frankingName(k.ID), k.Created, k.Secret))
		}
		if len(add) == 0 {
			return nil
		}
		if _, err := tx.AddToKeyring(ctx, add); err != nil {
			return err
		}
		// Read back what is stored, which is what every server uses.
		if rows, err = tx.Keyring(ctx, "", false); err != nil {
			return err
		}
		keys, err = c.s.openAll(rows)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: %w", err)
	}
	return c, keys, nil
}

func openCluster(st store.Store, kek []byte, now func() time.Time) (*Cluster, error) {
	s, err := newSealer(kek)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Cluster{st: st, s: s, now: now}, nil
}

// Empty reports whether the keyring in st holds no key yet (the check row
// aside): no server of a cluster has started, nor were keys imported.
func Empty(ctx context.Context, st store.Store) (bool, error) {
	empty := true
	err := st.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Keyring(ctx, "", false)
		for _, r := range rows {
			if r.Name != checkName {
				empty = false
			}
		}
		return err
	})
	return empty, err
}

// Import stores keys, those of a server's files, in an empty keyring, under
// kek: keys must be imported before the first server of a cluster starts
// (which makes new ones), and only once. It returns the names stored.
func Import(ctx context.Context, st store.Store, kek []byte, keys Keys, now func() time.Time) ([]string, error) {
	c, err := openCluster(st, kek, now)
	if err != nil {
		return nil, err
	}
	var names []string
	err = st.Update(ctx, func(tx store.Tx) error {
		at := c.now().UTC()
		names = nil
		if err := c.s.lock(ctx, tx, at); err != nil {
			return err
		}
		rows, err := tx.Keyring(ctx, "", false)
		if err != nil {
			return err
		}
		if len(rows) > 1 {
			return errors.New("the keyring already holds keys (a server of the cluster has started, or keys were imported): import only into an empty keyring")
		}
		var add []store.SealedKey
		for _, name := range singles {
			if secret := keys.secret(name); secret != nil {
				add = append(add, c.s.seal(name, at, secret))
				names = append(names, name)
			}
		}
		for _, k := range keys.Franking {
			add = append(add, c.s.seal(frankingName(k.ID), k.Created, k.Secret))
			names = append(names, frankingName(k.ID))
		}
		_, err = tx.AddToKeyring(ctx, add)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return names, nil
}

// RotateKEK seals every key of the keyring in st, opened with oldKEK, under
// newKEK instead, in one transaction, and returns how many it resealed. If
// oldKEK does not open every key, nothing changes. A server running with
// the old KEK keeps its keys, but cannot add a franking key until it is
// restarted with the new one.
func RotateKEK(ctx context.Context, st store.Store, oldKEK, newKEK []byte) (int, error) {
	oldS, err := newSealer(oldKEK)
	if err != nil {
		return 0, fmt.Errorf("old: %w", err)
	}
	newS, err := newSealer(newKEK)
	if err != nil {
		return 0, fmt.Errorf("new: %w", err)
	}
	var n int
	err = st.Update(ctx, func(tx store.Tx) error {
		rows, err := tx.Keyring(ctx, "", true)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return errors.New("the keyring is empty: there is nothing to re-encrypt")
		}
		resealed := make([]store.SealedKey, len(rows))
		for i, r := range rows {
			secret, err := oldS.open(r)
			if err != nil {
				return fmt.Errorf("key %q does not open with the old key-encryption key: %w", r.Name, ErrWrongKEK)
			}
			resealed[i] = newS.seal(r.Name, r.Created, secret)
		}
		n = len(resealed)
		return tx.ResealKeyring(ctx, resealed)
	})
	if err != nil {
		return 0, fmt.Errorf("keyring: %w", err)
	}
	return n, nil
}

// Franking is the franking key ring of a server of the cluster, kept in
// step with the keyring: the keys this server makes (the ring rotates on
// its own) are added to the keyring before a receipt made with them leaves
// the server (Save), and the keys other servers made are added to the ring
// (Refresh), so that a receipt any server made verifies on every one.
type Franking struct {
	c    *Cluster
	ring *franking.KeyRing
	cfg  franking.KeyRingConfig
	mu   sync.Mutex // one Save or Refresh at a time
}

// Franking returns the franking ring over keys (from Open).
func (c *Cluster) Franking(keys []franking.ServerKey, cfg franking.KeyRingConfig) (*Franking, error) {
	f := &Franking{c: c, ring: franking.NewKeyRing(cfg), cfg: cfg}
	if err := f.merge(keys); err != nil {
		return nil, err
	}
	return f, nil
}

// Ring returns the key ring receipts are made and checked with.
func (f *Franking) Ring() *franking.KeyRing { return f.ring }

// merge adds to the ring the keys of keys it does not hold.
func (f *Franking) merge(keys []franking.ServerKey) error {
	held := map[uint32]bool{}
	for _, k := range f.ring.Keys() {
		held[k.ID] = true
	}
	for _, k := range keys {
		if held[k.ID] {
			continue
		}
		if err := f.ring.Add(k); err != nil {
			return fmt.Errorf("franking key %d: %w", k.ID, err)
		}
	}
	return nil
}

// Save adds keys (the ring's) to the keyring, and the keyring's to the
// ring, in one transaction under the keyring's lock; keys past the report
// window are deleted from the keyring. Its shape is e2ee.KeySaver's.
func (f *Franking) Save(keys []franking.ServerKey) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	var stored []franking.ServerKey
	err := f.c.st.Update(ctx, func(tx store.Tx) error {
		if err := f.c.s.lock(ctx, tx, f.c.now().UTC()); err != nil {
			return err
		}
		add := make([]store.SealedKey, len(keys))
		for i, k := range keys {
			add[i] = f.c.s.seal(frankingName(k.ID), k.Created, k.Secret)
		}
		if _, err := tx.AddToKeyring(ctx, add); err != nil {
			return err
		}
		var err error
		if stored, err = f.c.frankingKeys(ctx, tx); err != nil {
			return err
		}
		return f.prune(ctx, tx, stored)
	})
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return f.merge(stored)
}

// prune deletes from the keyring the keys of stored a ring drops: those
// whose last receipt is older than the report window.
func (f *Franking) prune(ctx context.Context, tx store.Tx, stored []franking.ServerKey) error {
	scratch := franking.NewKeyRing(f.cfg)
	for _, k := range stored {
		if err := scratch.Add(k); err != nil {
			return err
		}
	}
	kept := map[uint32]bool{}
	for _, k := range scratch.Keys() {
		kept[k.ID] = true
	}
	var gone []string
	for _, k := range stored {
		if !kept[k.ID] {
			gone = append(gone, frankingName(k.ID))
		}
	}
	_, err := tx.DeleteFromKeyring(ctx, gone)
	return err
}

// Refresh adds to the ring the franking keys other servers have added to
// the keyring since.
func (f *Franking) Refresh(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var stored []franking.ServerKey
	err := f.c.st.View(ctx, func(tx store.Tx) (err error) {
		stored, err = f.c.frankingKeys(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return f.merge(stored)
}

// Rotate adds a new franking key to the keyring at once, whatever the age
// of the current one (after a suspected compromise, say): every server
// makes new receipts with it once it has refreshed, and the older keys
// still verify the receipts they made.
func (f *Franking) Rotate() (franking.ServerKey, error) {
	k := f.ring.Rotate()
	return k, f.Save(f.ring.Keys())
}

// Run refreshes the ring every interval until ctx ends; a refresh that
// fails (the database away, or the KEK rotated) is logged, and the ring
// keeps the keys it has.
func (f *Franking) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := f.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("franking keys not refreshed from the keyring", "err", err)
			}
		}
	}
}

// frankingKeys reads and opens the franking keys stored in the keyring.
func (c *Cluster) frankingKeys(ctx context.Context, tx store.Tx) ([]franking.ServerKey, error) {
	rows, err := tx.Keyring(ctx, frankingPrefix, false)
	if err != nil {
		return nil, err
	}
	var keys Keys
	for _, r := range rows {
		if !strings.HasPrefix(r.Name, frankingPrefix) {
			continue
		}
		secret, err := c.s.open(r)
		if err != nil {
			return nil, fmt.Errorf("keyring key %q does not open with this key-encryption key: %w", r.Name, ErrWrongKEK)
		}
		if err := keys.set(r, secret); err != nil {
			return nil, err
		}
	}
	return keys.Franking, nil
}

// Read opens the keys of the keyring in st with kek, changing nothing: a
// key missing stays missing (for the commands that only use the keys a
// server has made). A KEK that does not open the keyring is ErrWrongKEK.
func Read(ctx context.Context, st store.Store, kek []byte) (*Keys, error) {
	s, err := newSealer(kek)
	if err != nil {
		return nil, err
	}
	var keys *Keys
	err = st.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Keyring(ctx, "", false)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if _, err := s.open(r); r.Name == checkName && err != nil {
				return ErrWrongKEK
			}
		}
		keys, err = s.openAll(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return keys, nil
}
