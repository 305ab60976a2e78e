package e2ee

import (
	"errors"
	"fmt"

	"github.com/safeguard-dev/safeguard"
)

// The reasons an operation is refused. Every error the package returns for
// them is a *safeguard.Error whose cause matches one of these with
// errors.Is, with a kind for the edge and a sentence safe to show.
var (
	// ErrMalformed: an envelope, key document or payload is not a valid
	// encoding.
	ErrMalformed = errors.New("e2ee: malformed input")
	// ErrTampered: a ciphertext failed authentication, or what it decrypts
	// to contradicts its envelope.
	ErrTampered = errors.New("e2ee: message altered or undecryptable")
	// ErrReplay: a message (session and index) was received before.
	ErrReplay = errors.New("e2ee: message received twice")
	// ErrUnknownSession: this device holds no key for the message — it was
	// sent before the device joined, or after it was removed.
	ErrUnknownSession = errors.New("e2ee: no key for this message")
	// ErrIdentityChanged: a peer device presents identity keys other than
	// the ones pinned for it.
	ErrIdentityChanged = errors.New("e2ee: identity key changed")
	// ErrUnknownDevice: a peer device has no pinned keys yet.
	ErrUnknownDevice = errors.New("e2ee: unknown device")
	// ErrBadSignature: a key document's signature does not verify.
	ErrBadSignature = errors.New("e2ee: bad signature")
	// ErrNoSession: there is no pairwise session with a device that needs
	// the group key; claim one of its one-time keys and StartSession.
	ErrNoSession = errors.New("e2ee: no pairwise session")
	// ErrOneTimeKeyUsed: a pre-key message names a one-time key this device
	// no longer holds (already used by another session) or never made.
	ErrOneTimeKeyUsed = errors.New("e2ee: one-time key unknown or already used")
	// ErrAttachment: a decrypted attachment does not match its hash.
	ErrAttachment = errors.New("e2ee: attachment does not match its hash")
	// ErrWrongPassphrase: the passphrase does not open the saved state (or
	// the file's header was changed).
	ErrWrongPassphrase = errors.New("e2ee: wrong passphrase")
	// ErrStateCorrupt: the saved state was changed or damaged.
	ErrStateCorrupt = errors.New("e2ee: saved state corrupt")
)

// fail builds the *safeguard.Error for a sentinel and an optional cause.
func fail(kind error, code, message string, sentinel, cause error) error {
	err := sentinel
	if cause != nil {
		err = fmt.Errorf("%w: %w", sentinel, cause)
	}
	return &safeguard.Error{Kind: kind, Code: code, Message: message, Err: err}
}

func malformed(what string, cause error) error {
	return fail(safeguard.ErrInvalid, "e2ee_malformed", "The encrypted message is not well formed ("+what+").", ErrMalformed, cause)
}

func tampered(cause error) error {
	return fail(safeguard.ErrInvalid, "e2ee_tampered", "This message could not be decrypted. It may have been changed on the way.", ErrTampered, cause)
}
