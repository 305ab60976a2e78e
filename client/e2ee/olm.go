package e2ee

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"maunium.net/go/mautrix/crypto/goolm/session"
	"maunium.net/go/mautrix/crypto/olm"
	"maunium.net/go/mautrix/id"

	"github.com/safeguard-dev/safeguard"
)

// StartSession begins a pairwise Olm session with a peer device, from its
// keys and a one-time (or fallback) key claimed from the directory. The
// peer's keys are checked and pinned as by TrustKeys, and the one-time key
// must be signed by the peer. It returns how the peer is trusted.
func (d *Device) StartSession(peer DeviceKeys, otk OneTimeKey) (Trust, error) {
	if err := peer.Verify(); err != nil {
		return 0, err
	}
	if err := otk.Verify(peer); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	trust, err := d.trustLocked(peer)
	if err != nil {
		return 0, err
	}
	s, err := d.acct.NewOutboundSession(id.Curve25519(peer.Curve25519), id.Curve25519(otk.Curve25519))
	if err != nil {
		return 0, fmt.Errorf("e2ee: outbound session with %s: %w", peer.ID(), err)
	}
	d.olm[peer.ID()] = slices.Insert(d.olm[peer.ID()], 0, s.(*session.OlmSession))
	return trust, nil
}

// HasSession reports whether the device has a pairwise session with peer.
func (d *Device) HasSession(peer DeviceID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.olm[peer]) > 0
}

// MissingSessions returns, sorted, the devices among peers with which this
// device has no pairwise session: the ones to claim one-time keys for.
func (d *Device) MissingSessions(peers []DeviceID) []DeviceID {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.missingLocked(peers)
}

func (d *Device) missingLocked(peers []DeviceID) []DeviceID {
	var out []DeviceID
	for _, p := range peers {
		if p != d.id && len(d.olm[p]) == 0 && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, compareDeviceIDs)
	return out
}

// EncryptDirect encrypts an application's bytes for one peer device over
// the pairwise session and returns the encoded direct envelope.
func (d *Device) EncryptDirect(peer DeviceID, body []byte) ([]byte, error) {
	if len(body) == 0 {
		return nil, safeguard.Invalid("message_empty", "There is nothing to send.")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.encryptDirectLocked(peer, &directPayload{Type: directMessage, Body: body})
}

func (d *Device) encryptDirectLocked(peer DeviceID, p *directPayload) ([]byte, error) {
	pn, ok := d.pins[peer]
	if !ok {
		return nil, unknownDevice(peer)
	}
	sessions := d.olm[peer]
	if len(sessions) == 0 {
		return nil, noSession([]DeviceID{peer})
	}
	own := d.keysLocked()
	p.Version = payloadVersion
	p.Sender, p.SenderEd25519 = toJSON(d.id), own.Ed25519
	p.Recipient, p.RecipientEd25519 = toJSON(peer), pn.Keys.Ed25519
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("e2ee: encode direct payload: %w", err)
	}
	msgType, ct, err := sessions[0].Encrypt(plain)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("e2ee: Olm encrypt for %s: %w", peer, err)
	}
	raw, err := b64.DecodeString(string(ct))
	if err != nil {
		return nil, fmt.Errorf("e2ee: Olm ciphertext: %w", err)
	}
	env := DirectEnvelope{Sender: d.id, Recipient: peer, Type: byte(msgType), Ciphertext: raw}
	curve, _ := decodeKey("curve25519", own.Curve25519)
	copy(env.SenderKey[:], curve)
	return env.MarshalBinary()
}

func noSession(peers []DeviceID) error {
	return fail(safeguard.ErrNotFound, "e2ee_no_session",
		"A secure session with a device in this conversation is missing.", ErrNoSession, fmt.Errorf("devices %v", peers))
}

// DirectMessage is a decrypted direct envelope.
type DirectMessage struct {
	From DeviceID
	// Body holds an application's bytes (EncryptDirect); nil when the
	// message shared a group key.
	Body []byte
	// GroupKey is set when the message shared a group session key, which
	// the device has installed.
	GroupKey *GroupKey
}

// GroupKey names a group session whose key a device received.
type GroupKey struct {
	Conversation int64
	Sender       DeviceID
	SessionID    string
}

