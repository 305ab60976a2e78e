package e2ee

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"maunium.net/go/mautrix/crypto/goolm/session"
	"maunium.net/go/mautrix/crypto/olm"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
)

// When an outbound group session is replaced even if the members stay the
// same: after this many messages or this long.
const (
	DefaultMaxSessionMessages = 1000
	DefaultMaxSessionAge      = 7 * 24 * time.Hour
)

// outboundGroup is this device's sending session in one conversation.
type outboundGroup struct {
	s       *session.MegolmOutboundSession
	members map[DeviceID]bool // the member devices it was made for
	shared  map[DeviceID]bool // the ones that have received its key
	created time.Time
	sent    int
}

// inboundKey names a receiving session: a group session is only ever
// accepted for the conversation and sender it was shared for.
type inboundKey struct {
	Conversation int64
	Sender       DeviceID
	SessionID    string
}

// inboundGroup is a receiving session with the indexes already received.
type inboundGroup struct {
	s    *session.MegolmInboundSession
	seen map[uint32]bool
}

// Plaintext is what a user sends: text, attachments (already encrypted and
// uploaded with EncryptAttachment), or both.
type Plaintext struct {
	Text        string
	Attachments []Attachment
}

// Outgoing is an encrypted message ready for the relay.
type Outgoing struct {
	// KeyShares carry the group key to member devices that lack it; the
	// relay delivers them before Envelope.
	KeyShares []Addressed
	// Envelope is the group envelope for every member device.
	Envelope []byte
	// Commitment is the franking commitment cf, also in the envelope, which
	// the server binds into each recipient's receipt.
	Commitment franking.Commitment
	SessionID  string
	Index      uint32
	Rotated    bool // a new group session was started for this message
}

// Addressed is a direct envelope and the device it is for.
type Addressed struct {
	To       DeviceID
	Envelope []byte
}

// RotateGroupSession discards this device's sending session in a
// conversation; the next EncryptGroup starts a new one and shares it with
// the members of that moment. Messages already sent stay readable.
func (d *Device) RotateGroupSession(conversation int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.out, conversation)
}

// EncryptGroup encrypts a message for a conversation whose member devices
// are members (every device of every member account; this device is left
// out if listed). The sending session is rotated whenever the member set
// differs from the one it was made for, so a removed device cannot read
// later messages and an added one reads only messages from now on; also
// after DefaultMaxSessionMessages messages or DefaultMaxSessionAge.
//
// Every member must be pinned and have a pairwise session when it needs the
// key; otherwise nothing changes and the error (ErrNoSession) lists the
// devices to StartSession with (see MissingSessions).
func (d *Device) EncryptGroup(conversation int64, members []DeviceID, msg Plaintext) (*Outgoing, error) {
	kf := franking.NewKey()
	content := groupContent{
		Version:      payloadVersion,
		Conversation: conversation,
		Sender:       toJSON(d.id),
		Text:         msg.Text,
		Attachments:  msg.Attachments,
		FrankingKey:  kf,
	}
	if err := content.validate(); err != nil {
		return nil, safeguard.Invalid("message_invalid", "This message cannot be sent: %v.", err)
	}
	cf, err := franking.Commit(kf, content.frankingMessage())
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(&content)
	if err != nil {
		return nil, fmt.Errorf("e2ee: encode message: %w", err)
	}
	defer clear(plain)

	d.mu.Lock()
	defer d.mu.Unlock()
	set := make(map[DeviceID]bool, len(members))
	for _, m := range members {
		if err := m.Validate(); err != nil {
			return nil, safeguard.Invalid("device_id_invalid", "Member device %s: %v.", m, err)
		}
		if m == d.id {
			continue
		}
		if _, ok := d.pins[m]; !ok {
			return nil, unknownDevice(m)
		}
		set[m] = true
	}
	og := d.out[conversation]
	rotate := og == nil || !maps.Equal(og.members, set) || og.sent >= d.maxSent || d.now().Sub(og.created) >= d.maxAge
	var needKey []DeviceID
	for m := range set {
		if rotate || !og.shared[m] {
			needKey = append(needKey, m)
		}
	}
	slices.SortFunc(needKey, compareDeviceIDs)
	if missing := d.missingLocked(needKey); len(missing) > 0 {
		return nil, noSession(missing)
	}
	if rotate {
		if og, err = d.newOutboundLocked(conversation, set); err != nil {
			return nil, err
		}
	}
	out := &Outgoing{Commitment: cf, SessionID: string(og.s.ID()), Rotated: rotate}
	var sessionKey []byte
	if len(needKey) > 0 {
		if sessionKey, err = og.s.SessionSharingMessage(); err != nil {
			return nil, fmt.Errorf("e2ee: group session key: %w", err)
		}
	}
	for _, m := range needKey {
		env, err := d.encryptDirectLocked(m, &directPayload{
			Type: directGroupKey, Conversation: conversation,
			SessionID: string(og.s.ID()), SessionKey: string(sessionKey),
		})
		if err != nil {
			return nil, err
		}
		out.KeyShares = append(out.KeyShares, Addressed{To: m, Envelope: env})
	}
	out.Index = uint32(og.s.MessageIndex())
	ct, err := og.s.Encrypt(plain)
	if err != nil {
		return nil, fmt.Errorf("e2ee: Megolm encrypt: %w", err)
	}
	env := GroupEnvelope{Conversation: conversation, Sender: d.id, Index: out.Index, Commitment: cf}
	if env.Ciphertext, err = b64.DecodeString(string(ct)); err != nil {
		return nil, fmt.Errorf("e2ee: Megolm ciphertext: %w", err)
	}
	sid, _ := decodeKey("session id", string(og.s.ID()))
	copy(env.SessionID[:], sid)
	if out.Envelope, err = env.MarshalBinary(); err != nil {
		return nil, err
	}
	og.sent++
	for _, m := range needKey {
		og.shared[m] = true
	}
	return out, nil
}

