package franking

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// ReceiptSize is the size of an encoded receipt: the kid and the MAC.
const ReceiptSize = 4 + sha256.Size

// Receipt is r, the server's binding of a commitment to its delivery
// context, with the id of the server key that made it.
type Receipt struct {
	KeyID uint32
	MAC   [sha256.Size]byte
}

// MarshalBinary returns u32 kid ‖ [32] MAC, big-endian.
func (r Receipt) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, ReceiptSize)
	b = binary.BigEndian.AppendUint32(b, r.KeyID)
	return append(b, r.MAC[:]...), nil
}

// ParseReceipt decodes an encoded receipt.
func ParseReceipt(b []byte) (Receipt, error) {
	if len(b) != ReceiptSize {
		return Receipt{}, malformed("receipt", fmt.Errorf("%d bytes, want %d", len(b), ReceiptSize))
	}
	var r Receipt
	r.KeyID = binary.BigEndian.Uint32(b)
	copy(r.MAC[:], b[4:])
	return r, nil
}

// receiptMAC computes HMAC-SHA256(secret, "receipt" ‖ cf ‖ ctx).
func receiptMAC(secret []byte, cf Commitment, ctx []byte) [sha256.Size]byte {
	h := hmac.New(sha256.New, secret)
	h.Write(labelReceipt)
	h.Write(cf[:])
	h.Write(ctx)
	var mac [sha256.Size]byte
	h.Sum(mac[:0])
	return mac
}

// Signer is the server's side of delivery: it makes receipts with the
// current key of its ring.
type Signer struct {
	Keys *KeyRing
}

// Stamp returns the receipt binding cf to c. c.ServerTime is the time the
// server accepted the message (normally now): reports are refused once it is
// older than the key ring's window. The server keeps nothing: the receipt
// travels to the recipient with the envelope.
func (s Signer) Stamp(cf Commitment, c Context) (Receipt, error) {
	enc, err := c.MarshalBinary()
	if err != nil {
		return Receipt{}, err
	}
	key := s.Keys.Current()
	return Receipt{KeyID: key.ID, MAC: receiptMAC(key.Secret, cf, enc)}, nil
}