// DecryptDirect decrypts a direct envelope addressed to this device. The
// sender must be pinned (TrustKeys) and present the pinned identity key: a
// different key is refused with ErrIdentityChanged. A pre-key message opens
// a new session and uses up the one-time key it names; a second session on
// the same one-time key fails with ErrOneTimeKeyUsed (the fallback key,
// which is not used up, can open several). A group key in the message is
// installed for DecryptGroup.
func (d *Device) DecryptDirect(b []byte) (*DirectMessage, error) {
	env, err := ParseDirectEnvelope(b)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if env.Recipient != d.id {
		return nil, fail(safeguard.ErrNotFound, "e2ee_wrong_device", "This message is for another device.",
			ErrUnknownDevice, fmt.Errorf("addressed to %s", env.Recipient))
	}
	pn, ok := d.pins[env.Sender]
	if !ok {
		return nil, unknownDevice(env.Sender)
	}
	if b64.EncodeToString(env.SenderKey[:]) != pn.Keys.Curve25519 {
		return nil, identityChanged(env.Sender)
	}
	plain, err := d.olmDecryptLocked(env, id.Curve25519(pn.Keys.Curve25519))
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	p, err := parseDirectPayload(plain)
	if err != nil {
		return nil, tampered(fmt.Errorf("direct payload: %w", err))
	}
	own := d.keysLocked()
	if !sameDevice(p.Sender, env.Sender) || !sameDevice(p.Recipient, d.id) ||
		p.SenderEd25519 != pn.Keys.Ed25519 || p.RecipientEd25519 != own.Ed25519 {
		return nil, tampered(errors.New("direct payload names other devices than its envelope"))
	}
	msg := &DirectMessage{From: env.Sender}
	switch p.Type {
	case directGroupKey:
		if err := d.installGroupKeyLocked(p.Conversation, env.Sender, p.SessionID, p.SessionKey); err != nil {
			return nil, err
		}
		msg.GroupKey = &GroupKey{Conversation: p.Conversation, Sender: env.Sender, SessionID: p.SessionID}
	case directMessage:
		msg.Body = slices.Clone(p.Body)
	}
	return msg, nil
}

// olmDecryptLocked finds or makes the session for a direct envelope and
// decrypts it. State changes (a new session, a used one-time key) are kept
// only if decryption succeeds.
func (d *Device) olmDecryptLocked(env DirectEnvelope, senderKey id.Curve25519) ([]byte, error) {
	ct := b64.EncodeToString(env.Ciphertext)
	sessions := d.olm[env.Sender]
	if env.Type == OlmPreKey {
		for i, s := range sessions {
			if ok, _ := s.MatchesInboundSessionFrom(string(senderKey), ct); !ok {
				continue
			}
			plain, err := s.Decrypt(ct, id.OlmMsgTypePreKey)
			if err != nil {
				return nil, tampered(err)
			}
			d.olm[env.Sender] = moveToFront(sessions, i)
			return plain, nil
		}
		in, err := d.acct.NewInboundSessionFrom(&senderKey, ct)
		if errors.Is(err, olm.ErrBadMessageKeyID) {
			return nil, fail(safeguard.ErrConflict, "e2ee_one_time_key_used",
				"This secure session could not be opened: its key was already used. Ask the sender to try again.",
				ErrOneTimeKeyUsed, err)
		}
		if err != nil {
			return nil, tampered(err)
		}
		plain, err := in.Decrypt(ct, id.OlmMsgTypePreKey)
		if err != nil {
			return nil, tampered(err)
		}
		if err := d.acct.RemoveOneTimeKeys(in); err != nil {
			return nil, fmt.Errorf("e2ee: use up one-time key: %w", err)
		}
		d.olm[env.Sender] = slices.Insert(sessions, 0, in.(*session.OlmSession))
		return plain, nil
	}
	var last error = errors.New("no pairwise session with the sender")
	for i, s := range sessions {
		plain, err := s.Decrypt(ct, id.OlmMsgTypeMsg)
		if err != nil {
			last = err
			continue
		}
		d.olm[env.Sender] = moveToFront(sessions, i)
		return plain, nil
	}
	return nil, tampered(last)
}

func moveToFront[T any](s []T, i int) []T {
	if i == 0 {
		return s
	}
	v := s[i]
	copy(s[1:i+1], s[:i])
	s[0] = v
	return s
}
