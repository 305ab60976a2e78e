package franking

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/safeguard-dev/safeguard"
)

// KeySize is the size of a franking key kf, and CommitmentSize the size of a
// commitment cf.
const (
	KeySize        = 32
	CommitmentSize = sha256.Size
)

// Domain-separation labels, so that a commitment can never be mistaken for a
// receipt or the other way round.
var (
	labelCommit  = []byte("commit")
	labelReceipt = []byte("receipt")
)

// Commitment is cf, the sender's commitment to a message.
type Commitment [CommitmentSize]byte

// NewKey returns a fresh random franking key kf. A key is used for one
// message only.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k) // never fails: crypto/rand panics rather than return short.
	return k
}

// Commit returns cf = HMAC-SHA256(kf, "commit" ‖ M) for the canonical
// encoding M of m.
func Commit(kf []byte, m Message) (Commitment, error) {
	if len(kf) != KeySize {
		return Commitment{}, malformed("franking key", fmt.Errorf("key of %d bytes, want %d", len(kf), KeySize))
	}
	enc, err := m.MarshalBinary()
	if err != nil {
		return Commitment{}, err
	}
	return commitEncoded(kf, enc), nil
}

func commitEncoded(kf, enc []byte) Commitment {
	h := hmac.New(sha256.New, kf)
	h.Write(labelCommit)
	h.Write(enc)
	var c Commitment
	h.Sum(c[:0])
	return c
}

// Verify is the recipient's check before it shows a message: it returns nil
// only if cf commits to m under kf. The comparison takes constant time.
func Verify(kf []byte, cf Commitment, m Message) error {
	got, err := Commit(kf, m)
	if err != nil {
		return err
	}
	if !hmac.Equal(got[:], cf[:]) {
		return refused(safeguard.ErrInvalid, "franking_mismatch",
			"This message could not be verified and is not shown.", ErrCommitment)
	}
	return nil
}
