package e2ee

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"maunium.net/go/mautrix/crypto/goolm/account"
	"maunium.net/go/mautrix/crypto/goolm/session"

	"github.com/safeguard-dev/safeguard"
)

// Options configure a device. The zero value is ready to use.
type Options struct {
	Now func() time.Time // the clock; time.Now if nil
}

// Device is one end-to-end encryption endpoint: an Olm account (identity
// keys, one-time keys, fallback key), the identity keys it has pinned for
// peer devices, its pairwise Olm sessions and its Megolm group sessions. A
// Device is safe for concurrent use; persist it with Seal or Save.
type Device struct {
	mu      sync.Mutex
	id      DeviceID
	acct    *account.Account
	now     func() time.Time
	pins    map[DeviceID]*pin
	olm     map[DeviceID][]*session.OlmSession // most recently used first
	out     map[int64]*outboundGroup
	in      map[inboundKey]*inboundGroup
	maxSent int
	maxAge  time.Duration
}

// pin is what this device remembers of a peer's identity.
type pin struct {
	Keys      DeviceKeys
	FirstSeen time.Time
	Verified  bool // the users compared safety numbers
}

// NewDevice makes a device with fresh identity keys.
func NewDevice(id DeviceID, opts Options) (*Device, error) {
	if err := id.Validate(); err != nil {
		return nil, safeguard.Invalid("device_id_invalid", "That device name cannot be used: %v.", err)
	}
	acct, err := account.NewAccount()
	if err != nil {
		return nil, fmt.Errorf("e2ee: new account: %w", err)
	}
	return newDevice(id, acct, opts), nil
}

func newDevice(id DeviceID, acct *account.Account, opts Options) *Device {
	d := &Device{
		id:      id,
		acct:    acct,
		now:     opts.Now,
		pins:    make(map[DeviceID]*pin),
		olm:     make(map[DeviceID][]*session.OlmSession),
		out:     make(map[int64]*outboundGroup),
		in:      make(map[inboundKey]*inboundGroup),
		maxSent: DefaultMaxSessionMessages,
		maxAge:  DefaultMaxSessionAge,
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

// ID returns the device's id.
func (d *Device) ID() DeviceID { return d.id }

// Keys returns the device's signed identity document, to upload to the key
// directory.
func (d *Device) Keys() DeviceKeys {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.keysLocked()
}

func (d *Device) keysLocked() DeviceKeys {
	ed, curve, _ := d.acct.IdentityKeys() // never fails
	k := DeviceKeys{Account: d.id.Account, Device: d.id.Device, Curve25519: string(curve), Ed25519: string(ed)}
	msg, _ := k.signedBytes()  // own keys always encode
	sig, _ := d.acct.Sign(msg) // fails only for an empty message
	k.Signature = string(sig)
	return k
}

// GenerateOneTimeKeys makes n new one-time keys. The account keeps at most
// 100; beyond that the oldest are forgotten. Upload what UnpublishedKeys
// returns, then call MarkKeysPublished.
func (d *Device) GenerateOneTimeKeys(n int) error {
	if n < 0 || n > int(d.acct.MaxNumberOfOneTimeKeys()) {
		return safeguard.Invalid("one_time_key_count", "Ask for 0 to %d one-time keys, not %d.", d.acct.MaxNumberOfOneTimeKeys(), n)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.acct.GenOneTimeKeys(uint(n))
}

// GenerateFallbackKey makes a new fallback key; the previous one still opens
// sessions begun with it until ForgetOldFallbackKey.
func (d *Device) GenerateFallbackKey() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.acct.GenFallbackKey()
}

// ForgetOldFallbackKey drops the previous fallback key, once the directory
// has had the new one long enough for messages made with the old one to
// arrive.
func (d *Device) ForgetOldFallbackKey() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.acct.ForgetOldFallbackKey()
}

// UnpublishedKeys returns the signed one-time keys and fallback key not yet
// marked as published, sorted by key id.
func (d *Device) UnpublishedKeys() []OneTimeKey {
	d.mu.Lock()
	defer d.mu.Unlock()
	otks, _ := d.acct.OneTimeKeys() // never fails
	var out []OneTimeKey
	add := func(keyID, key string, fallback bool) {
		k := OneTimeKey{Account: d.id.Account, Device: d.id.Device, KeyID: keyID, Curve25519: key, Fallback: fallback}
		msg, _ := k.signedBytes()
		sig, _ := d.acct.Sign(msg)
		k.Signature = string(sig)
		out = append(out, k)
	}
	for id, key := range otks {
		add(id, string(key), false)
	}
	for id, key := range d.acct.FallbackKeyUnpublished() {
		add(id, string(key), true)
	}
	slices.SortFunc(out, func(a, b OneTimeKey) int {
		if a.Fallback != b.Fallback {
			if a.Fallback {
				return 1
			}
			return -1
		}
		return compareStrings(a.KeyID, b.KeyID)
	})
	return out
}

// MarkKeysPublished records that the keys UnpublishedKeys returned are in
// the directory.
func (d *Device) MarkKeysPublished() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.acct.MarkKeysAsPublished()
}

// OneTimeKeyCount returns how many one-time keys the device holds unused, so
// the client knows when to make more.
func (d *Device) OneTimeKeyCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.acct.OTKeys)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
