package e2ee

import (
	"fmt"
	"github.com/safeguard-dev/safeguard/internal/wire"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
)

// WireVersion is the version byte every envelope starts with.
const WireVersion = 1

// Kind tells the two envelopes apart; it is the second byte of each.
type Kind byte

// The envelope kinds.
const (
	// KindGroup is a conversation message encrypted with a Megolm group
	// session: what the server stores and relays to every member device.
	KindGroup Kind = 1
	// KindDirect is a pairwise Olm message from one device to another,
	// used to share group keys.
	KindDirect Kind = 2
)

// Olm message types carried by a direct envelope.
const (
	OlmPreKey byte = 0 // first messages of a session, naming the one-time key
	OlmNormal byte = 1
)

// MaxEnvelopeBytes caps an encoded envelope.
const MaxEnvelopeBytes = safeguard.MaxEnvelopeBytes

// GroupEnvelope is a conversation message as it travels:
//
//	u8  version = 1
//	u8  kind = 1
//	u64 conversation id
//	u64 sender account
//	u8  len ‖ sender device
//	[32] Megolm session id (the session's Ed25519 public key)
//	u32 message index
//	[32] franking commitment cf
//	u32 len ‖ ciphertext (a Megolm message)
//
// The server reads the header (to route, and to bind cf in a receipt) but
// not the ciphertext. The header is authenticated by the receiver: the
// session id is the key that signs the ciphertext, the index is checked
// against the one inside it, the conversation and sender against the ones
// the session key was shared for and the ones inside the plaintext, and cf
// against the decrypted message.
type GroupEnvelope struct {
	Conversation int64
	Sender       DeviceID
	SessionID    [KeySize]byte
	Index        uint32
	Commitment   franking.Commitment
	Ciphertext   []byte
}

// MarshalBinary encodes e as above.
func (e GroupEnvelope) MarshalBinary() ([]byte, error) {
	if err := e.Sender.Validate(); err != nil {
		return nil, malformed("group envelope", fmt.Errorf("sender: %w", err))
	}
	if len(e.Ciphertext) == 0 {
		return nil, malformed("group envelope", fmt.Errorf("empty ciphertext"))
	}
	b := make([]byte, 0, 2+8+8+1+len(e.Sender.Device)+KeySize+4+franking.CommitmentSize+4+len(e.Ciphertext))
	b = append(b, WireVersion, byte(KindGroup))
	b = wire.AppendU64(b, uint64(e.Conversation))
	b = wire.AppendU64(b, uint64(e.Sender.Account))
	b = wire.AppendShort(b, e.Sender.Device)
	b = append(b, e.SessionID[:]...)
	b = wire.AppendU32(b, e.Index)
	b = append(b, e.Commitment[:]...)
	b = wire.AppendBytes(b, e.Ciphertext)
	if len(b) > MaxEnvelopeBytes {
		return nil, malformed("group envelope", fmt.Errorf("%d bytes, at most %d allowed", len(b), MaxEnvelopeBytes))
	}
	return b, nil
}

// ParseGroupEnvelope decodes a group envelope. It checks the form only; the
// receiving device authenticates it when it decrypts.
func ParseGroupEnvelope(b []byte) (GroupEnvelope, error) {
	r, err := header(b, KindGroup)
	if err != nil {
		return GroupEnvelope{}, malformed("group envelope", err)
	}
	var e GroupEnvelope
	e.Conversation = int64(r.U64("conversation id"))
	e.Sender.Account = int64(r.U64("sender account"))
	e.Sender.Device = r.Short("sender device")
	r.Fixed(e.SessionID[:], "session id")
	e.Index = r.U32("message index")
	r.Fixed(e.Commitment[:], "commitment")
	e.Ciphertext = r.Bytes("ciphertext", MaxEnvelopeBytes)
	r.End()
	if r.Err == nil && len(e.Ciphertext) == 0 {
		r.Fail("empty ciphertext")
	}
	if r.Err == nil {
		if err := e.Sender.Validate(); err != nil {
			r.Fail("sender: %v", err)
		}
	}
	if r.Err != nil {
		return GroupEnvelope{}, malformed("group envelope", r.Err)
	}
	return e, nil
}

