package e2ee

import (
	"encoding/base64"
	"fmt"
)

// PrivateKeysForTest returns the device's secrets, raw, to prove they never
// reach a sealed file in the clear.
func PrivateKeysForTest(d *Device) map[string][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := map[string][]byte{
		"ed25519 private":    []byte(d.acct.IdKeys.Ed25519.PrivateKey),
		"curve25519 private": []byte(d.acct.IdKeys.Curve25519.PrivateKey),
	}
	for i, k := range d.acct.OTKeys {
		m[fmt.Sprintf("one-time key %d private", i)] = []byte(k.Key.PrivateKey)
	}
	for conv, og := range d.out {
		key, _ := og.s.SessionSharingMessage()
		m[fmt.Sprintf("group session key %d", conv)] = key
		m[fmt.Sprintf("group ratchet %d", conv)] = append([]byte(nil), og.s.Ratchet.Data[:]...)
	}
	return m
}

// PlainStateForTest returns the unsealed state and, for each secret of
// PrivateKeysForTest that is stored as part of a pickle, the base64 form of
// the pickle that holds it: the forms the secrets take before sealing.
func PlainStateForTest(d *Device) (state []byte, accountPickle string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	state, _ = d.marshalLocked()
	return state, base64.StdEncoding.EncodeToString(d.acct.PickleLibOlm())
}
