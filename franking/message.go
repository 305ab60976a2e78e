package franking

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/safeguard-dev/safeguard/internal/wire"
	"unicode/utf8"
)

// Limits on what a franked message may hold. They are wider than the
// platform's message limits so that franking never refuses a message the
// messaging layer accepts.
const (
	MaxTextBytes      = 64 << 10
	MaxAttachments    = 32
	MaxAttachmentKey  = 128
	MaxBlobIDBytes    = 256
	messageEncodingV1 = 1
)

// Message is the plaintext a commitment covers: what the recipient is shown.
type Message struct {
	Text        string
	Attachments []Attachment
}

// Attachment is what binds an attachment into a commitment: the SHA-256 of
// its plaintext, the key material that decrypts its blob, and the blob's id.
// Binding the plaintext hash is the 2018 fix: without it, a sender could
// commit to one attachment and deliver another.
type Attachment struct {
	SHA256 [sha256.Size]byte
	Key    []byte
	BlobID string
}

// MarshalBinary returns M, the canonical encoding of m:
//
//	0x01                       encoding version
//	u32 len ‖ text             UTF-8
//	u32 count                  attachments, then for each:
//	  [32] sha256 ‖ u32 len ‖ key ‖ u32 len ‖ blob id
//
// Integers are big-endian. Every field is fixed-width or length-prefixed, so
// no two messages share an encoding.
func (m Message) MarshalBinary() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, malformed("message", err)
	}
	n := 1 + 4 + len(m.Text) + 4
	for _, a := range m.Attachments {
		n += sha256.Size + 8 + len(a.Key) + len(a.BlobID)
	}
	b := make([]byte, 0, n)
	b = append(b, messageEncodingV1)
	b = wire.AppendBytes(b, []byte(m.Text))
	b = wire.AppendU32(b, uint32(len(m.Attachments)))
	for _, a := range m.Attachments {
		b = append(b, a.SHA256[:]...)
		b = wire.AppendBytes(b, a.Key)
		b = wire.AppendBytes(b, []byte(a.BlobID))
	}
	return b, nil
}

func (m Message) validate() error {
	if len(m.Text) > MaxTextBytes {
		return fmt.Errorf("text: %d bytes, at most %d allowed", len(m.Text), MaxTextBytes)
	}
	if !utf8.ValidString(m.Text) {
		return errors.New("text: not valid UTF-8")
	}
	if len(m.Attachments) > MaxAttachments {
		return fmt.Errorf("%d attachments, at most %d allowed", len(m.Attachments), MaxAttachments)
	}
	for i, a := range m.Attachments {
		switch {
		case len(a.Key) == 0 || len(a.Key) > MaxAttachmentKey:
			return fmt.Errorf("attachment %d: key of %d bytes, want 1 to %d", i, len(a.Key), MaxAttachmentKey)
		case a.BlobID == "" || len(a.BlobID) > MaxBlobIDBytes:
			return fmt.Errorf("attachment %d: blob id of %d bytes, want 1 to %d", i, len(a.BlobID), MaxBlobIDBytes)
		case !utf8.ValidString(a.BlobID):
			return fmt.Errorf("attachment %d: blob id not valid UTF-8", i)
		}
	}
	return nil
}

// ParseMessage decodes M. It accepts exactly the encodings MarshalBinary
// produces, so a decoded message re-encodes to the same bytes.
func ParseMessage(b []byte) (Message, error) {
	r := wire.NewReader(b)
	if v := r.U8("version"); r.Err == nil && v != messageEncodingV1 {
		r.Fail("version %d, want %d", v, messageEncodingV1)
	}
	var m Message
	m.Text = string(r.Bytes("text", MaxTextBytes))
	n := r.U32("attachment count")
	if r.Err == nil && n > MaxAttachments {
		r.Fail("%d attachments, at most %d allowed", n, MaxAttachments)
	}
	for i := 0; r.Err == nil && i < int(n); i++ {
		var a Attachment
		copy(a.SHA256[:], r.Take(sha256.Size, fmt.Sprintf("attachment %d sha256", i)))
		a.Key = r.Bytes(fmt.Sprintf("attachment %d key", i), MaxAttachmentKey)
		a.BlobID = string(r.Bytes(fmt.Sprintf("attachment %d blob id", i), MaxBlobIDBytes))
		m.Attachments = append(m.Attachments, a)
	}
	r.End()
	if r.Err != nil {
		return Message{}, malformed("message", r.Err)
	}
	if err := m.validate(); err != nil {
		return Message{}, malformed("message", err)
	}
	return m, nil
}
