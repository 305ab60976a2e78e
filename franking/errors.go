package franking

import (
	"errors"
	"fmt"

	"github.com/safeguard-dev/safeguard"
)

// The reasons a commitment or a report is refused. Every error the package
// returns is a *safeguard.Error whose cause matches one of these with
// errors.Is, and whose kind tells the edge which status to answer with.
var (
	// ErrMalformed: the input is not a valid encoding.
	ErrMalformed = errors.New("franking: malformed input")
	// ErrCommitment: the commitment does not match the message and key.
	ErrCommitment = errors.New("franking: commitment does not match the message")
	// ErrReceipt: the receipt does not match the revealed message, key and
	// context — altered text, another sender or recipient, a wrong key.
	ErrReceipt = errors.New("franking: receipt does not match the report")
	// ErrUnknownKey: the receipt names a server key the key ring does not
	// hold, because it never existed or was dropped at the end of the window.
	ErrUnknownKey = errors.New("franking: unknown server key")
	// ErrExpired: the message was delivered longer ago than the report window.
	ErrExpired = errors.New("franking: report window has passed")
	// ErrDuplicate: this receipt has already been reported.
	ErrDuplicate = errors.New("franking: already reported")
)

func malformed(what string, cause error) error {
	return &safeguard.Error{
		Kind:    safeguard.ErrInvalid,
		Code:    "franking_malformed",
		Message: "The report is not well formed (" + what + ").",
		Err:     fmt.Errorf("%w: %w", ErrMalformed, cause),
	}
}

func refused(kind error, code, message string, cause error) error {
	return &safeguard.Error{Kind: kind, Code: code, Message: message, Err: cause}
}