// newOutboundLocked starts a sending session and keeps its inbound half, so
// this device can read its own messages as they come back from the relay.
func (d *Device) newOutboundLocked(conversation int64, members map[DeviceID]bool) (*outboundGroup, error) {
	s, err := session.NewMegolmOutboundSession()
	if err != nil {
		return nil, fmt.Errorf("e2ee: new group session: %w", err)
	}
	key, err := s.SessionSharingMessage()
	if err != nil {
		return nil, fmt.Errorf("e2ee: group session key: %w", err)
	}
	if err := d.installGroupKeyLocked(conversation, d.id, string(s.ID()), string(key)); err != nil {
		return nil, err
	}
	og := &outboundGroup{s: s, members: members, shared: make(map[DeviceID]bool), created: d.now()}
	d.out[conversation] = og
	return og, nil
}

// installGroupKeyLocked accepts a group session key from sender for a
// conversation. A key already held is kept if it reaches as far back.
func (d *Device) installGroupKeyLocked(conversation int64, sender DeviceID, sessionID, sessionKey string) error {
	s, err := session.NewMegolmInboundSession([]byte(sessionKey))
	if err != nil {
		return tampered(fmt.Errorf("group session key: %w", err))
	}
	if string(s.ID()) != sessionID {
		return tampered(errors.New("group session key does not match its session id"))
	}
	k := inboundKey{Conversation: conversation, Sender: sender, SessionID: sessionID}
	if have, ok := d.in[k]; ok {
		if have.s.FirstKnownIndex() <= s.FirstKnownIndex() {
			return nil
		}
		have.s = s
		return nil
	}
	d.in[k] = &inboundGroup{s: s, seen: make(map[uint32]bool)}
	return nil
}

// Received is a decrypted, verified group message.
type Received struct {
	Conversation int64
	Sender       DeviceID
	SessionID    string
	Index        uint32
	Text         string
	Attachments  []Attachment
	// FrankingKey and Commitment are kept to report the message later.
	FrankingKey []byte
	Commitment  franking.Commitment
}

// FrankingMessage returns M, what the commitment covers.
func (r *Received) FrankingMessage() franking.Message {
	c := groupContent{Text: r.Text, Attachments: r.Attachments}
	return c.frankingMessage()
}

// Report returns the report of this message for the server, with the
// receipt and context the server delivered it with.
func (r *Received) Report(receipt franking.Receipt, ctx franking.Context) franking.Report {
	return franking.Report{Message: r.FrankingMessage(), Key: slices.Clone(r.FrankingKey), Receipt: receipt, Context: ctx}
}

// DecryptGroup decrypts and verifies a group envelope. It is refused with
// ErrUnknownSession when this device never received the key (it was sent
// before the device joined, or after it left), ErrReplay when the same
// session and index arrived before, ErrTampered when the ciphertext or its
// header was changed, and franking.ErrCommitment when the commitment does
// not match the plaintext. Nothing of a refused message is returned.
func (d *Device) DecryptGroup(b []byte) (*Received, error) {
	env, err := ParseGroupEnvelope(b)
	if err != nil {
		return nil, err
	}
	sid := b64.EncodeToString(env.SessionID[:])
	d.mu.Lock()
	defer d.mu.Unlock()
	ig, ok := d.in[inboundKey{Conversation: env.Conversation, Sender: env.Sender, SessionID: sid}]
	if !ok {
		return nil, unknownSession(fmt.Errorf("session %s from %s in conversation %d", sid, env.Sender, env.Conversation))
	}
	if ig.seen[env.Index] {
		return nil, fail(safeguard.ErrConflict, "e2ee_replay", "This message was already received.",
			ErrReplay, fmt.Errorf("session %s index %d", sid, env.Index))
	}
	plain, index, err := ig.s.Decrypt([]byte(b64.EncodeToString(env.Ciphertext)))
	if errors.Is(err, olm.ErrUnknownMessageIndex) {
		return nil, unknownSession(err)
	}
	if err != nil {
		return nil, tampered(err)
	}
	defer clear(plain)
	if uint32(index) != env.Index {
		return nil, tampered(fmt.Errorf("envelope says index %d, ciphertext %d", env.Index, index))
	}
	c, err := parseGroupContent(plain)
	if err != nil {
		return nil, tampered(fmt.Errorf("group content: %w", err))
	}
	if c.Conversation != env.Conversation || !sameDevice(c.Sender, env.Sender) {
		return nil, tampered(errors.New("group content names another conversation or sender than its envelope"))
	}
	if err := franking.Verify(c.FrankingKey, env.Commitment, c.frankingMessage()); err != nil {
		return nil, err
	}
	ig.seen[env.Index] = true
	return &Received{
		Conversation: env.Conversation,
		Sender:       env.Sender,
		SessionID:    sid,
		Index:        env.Index,
		Text:         c.Text,
		Attachments:  c.Attachments,
		FrankingKey:  c.FrankingKey,
		Commitment:   env.Commitment,
	}, nil
}

func unknownSession(cause error) error {
	return fail(safeguard.ErrNotFound, "e2ee_unknown_session",
		"This message cannot be read on this device: it was sent when the device was not in the conversation.",
		ErrUnknownSession, cause)
}
