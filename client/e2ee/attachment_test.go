package e2ee_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/safeguard-dev/safeguard/client/e2ee"
)

func TestAttachmentRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 4096, 1 << 20} {
		plain := bytes.Repeat([]byte{0xA5, 0x5A, 0x01}, size/3+1)[:size]
		a, blob, err := e2ee.EncryptAttachment(plain, "application/octet-stream")
		if err != nil {
			t.Fatal(err)
		}
		a.BlobID = "b"
		got, err := a.Decrypt(blob)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: %v", size, err)
		}
		if a.Size != int64(size) || len(blob) != size+16 {
			t.Errorf("size %d: attachment says %d, blob %d bytes", size, a.Size, len(blob))
		}
	}
}

func TestAttachmentKeysAreFresh(t *testing.T) {
	a1, blob1, _ := e2ee.EncryptAttachment([]byte("same bytes"), "text/plain")
	a2, blob2, _ := e2ee.EncryptAttachment([]byte("same bytes"), "text/plain")
	if bytes.Equal(a1.Key, a2.Key) || bytes.Equal(a1.Nonce, a2.Nonce) || bytes.Equal(blob1, blob2) {
		t.Error("two encryptions share a key, nonce or blob")
	}
}

func TestAttachmentRefused(t *testing.T) {
	pic := syntheticPNG(t, 16, 16)
	a, blob, err := e2ee.EncryptAttachment(pic, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	a.BlobID = "blob-1"

	// A malicious sender encrypts another image under the same key and
	// sends it with the first one's hash: the hash check catches it.
	other := syntheticPNG(t, 17, 16)
	block, _ := aes.NewCipher(a.Key)
	gcm, _ := cipher.NewGCM(block)
	swapped := gcm.Seal(nil, a.Nonce, other, []byte("safeguard-attachment-v1"))
	lying := a
	lying.Size = int64(len(other))

	wrongKey := a
	wrongKey.Key = bytes.Repeat([]byte{1}, 32)
	otherHash := a
	sum := sha256.Sum256([]byte("something else"))
	otherHash.SHA256 = sum[:]
	noBlob := a
	noBlob.BlobID = ""
	flipped := bytes.Clone(blob)
	flipped[10] ^= 1

	tests := []struct {
		name string
		a    e2ee.Attachment
		blob []byte
		want error
	}{
		{"blob changed", a, flipped, e2ee.ErrTampered},
		{"blob truncated", a, blob[:len(blob)-1], e2ee.ErrTampered},
		{"wrong key", wrongKey, blob, e2ee.ErrTampered},
		{"hash of something else", otherHash, blob, e2ee.ErrAttachment},
		{"another image under the same key", lying, swapped, e2ee.ErrAttachment},
		{"size differs", func() e2ee.Attachment { x := a; x.Size++; return x }(), blob, e2ee.ErrAttachment},
		{"no blob id", noBlob, blob, e2ee.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Decrypt(tt.blob)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("Decrypt = %d bytes, %v; want %v", len(got), err, tt.want)
			}
		})
	}
}

// TestAttachmentInMessageIsFranked: swapping the attachment reference in a
// message, even with a valid blob, breaks the commitment — shown through
// the franking message the recipient would report.
func TestAttachmentInMessageIsFranked(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	att, _, _ := e2ee.EncryptAttachment([]byte("synthetic"), "image/png")
	att.BlobID = "blob-7"
	w.send(a, 1, ids(a, b), e2ee.Plaintext{Attachments: []e2ee.Attachment{att}})
	got := w.mustDeliver(b)
	if len(got) != 1 {
		t.Fatal("no message")
	}
	m := got[0].FrankingMessage()
	if len(m.Attachments) != 1 || m.Attachments[0].BlobID != "blob-7" || !bytes.Equal(m.Attachments[0].Key, append(bytes.Clone(att.Key), att.Nonce...)) {
		t.Errorf("franking message attachment = %+v", m.Attachments)
	}
	if sum := sha256.Sum256([]byte("synthetic")); m.Attachments[0].SHA256 != sum {
		t.Error("franking message does not bind the plaintext hash")
	}
}
