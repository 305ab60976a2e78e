package franking

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// Defaults for a key ring.
const (
	// DefaultReportWindow is how long after delivery a message can be
	// reported. It matches the platform's one-year retention of content.
	DefaultReportWindow = 365 * 24 * time.Hour
	// DefaultRotateEvery is how long one server key signs receipts.
	DefaultRotateEvery = 7 * 24 * time.Hour
	// ServerKeySize is the size of a server key's secret.
	ServerKeySize = 32
)

// ServerKey is one of the server's receipt keys K[kid].
type ServerKey struct {
	ID      uint32    // kid, named in every receipt made with this key
	Secret  []byte    // ServerKeySize random bytes; kept in the server's secret store
	Created time.Time // when it started signing receipts
}

// KeyRingConfig configures a key ring. Zero fields take the defaults.
type KeyRingConfig struct {
	Window      time.Duration    // report window; DefaultReportWindow if zero
	RotateEvery time.Duration    // key lifetime; DefaultRotateEvery if zero
	Now         func() time.Time // the clock; time.Now if nil
}

// KeyRing holds the server's receipt keys. The newest key signs receipts and
// is replaced every RotateEvery; a key is dropped once the last receipt it
// can have made is older than the report window. Once a key is dropped, nobody can verify its receipts any more.
//
// The server persists the keys (Keys, Add) in its secret store; a KeyRing is
// safe for concurrent use.
type KeyRing struct {
	mu          sync.Mutex
	keys        []ServerKey // sorted by Created, oldest first
	window      time.Duration
	rotateEvery time.Duration
	now         func() time.Time
}

// NewKeyRing returns an empty key ring; its first key is made on first use.
func NewKeyRing(cfg KeyRingConfig) *KeyRing {
	k := &KeyRing{window: cfg.Window, rotateEvery: cfg.RotateEvery, now: cfg.Now}
	if k.window <= 0 {
		k.window = DefaultReportWindow
	}
	if k.rotateEvery <= 0 {
		k.rotateEvery = DefaultRotateEvery
	}
	if k.now == nil {
		k.now = time.Now
	}
	return k
}

// Window returns the report window.
func (k *KeyRing) Window() time.Duration { return k.window }

// Add puts a persisted key back into the ring.
func (k *KeyRing) Add(key ServerKey) error {
	if len(key.Secret) != ServerKeySize {
		return safeguard.Invalid("franking_key_size", "A server key must be %d bytes, not %d.", ServerKeySize, len(key.Secret))
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if key.ID == 0 || k.holdsLocked(key.ID) {
		return safeguard.Errorf(safeguard.ErrConflict, "franking_key_exists", "Server key %d is zero or already in the ring.", key.ID)
	}
	key.Secret = slices.Clone(key.Secret)
	k.keys = append(k.keys, key)
	slices.SortStableFunc(k.keys, func(a, b ServerKey) int { return a.Created.Compare(b.Created) })
	k.pruneLocked()
	return nil
}

// Keys returns a copy of the keys the ring holds, oldest first, for the
// server to persist.
func (k *KeyRing) Keys() []ServerKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pruneLocked()
	out := make([]ServerKey, len(k.keys))
	for i, key := range k.keys {
		key.Secret = slices.Clone(key.Secret)
		out[i] = key
	}
	return out
}

// Rotate makes a new key the current one at once, whatever the age of the
// previous one (for example after a suspected compromise).
func (k *KeyRing) Rotate() ServerKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rotateLocked()
}

// Current returns the key that signs receipts now, rotating first if the
// newest key is older than RotateEvery.
func (k *KeyRing) Current() ServerKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pruneLocked()
	now := k.now()
	if n := len(k.keys); n > 0 && now.Sub(k.keys[n-1].Created) < k.rotateEvery {
		return k.keys[n-1]
	}
	return k.rotateLocked()
}

func (k *KeyRing) rotateLocked() ServerKey {
	// Random kids, not a counter: a ring restarted with no keys left must
	// not hand out a kid an old receipt still names.
	var id uint32
	for id == 0 || k.holdsLocked(id) {
		var b [4]byte
		rand.Read(b[:])
		id = binary.BigEndian.Uint32(b[:])
	}
	secret := make([]byte, ServerKeySize)
	rand.Read(secret)
	key := ServerKey{ID: id, Secret: secret, Created: k.now()}
	k.keys = append(k.keys, key)
	return key
}

func (k *KeyRing) holdsLocked(id uint32) bool {
	for _, key := range k.keys {
		if key.ID == id {
			return true
		}
	}
	return false
}

// lookup returns the key with the given id if the ring still holds it.
func (k *KeyRing) lookup(id uint32) (ServerKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pruneLocked()
	for _, key := range k.keys {
		if key.ID == id {
			return key, true
		}
	}
	return ServerKey{}, false
}

// pruneLocked drops every key whose last receipt is older than the window.
// A key signs receipts until its successor is made, and never for longer
// than RotateEvery (Current rotates then), so its last use is the earlier of
// the two.
func (k *KeyRing) pruneLocked() {
	now := k.now()
	keep := k.keys[:0]
	for i, key := range k.keys {
		lastUse := key.Created.Add(k.rotateEvery)
		if i+1 < len(k.keys) && k.keys[i+1].Created.Before(lastUse) {
			lastUse = k.keys[i+1].Created
		}
		if now.Sub(lastUse) <= k.window {
			keep = append(keep, key)
		}
	}
	clear(k.keys[len(keep):])
	k.keys = keep
}

// String describes the ring without its secrets.
func (k *KeyRing) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	ids := make([]uint32, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.ID
	}
	return fmt.Sprintf("KeyRing{window: %s, rotate every: %s, kids: %v}", k.window, k.rotateEvery, ids)
}
