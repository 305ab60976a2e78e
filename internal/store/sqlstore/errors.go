package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Class is what kind of failure a driver error is.
type Class int

// The classes of driver error.
const (
	// Other is any error the store does not translate.
	Other Class = iota
	// Unique is a unique or primary key violation.
	Unique
	// ForeignKey is a reference to a row that does not exist.
	ForeignKey
	// Busy means the database is locked, overloaded or unreachable: the
	// same call may succeed later.
	Busy
	// Retry is a serialization failure or a deadlock: the whole
	// transaction may be run again.
	Retry
)

// Messages of the errors the store makes, safe to show to users.
const (
	msgConflict    = "That already exists."
	msgHandleTaken = "That name is taken. Please choose another."
	msgUnavailable = "The service is busy. Please try again."
)

// Err translates a driver error into the kinds of the root package, with
// what (say "create account") as context: sql.ErrNoRows and foreign-key
// violations match safeguard.ErrNotFound, unique violations
// safeguard.ErrConflict (code "conflict"), busy, serialization and
// connection failures safeguard.ErrUnavailable. Other errors, the context's
// among them, are only wrapped. The driver error stays reachable through
// errors.As.
func (d *Dialect) Err(err error, what string) error {
	if err == nil {
		return nil
	}
	var se *safeguard.Error
	switch {
	case errors.As(err, &se), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	case errors.Is(err, sql.ErrNoRows):
		return notFound(what)
	}
	switch d.Classify(err) {
	case Unique:
		return fmt.Errorf("%s: %w", what, &safeguard.Error{Kind: safeguard.ErrConflict, Code: "conflict", Message: msgConflict, Err: err})
	case ForeignKey:
		return fmt.Errorf("%s: %w", what, &safeguard.Error{Kind: safeguard.ErrNotFound, Code: "not_found", Message: "Not found.", Err: err})
	case Busy, Retry:
		return Unavailable(what, err)
	}
	return fmt.Errorf("%s %s: %w", d.Name, what, err)
}

// Unavailable returns an error of kind safeguard.ErrUnavailable caused by
// err.
func Unavailable(what string, err error) error {
	return fmt.Errorf("%s: %w", what, &safeguard.Error{Kind: safeguard.ErrUnavailable, Code: "unavailable", Message: msgUnavailable, Err: err})
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, safeguard.NotFound) }

func conflict(what string) error {
	return fmt.Errorf("%s: %w", what, &safeguard.Error{Kind: safeguard.ErrConflict, Code: "conflict", Message: msgConflict})
}

func handleTaken(handle string) error {
	return fmt.Errorf("create account %q: %w", handle, &safeguard.Error{Kind: safeguard.ErrConflict, Code: "handle_taken", Message: msgHandleTaken})
}
