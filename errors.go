package safeguard

import (
	"errors"
	"fmt"
	"time"
)

// The kinds of error. Every error that leaves a use case wraps one of them, so
// that the edge (HTTP, CLI) can choose a status without knowing where the error
// came from. Data a caller may not see is ErrNotFound, so existence does not
// leak.
var (
	ErrNotFound        = errors.New("not found")
	ErrInvalid         = errors.New("invalid")
	ErrConflict        = errors.New("conflict")
	ErrPermission      = errors.New("permission denied")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrRateLimited     = errors.New("rate limited")
	ErrTooLarge        = errors.New("too large")
	ErrUnavailable     = errors.New("unavailable")
)

// Error is an error with a stable code and a message that is safe to show to
// the person who caused it. Err, the internal cause, is never shown.
type Error struct {
	Kind    error  // one of the Err* kinds above
	Code    string // stable, documented, snake_case: "handle_taken"
	Message string // a plain sentence for the user
	Err     error  // internal cause, for logs; may be nil
	// RetryAfter, on a refusal of kind ErrRateLimited or ErrUnavailable, is
	// how long until the same request could succeed: the edge sends it as
	// the Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap lets errors.Is match both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Errorf returns an *Error of the given kind and code with a formatted user
// message.
func Errorf(kind error, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is shorthand for an ErrInvalid *Error.
func Invalid(code, format string, args ...any) *Error {
	return Errorf(ErrInvalid, code, format, args...)
}

// ErrorCode returns the stable code of err, or "internal" when err carries no
// *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrConflict):
		return "conflict"
	case errors.Is(err, ErrPermission):
		return "forbidden"
	case errors.Is(err, ErrUnauthenticated):
		return "unauthenticated"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	}
	return "internal"
}

// ErrorMessage returns the user-safe message of err. Errors without an *Error
// get a generic sentence so that internal causes never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return "Not found."
	case errors.Is(err, ErrUnavailable):
		return "The service is busy. Please try again."
	}
	return "Something went wrong on our side. Please try again."
}

// NotFound is the one answer for anything the caller may not see or that does
// not exist. It is deliberately the same value for both.
var NotFound = &Error{Kind: ErrNotFound, Code: "not_found", Message: "Not found."}

// UnknownAccount is the answer for a handle that does not exist — and, by the
// platform's rules, for a minor's handle asked about by a stranger adult. Both
// cases must produce exactly this error.
var UnknownAccount = &Error{Kind: ErrNotFound, Code: "account_not_found", Message: "There is no account with that name."}

// RetryAfter returns how long err says to wait before trying again, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// RetrySeconds is d in whole seconds, rounded up, and at least 1: the value
// of a Retry-After header, which must not tell a client to come back before
// it could succeed.
func RetrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(1, s)
}
