package franking

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/internal/golden"
)

// TestVectors pins the canonical encodings, the commitment and the receipt
// for fixed inputs, so that any other implementation (a web client) can check
// itself against testdata/vectors.golden.
func TestVectors(t *testing.T) {
	kf := bytes.Repeat([]byte{0x11}, KeySize)
	secret := bytes.Repeat([]byte{0x22}, ServerKeySize)
	m := Message{
		Text: "hello ✓",
		Attachments: []Attachment{{
			SHA256: sha256.Sum256([]byte("synthetic")),
			Key:    bytes.Repeat([]byte{0x33}, 44),
			BlobID: "blob-1",
		}},
	}
	c := Context{
		SenderAccount: 1, SenderDevice: "DEV1", RecipientAccount: 2, ConversationID: 3,
		ServerTime: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), MessageID: 4,
	}
	menc, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cenc, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := Commit(kf, m)
	if err != nil {
		t.Fatal(err)
	}
	r := Receipt{KeyID: 7, MAC: receiptMAC(secret, cf, cenc)}
	renc, _ := r.MarshalBinary()
	var out bytes.Buffer
	fmt.Fprintf(&out, "kf          %x\n", kf)
	fmt.Fprintf(&out, "server key  kid=7 %x\n", secret)
	fmt.Fprintf(&out, "M           %x\n", menc)
	fmt.Fprintf(&out, "ctx         %x\n", cenc)
	fmt.Fprintf(&out, "cf          %x\n", cf)
	fmt.Fprintf(&out, "receipt     %s\n", hex.EncodeToString(renc))

	golden.Check(t, filepath.Join("testdata", "vectors.golden"), out.Bytes())
}
