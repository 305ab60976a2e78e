package e2ee

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"unicode/utf8"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
)

// Attachment sizes.
const (
	// MaxAttachmentBytes caps the plaintext of one attachment.
	MaxAttachmentBytes = 64 << 20
	attachmentKeySize  = 32
	attachmentNonce    = 12
	maxContentType     = 128
)

// attachmentAAD binds every attachment ciphertext to this scheme.
var attachmentAAD = []byte("safeguard-attachment-v1")

// Attachment is what a message says about an encrypted blob: where it is,
// the fresh key and nonce that open it, and the SHA-256 of the plaintext.
// It travels only inside the encrypted message; the server stores the blob
// and never sees the key.
//
// The blob is AES-256-GCM(key, nonce, plaintext, aad "safeguard-attachment-v1").
// GCM alone does not commit to one key: a malicious sender could craft a
// blob that opens to different images under different keys. Checking the
// plaintext hash after decryption — a hash the franking commitment also
// covers — closes that gap.
type Attachment struct {
	BlobID      string `json:"blob_id"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Key         []byte `json:"key"`
	Nonce       []byte `json:"nonce"`
	SHA256      []byte `json:"sha256"`
}

// EncryptAttachment encrypts plaintext under a fresh random key. It returns
// the blob to upload and the attachment, whose BlobID the caller sets to
// the id the upload returns before sending the message.
func EncryptAttachment(plaintext []byte, contentType string) (Attachment, []byte, error) {
	if len(plaintext) > MaxAttachmentBytes {
		return Attachment{}, nil, fail(safeguard.ErrTooLarge, "attachment_too_large",
			fmt.Sprintf("Attachments can be at most %d MB.", MaxAttachmentBytes>>20), ErrMalformed, nil)
	}
	a := Attachment{
		ContentType: contentType,
		Size:        int64(len(plaintext)),
		Key:         make([]byte, attachmentKeySize),
		Nonce:       make([]byte, attachmentNonce),
	}
	rand.Read(a.Key)
	rand.Read(a.Nonce)
	sum := sha256.Sum256(plaintext)
	a.SHA256 = sum[:]
	aead, err := a.aead()
	if err != nil {
		return Attachment{}, nil, err
	}
	return a, aead.Seal(nil, a.Nonce, plaintext, attachmentAAD), nil
}

// Decrypt opens the blob and checks the plaintext against the attachment's
// size and SHA-256; nothing is returned unless both match.
func (a Attachment) Decrypt(blob []byte) ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, malformed("attachment", err)
	}
	aead, err := a.aead()
	if err != nil {
		return nil, err
	}
	plaintext, err := aead.Open(nil, a.Nonce, blob, attachmentAAD)
	if err != nil {
		return nil, tampered(fmt.Errorf("attachment %s: %w", a.BlobID, err))
	}
	sum := sha256.Sum256(plaintext)
	if int64(len(plaintext)) != a.Size || subtle.ConstantTimeCompare(sum[:], a.SHA256) != 1 {
		return nil, fail(safeguard.ErrInvalid, "attachment_mismatch",
			"This attachment is not the one the message described, so it is not shown.", ErrAttachment, nil)
	}
	return plaintext, nil
}

func (a Attachment) aead() (cipher.AEAD, error) {
	if len(a.Key) != attachmentKeySize || len(a.Nonce) != attachmentNonce {
		return nil, malformed("attachment", fmt.Errorf("key of %d bytes and nonce of %d", len(a.Key), len(a.Nonce)))
	}
	block, err := aes.NewCipher(a.Key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (a Attachment) validate() error {
	switch {
	case a.BlobID == "" || len(a.BlobID) > franking.MaxBlobIDBytes || !utf8.ValidString(a.BlobID):
		return fmt.Errorf("blob id of %d bytes, want 1 to %d of UTF-8", len(a.BlobID), franking.MaxBlobIDBytes)
	case len(a.ContentType) > maxContentType || !utf8.ValidString(a.ContentType):
		return fmt.Errorf("content type of %d bytes, at most %d of UTF-8", len(a.ContentType), maxContentType)
	case a.Size < 0 || a.Size > MaxAttachmentBytes:
		return fmt.Errorf("size %d, want 0 to %d", a.Size, MaxAttachmentBytes)
	case len(a.Key) != attachmentKeySize:
		return fmt.Errorf("key of %d bytes, want %d", len(a.Key), attachmentKeySize)
	case len(a.Nonce) != attachmentNonce:
		return fmt.Errorf("nonce of %d bytes, want %d", len(a.Nonce), attachmentNonce)
	case len(a.SHA256) != sha256.Size:
		return fmt.Errorf("sha256 of %d bytes, want %d", len(a.SHA256), sha256.Size)
	}
	return nil
}

// franking returns what the franking commitment binds of the attachment:
// the plaintext hash, the key material (key ‖ nonce) and the blob id.
func (a Attachment) franking() franking.Attachment {
	f := franking.Attachment{BlobID: a.BlobID, Key: append(append([]byte(nil), a.Key...), a.Nonce...)}
	copy(f.SHA256[:], a.SHA256)
	return f
}