// DirectEnvelope is a pairwise message from one device to another:
//
//	u8  version = 1
//	u8  kind = 2
//	u64 sender account
//	u8  len ‖ sender device
//	[32] sender Curve25519 identity key
//	u64 recipient account
//	u8  len ‖ recipient device
//	u8  Olm message type (0 pre-key, 1 normal)
//	u32 len ‖ ciphertext (an Olm message)
type DirectEnvelope struct {
	Sender     DeviceID
	SenderKey  [KeySize]byte
	Recipient  DeviceID
	Type       byte
	Ciphertext []byte
}

// MarshalBinary encodes e as above.
func (e DirectEnvelope) MarshalBinary() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, malformed("direct envelope", err)
	}
	b := make([]byte, 0, 2+8+1+len(e.Sender.Device)+KeySize+8+1+len(e.Recipient.Device)+1+4+len(e.Ciphertext))
	b = append(b, WireVersion, byte(KindDirect))
	b = wire.AppendU64(b, uint64(e.Sender.Account))
	b = wire.AppendShort(b, e.Sender.Device)
	b = append(b, e.SenderKey[:]...)
	b = wire.AppendU64(b, uint64(e.Recipient.Account))
	b = wire.AppendShort(b, e.Recipient.Device)
	b = append(b, e.Type)
	b = wire.AppendBytes(b, e.Ciphertext)
	if len(b) > MaxEnvelopeBytes {
		return nil, malformed("direct envelope", fmt.Errorf("%d bytes, at most %d allowed", len(b), MaxEnvelopeBytes))
	}
	return b, nil
}

func (e DirectEnvelope) validate() error {
	if err := e.Sender.Validate(); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	if err := e.Recipient.Validate(); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	if e.Type != OlmPreKey && e.Type != OlmNormal {
		return fmt.Errorf("olm message type %d, want 0 or 1", e.Type)
	}
	if len(e.Ciphertext) == 0 {
		return fmt.Errorf("empty ciphertext")
	}
	return nil
}

// ParseDirectEnvelope decodes a direct envelope. It checks the form only.
func ParseDirectEnvelope(b []byte) (DirectEnvelope, error) {
	r, err := header(b, KindDirect)
	if err != nil {
		return DirectEnvelope{}, malformed("direct envelope", err)
	}
	var e DirectEnvelope
	e.Sender.Account = int64(r.U64("sender account"))
	e.Sender.Device = r.Short("sender device")
	r.Fixed(e.SenderKey[:], "sender key")
	e.Recipient.Account = int64(r.U64("recipient account"))
	e.Recipient.Device = r.Short("recipient device")
	e.Type = r.U8("Olm message type")
	e.Ciphertext = r.Bytes("ciphertext", MaxEnvelopeBytes)
	r.End()
	if r.Err == nil {
		if err := e.validate(); err != nil {
			r.Fail("%v", err)
		}
	}
	if r.Err != nil {
		return DirectEnvelope{}, malformed("direct envelope", r.Err)
	}
	return e, nil
}

// PeekKind returns the kind of an encoded envelope, for a relay that must
// route it, after checking its version.
func PeekKind(b []byte) (Kind, error) {
	if len(b) < 2 {
		return 0, malformed("envelope", fmt.Errorf("%d bytes, too short for a header", len(b)))
	}
	if b[0] != WireVersion {
		return 0, malformed("envelope", fmt.Errorf("version %d, want %d", b[0], WireVersion))
	}
	switch k := Kind(b[1]); k {
	case KindGroup, KindDirect:
		return k, nil
	default:
		return 0, malformed("envelope", fmt.Errorf("kind %d unknown", b[1]))
	}
}

func header(b []byte, want Kind) (*wire.Reader, error) {
	if len(b) > MaxEnvelopeBytes {
		return nil, fmt.Errorf("%d bytes, at most %d allowed", len(b), MaxEnvelopeBytes)
	}
	r := wire.NewReader(b)
	if v := r.U8("version"); r.Err == nil && v != WireVersion {
		r.Fail("version %d, want %d", v, WireVersion)
	}
	if k := r.U8("kind"); r.Err == nil && Kind(k) != want {
		r.Fail("kind %d, want %d", k, want)
	}
	return r, r.Err
}
