package e2ee

import (
	"fmt"

	"github.com/safeguard-dev/safeguard"
)

// Trust says how this device knows a peer's identity keys.
type Trust int

// The trust levels.
const (
	// TrustNew: the keys were seen for the first time and are now pinned
	// (trust on first use).
	TrustNew Trust = iota + 1
	// TrustPinned: the keys match the ones pinned earlier.
	TrustPinned
	// TrustVerified: the keys match, and the users compared safety numbers.
	TrustVerified
)

// String returns "new", "pinned" or "verified".
func (t Trust) String() string {
	switch t {
	case TrustNew:
		return "new"
	case TrustPinned:
		return "pinned"
	case TrustVerified:
		return "verified"
	}
	return fmt.Sprintf("Trust(%d)", int(t))
}

// TrustKeys checks a peer's device keys, as fetched from the directory,
// against what this device knows. New keys are pinned (trust on first use).
// Keys that differ from the pinned ones are refused with ErrIdentityChanged:
// the directory, or someone between, may be substituting keys. The user can
// then compare safety numbers and AcceptIdentityChange.
func (d *Device) TrustKeys(keys DeviceKeys) (Trust, error) {
	if err := keys.Verify(); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.trustLocked(keys)
}

func (d *Device) trustLocked(keys DeviceKeys) (Trust, error) {
	id := keys.ID()
	if id == d.id {
		return 0, safeguard.Invalid("e2ee_own_device", "A device does not pin its own keys.")
	}
	p, ok := d.pins[id]
	if !ok {
		d.pins[id] = &pin{Keys: keys, FirstSeen: d.now()}
		return TrustNew, nil
	}
	if p.Keys.Curve25519 != keys.Curve25519 || p.Keys.Ed25519 != keys.Ed25519 {
		return 0, identityChanged(id)
	}
	if p.Verified {
		return TrustVerified, nil
	}
	return TrustPinned, nil
}

func identityChanged(id DeviceID) error {
	return fail(safeguard.ErrConflict, "identity_key_changed",
		"The security keys of this contact's device have changed. Compare safety numbers before you trust it again.",
		ErrIdentityChanged, fmt.Errorf("device %s", id))
}

func unknownDevice(id DeviceID) error {
	return fail(safeguard.ErrNotFound, "e2ee_unknown_device",
		"This device is not known yet.", ErrUnknownDevice, fmt.Errorf("device %s", id))
}

// AcceptIdentityChange pins new keys for a device after the user has checked
// them (by safety number). Its pairwise sessions are dropped, and it is no
// longer marked verified.
func (d *Device) AcceptIdentityChange(keys DeviceKeys) error {
	if err := keys.Verify(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	id := keys.ID()
	if id == d.id {
		return safeguard.Invalid("e2ee_own_device", "A device does not pin its own keys.")
	}
	d.pins[id] = &pin{Keys: keys, FirstSeen: d.now()}
	delete(d.olm, id)
	return nil
}

// MarkVerified records that the users compared the safety number of this
// device and the peer, and it matched.
func (d *Device) MarkVerified(peer DeviceID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.pins[peer]
	if !ok {
		return unknownDevice(peer)
	}
	p.Verified = true
	return nil
}

// PinnedKeys returns the keys pinned for a peer device and how they are
// trusted.
func (d *Device) PinnedKeys(peer DeviceID) (DeviceKeys, Trust, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.pins[peer]
	if !ok {
		return DeviceKeys{}, 0, false
	}
	if p.Verified {
		return p.Keys, TrustVerified, true
	}
	return p.Keys, TrustPinned, true
}

// SafetyNumber returns the safety number of this device and a pinned peer.
func (d *Device) SafetyNumber(peer DeviceID) (string, error) {
	d.mu.Lock()
	p, ok := d.pins[peer]
	own := d.keysLocked()
	d.mu.Unlock()
	if !ok {
		return "", unknownDevice(peer)
	}
	return SafetyNumber(own, p.Keys)
}
