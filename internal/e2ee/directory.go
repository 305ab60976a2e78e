package e2ee

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
)

// KeyCount is how many of a device's one-time keys the directory still
// holds unclaimed, and whether it holds a fallback key: the client refills
// when the count runs low.
type KeyCount struct {
	OneTimeKeys int
	Fallback    bool
}

// Registered is a device in the directory as its owner sees it.
type Registered struct {
	Device *safeguard.Device
	Keys   KeyCount
}

// MemberDevices is a member of a conversation and its devices.
type MemberDevices struct {
	Account *safeguard.Account
	Devices []*safeguard.Device
}

// DeviceKeys returns the signed identity document of d.
func DeviceKeys(d *safeguard.Device) ce.DeviceKeys {
	return ce.DeviceKeys{Account: d.AccountID, Device: d.Name, Curve25519: d.Curve25519, Ed25519: d.Ed25519, Signature: d.Signature}
}

// RegisterDevice adds a device of a verified adult to the key directory,
// with the one-time and fallback keys of the registration. Registering the
// same keys again is not an error (created is false); other keys under a
// name already registered are refused: identity keys never change, a
// device that lost its keys registers under a new name.
func (s *Service) RegisterDevice(ctx context.Context, accountID int64, reg Registration) (r *Registered, created bool, err error) {
	now := s.clock()
	var acct *safeguard.Account
	err = updateTx(ctx, s.store, func(tx Tx) error {
		created = false
		var err error
		if acct, err = s.participant(ctx, tx, accountID, now); err != nil {
			return err
		}
		if reg.Keys.Account != accountID {
			return safeguard.Invalid("device_account_mismatch", "These device keys name another account.")
		}
		d, err := tx.Device(ctx, accountID, reg.Keys.Device)
		switch {
		case err == nil:
			if d.Curve25519 != reg.Keys.Curve25519 || d.Ed25519 != reg.Keys.Ed25519 {
				return safeguard.Errorf(safeguard.ErrConflict, "device_exists",
					"A device named %q is registered with other keys. Register this device under a new name.", reg.Keys.Device)
			}
		case errors.Is(err, safeguard.ErrNotFound):
			all, err := tx.Devices(ctx, []int64{accountID})
			if err != nil {
				return err
			}
			if len(all) >= s.cfg.MaxDevices {
				return safeguard.Errorf(safeguard.ErrPermission, "too_many_devices",
					"This account has %d devices, the most allowed. Remove one first.", len(all))
			}
			d = &safeguard.Device{AccountID: accountID, Name: reg.Keys.Device, Curve25519: reg.Keys.Curve25519,
				Ed25519: reg.Keys.Ed25519, Signature: reg.Keys.Signature, CreatedAt: now}
			if err := tx.CreateDevice(ctx, d); err != nil {
				return err
			}
			created = true
		default:
			return err
		}
		count, err := s.addKeys(ctx, tx, d, KeyUpload{OneTimeKeys: reg.OneTimeKeys, FallbackKey: reg.FallbackKey}, now)
		r = &Registered{Device: d, Keys: count}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		s.announce(ctx, acct, r.Device.Name, "added")
	}
	return r, created, nil
}

// addKeys stores an upload's keys, refusing more unclaimed one-time keys
// than the directory keeps per device.
func (s *Service) addKeys(ctx context.Context, tx Tx, d *safeguard.Device, up KeyUpload, created time.Time) (KeyCount, error) {
	var keys []safeguard.OneTimeKey
	for _, k := range up.OneTimeKeys {
		keys = append(keys, safeguard.OneTimeKey{DeviceID: d.ID, KeyID: k.KeyID, Curve25519: k.Curve25519, Signature: k.Signature, CreatedAt: created})
	}
	if up.FallbackKey != nil {
		k := up.FallbackKey
		keys = append(keys, safeguard.OneTimeKey{DeviceID: d.ID, KeyID: k.KeyID, Curve25519: k.Curve25519, Signature: k.Signature, Fallback: true, CreatedAt: created})
	}
	if len(keys) > 0 {
		if err := tx.AddOneTimeKeys(ctx, d.ID, keys); err != nil {
			return KeyCount{}, err
		}
	}
	n, fb, err := tx.OneTimeKeyCount(ctx, d.ID)
	if err != nil {
		return KeyCount{}, err
	}
	if n > s.cfg.MaxKeys {
		return KeyCount{}, safeguard.Invalid("too_many_keys",
			"The directory keeps at most %d unclaimed one-time keys per device; this upload would make %d.", s.cfg.MaxKeys, n)
	}
	return KeyCount{OneTimeKeys: n, Fallback: fb}, nil
}

// UploadKeys adds one-time keys and a fallback key to one of the caller's
// devices. body is the JSON of a key upload (ParseKeyUpload): every key must
// be signed by the device.
func (s *Service) UploadKeys(ctx context.Context, accountID int64, device string, body []byte) (KeyCount, error) {
	now := s.clock()
	var count KeyCount
	err := updateTx(ctx, s.store, func(tx Tx) error {
		if _, err := s.participant(ctx, tx, accountID, now); err != nil {
			return err
		}
		d, err := ownDevice(ctx, tx, accountID, device)
		if err != nil {
			return err
		}
		up, err := ParseKeyUpload(body, DeviceKeys(d))
		if err != nil {
			return err
		}
		count, err = s.addKeys(ctx, tx, d, up, now)
		return err
	})
	return count, err
}

// Devices returns the caller's devices with their key counts.
func (s *Service) Devices(ctx context.Context, accountID int64) ([]Registered, error) {
	var out []Registered
	err := viewTx(ctx, s.store, func(tx Tx) error {
		ds, err := tx.Devices(ctx, []int64{accountID})
		if err != nil {
			return err
		}
		for _, d := range ds {
			n, fb, err := tx.OneTimeKeyCount(ctx, d.ID)
			if err != nil {
				return err
			}
			out = append(out, Registered{Device: d, Keys: KeyCount{OneTimeKeys: n, Fallback: fb}})
		}
		return nil
	})
	return out, err
}

// Device returns one of the caller's devices with its key count.
func (s *Service) Device(ctx context.Context, accountID int64, name string) (*Registered, error) {
	var r *Registered
	err := viewTx(ctx, s.store, func(tx Tx) error {
		d, err := ownDevice(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		n, fb, err := tx.OneTimeKeyCount(ctx, d.ID)
		r = &Registered{Device: d, Keys: KeyCount{OneTimeKeys: n, Fallback: fb}}
		return err
	})
	return r, err
}

// DeleteDevice removes one of the caller's devices from the directory, with
// its keys and everything queued for it. Anyone may remove their own
// devices, verified or not.
func (s *Service) DeleteDevice(ctx context.Context, accountID int64, name string) error {
	var acct *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if acct, err = tx.Account(ctx, accountID); err != nil {
			return err
		}
		d, err := ownDevice(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		return tx.DeleteDevice(ctx, d.ID)
	})
	if err != nil {
		return err
	}
	s.announce(ctx, acct, name, "removed")
	return nil
}

// QueryKeys returns the devices of every joined member of an end-to-end
// encrypted conversation the caller is in, the caller's own among them:
// the devices a message there is encrypted for, and the only ones whose
// key shares a client should accept for it. Members who are no longer
// verified adults are left out (they leave such conversations).
func (s *Service) QueryKeys(ctx context.Context, accountID, conversationID int64) ([]MemberDevices, error) {
	now := s.clock()
	var out []MemberDevices
	err := viewTx(ctx, s.store, func(tx Tx) error {
		out = nil
		if _, err := s.participant(ctx, tx, accountID, now); err != nil {
			return err
		}
		c, err := e2eeConversation(ctx, tx, conversationID, accountID)
		if err != nil {
			return err
		}
		var ids []int64
		for _, m := range c.Members {
			if m.State == safeguard.MemberJoined {
				ids = append(ids, m.AccountID)
			}
		}
		accounts, err := verifiedAccounts(ctx, tx, ids, now)
		if err != nil {
			return err
		}
		ds, err := tx.Devices(ctx, slices.Sorted(maps.Keys(accounts)))
		if err != nil {
			return err
		}
		byAccount := map[int64][]*safeguard.Device{}
		for _, d := range ds {
			byAccount[d.AccountID] = append(byAccount[d.AccountID], d)
		}
		for _, id := range ids {
			if a := accounts[id]; a != nil {
				out = append(out, MemberDevices{Account: a, Devices: byAccount[id]})
			}
		}
		return nil
	})
	return out, err
}

// Claimed is a key handed out for a device.
type Claimed struct {
	Device *safeguard.Device
	Key    ce.OneTimeKey
}

// Claim hands out one one-time key (or, when none is left, the fallback
// key) of each device asked for, to start pairwise sessions with. Only
// devices of the caller and of verified adults the caller shares an
// end-to-end encrypted conversation with can be claimed; any other device,
// and one with no key left, is reported missing, so that the answer tells
// nothing about accounts outside those conversations.
func (s *Service) Claim(ctx context.Context, accountID int64, devices []ce.DeviceID) (claimed []Claimed, missing []ce.DeviceID, err error) {
	if err := limit(s.claimLimit, accountID); err != nil {
		return nil, nil, err
	}
	now := s.clock()
	err = updateTx(ctx, s.store, func(tx Tx) error {
		claimed, missing = nil, nil
		if _, err := s.participant(ctx, tx, accountID, now); err != nil {
			return err
		}
		reach, err := peers(ctx, tx, accountID)
		if err != nil {
			return err
		}
		var ids []int64
		for _, d := range devices {
			ids = append(ids, d.Account)
		}
		accounts, err := verifiedAccounts(ctx, tx, ids, now)
		if err != nil {
			return err
		}
		for _, id := range devices {
			if !reach[id.Account] || accounts[id.Account] == nil {
				missing = append(missing, id)
				continue
			}
			d, err := tx.Device(ctx, id.Account, id.Device)
			if errors.Is(err, safeguard.ErrNotFound) {
				missing = append(missing, id)
				continue
			}
			if err != nil {
				return err
			}
			k, err := tx.ClaimOneTimeKey(ctx, d.ID, now)
			if errors.Is(err, safeguard.ErrNotFound) {
				missing = append(missing, id)
				continue
			}
			if err != nil {
				return err
			}
			claimed = append(claimed, Claimed{Device: d, Key: ce.OneTimeKey{Account: d.AccountID, Device: d.Name,
				KeyID: k.KeyID, Curve25519: k.Curve25519, Fallback: k.Fallback, Signature: k.Signature}})
		}
		return nil
	})
	return claimed, missing, err
}

// announce tells the account's own sessions and its fellow members in
// end-to-end encrypted conversations that its device list changed.
func (s *Service) announce(ctx context.Context, a *safeguard.Account, device, change string) {
	var to []int64
	err := viewTx(ctx, s.store, func(tx Tx) error {
		reach, err := peers(ctx, tx, a.ID)
		to = slices.Sorted(maps.Keys(reach))
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "announce device change", "err", err)
		return
	}
	if len(to) > maxDeviceChangeFans {
		to = to[:maxDeviceChangeFans]
	}
	s.notify.Notify(ctx, Notification{Type: safeguard.EventDeviceChanged, To: to, Account: a, Device: device, Change: change})
}
