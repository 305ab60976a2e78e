package messaging

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	pw "github.com/safeguard-dev/safeguard/internal/password"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
)

// DefaultPasswordResetTTL is how long a password reset code lasts.
const DefaultPasswordResetTTL = 24 * time.Hour

// resetAlphabet spells reset codes: no 0/O, 1/l/I, so a code read out over
// the phone survives. 20 characters of 31 are 99 bits: a code cannot be
// guessed, so a plain SHA-256 of it is what is stored.
const resetAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newResetCode returns a fresh code in groups of five ("abcde-fghjk-…") and
// the hash stored of it.
func newResetCode() (string, []byte) {
	raw := make([]byte, 20)
	rand.Read(raw)
	var b strings.Builder
	for i, c := range raw {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(resetAlphabet[int(c)%len(resetAlphabet)])
	}
	code := b.String()
	return code, resetCodeHash(code)
}

// resetCodeHash is what is stored of a reset code: the SHA-256 of the code
// as typed, letter case, spaces and dashes aside.
func resetCodeHash(code string) []byte {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(norm))
	return h[:]
}

// ResetCode is a one-time password reset code, shown once.
type ResetCode struct {
	Code      string
	ExpiresAt time.Time
}

// IssueReset gives an account a one-time password reset code for its holder,
// in place of any earlier one, and ends its sessions: whoever holds the old
// password is logged out. Only operators call it, after checking who asks.
func (s *Service) IssueReset(ctx context.Context, ref, by string) (*ResetCode, *safeguard.Account, error) {
	if err := requireBy(by); err != nil {
		return nil, nil, err
	}
	now := s.clock()
	code, hash := newResetCode()
	out := &ResetCode{Code: code, ExpiresAt: now.Add(s.cfg.PasswordResetTTL)}
	var a *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		if a.Status == safeguard.Deleted {
			return errAccountDeleted
		}
		if err := tx.CreatePasswordReset(ctx, a.ID, 0, hash, now, out.ExpiresAt); err != nil {
			return err
		}
		if err := tx.DeleteSessions(ctx, a.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "operator", Action: "password.reset_issued", TargetID: a.ID,
			Detail: `{"by":` + quote(by) + `,"expires_at":"` + out.ExpiresAt.UTC().Format(time.RFC3339) + `"}`})
	})
	if err != nil {
		return nil, nil, err
	}
	s.publish(ctx, a.ID, Notification{End: EndSession})
	return out, a, nil
}

// errBadReset is the one answer to every reset that does not work: an
// unknown handle, a wrong, used or expired code. It never says which, so it
// never confirms a handle.
var errBadReset = safeguard.Invalid("invalid_reset_code",
	"That code doesn't work with that name. Check both, or ask for a new code.")

// resetAllowed is the start of every redemption of a code: the new
// password must be acceptable, and one attempt of the reset limits is spent,
// per address and per handle tried.
func (s *Service) resetAllowed(handle, newPassword string, origin safeguard.Origin) error {
	if n := utf8.RuneCountInString(newPassword); n < MinPassword || len(newPassword) > MaxPassword {
		return safeguard.Invalid("invalid_password", "Choose a password of at least %d characters.", MinPassword)
	}
	if err := pw.Guessable(newPassword, safeguard.Nickname(handle)); err != nil {
		return err
	}
	if err := limit(s.resetAddr, ratelimit.AddrKey(origin.Addr.Addr())); err != nil {
		return err
	}
	if err := limit(s.resetAccount, strings.ToLower(handle)); err != nil {
		return err
	}
	return nil
}

// RedeemReset sets a new password with a reset code, once, and ends every
// session of the account. Attempts are limited per handle tried and per
// address; every failure gets errBadReset after the same work.
func (s *Service) RedeemReset(ctx context.Context, handle, code, newPassword string, origin safeguard.Origin) error {
	if err := s.resetAllowed(handle, newPassword, origin); err != nil {
		return err
	}
	now := s.clock()
	given := resetCodeHash(code)
	a, err := s.resetAccountFor(ctx, handle, given, now)
	if err != nil {
		return err
	}
	hash, err := s.passwords.Hash(ctx, s.cfg.Argon2, newPassword)
	if err != nil {
		return err
	}
	if err := updateTx(ctx, s.store, func(tx Tx) error { return useReset(ctx, tx, a.ID, given, hash, now) }); err != nil {
		return err
	}
	s.publish(ctx, a.ID, Notification{End: EndSession})
	return nil
}

// resetAccountFor returns the account of handle if given is the hash of its
// reset code and the code has not expired; otherwise errBadReset, after the
// same store calls for an unknown handle as for a known one.
func (s *Service) resetAccountFor(ctx context.Context, handle string, given []byte, now time.Time) (*safeguard.Account, error) {
	var a *safeguard.Account
	err := s.view(ctx, func(tx Tx) error {
		var err error
		a, err = tx.AccountByHandle(ctx, handle)
		var id int64 // an unknown handle reads the code of no account
		if err == nil && a.Status != safeguard.Deleted {
			id = a.ID
		} else if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		stored, expires, issuedBy, rerr := tx.PasswordReset(ctx, id)
		if rerr != nil && !errors.Is(rerr, safeguard.ErrNotFound) {
			return rerr
		}
		ok := subtle.ConstantTimeCompare(stored, given) == 1
		if id == 0 || rerr != nil || !ok || !now.Before(expires) {
			return errBadReset
		}
		return s.issuerStands(ctx, tx, a, issuedBy, now)
	})
	return a, err
}

// issuerStands refuses a guardian's reset code (issuedBy not 0) once the
// guardian could not give it any more: no longer linked to the child, no
// longer an active verified adult (suspended, deleted, age verification
// withdrawn), or the child no longer under 13. The answer is errBadReset,
// as for any code that does not work.
func (s *Service) issuerStands(ctx context.Context, tx Tx, child *safeguard.Account, issuedBy int64, now time.Time) error {
	if issuedBy == 0 {
		return nil
	}
	if !child.HasGuardian(issuedBy) || child.Band(now) != safeguard.Child {
		return errBadReset
	}
	if err := s.guardianRights(ctx, tx, issuedBy, now); err != nil {
		if errors.Is(err, safeguard.ErrPermission) || errors.Is(err, safeguard.ErrNotFound) {
			return errBadReset
		}
		return err
	}
	return nil
}

// useReset spends an account's reset code, if it is still the one given,
// and sets the new password hash: of two redeeming one code, one wins.
// Every session of the account ends.
func useReset(ctx context.Context, tx Tx, accountID int64, given []byte, hash string, now time.Time) error {
	stored, expires, _, err := tx.PasswordReset(ctx, accountID)
	if errors.Is(err, safeguard.ErrNotFound) || err == nil && (subtle.ConstantTimeCompare(stored, given) != 1 || !now.Before(expires)) {
		return errBadReset
	}
	if err != nil {
		return err
	}
	if err := tx.DeletePasswordReset(ctx, accountID); errors.Is(err, safeguard.ErrNotFound) {
		return errBadReset // redeemed meanwhile
	} else if err != nil {
		return err
	}
	if err := tx.SetPasswordHash(ctx, accountID, hash); err != nil {
		return err
	}
	if err := tx.DeleteSessions(ctx, accountID); err != nil {
		return err
	}
	return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: accountID, Actor: "account", Action: "password.reset", TargetID: accountID})
}

// GuardianReset gives a guardian a one-time password reset code for their
// child under 13, named by handle, in place of any earlier code. It ends no
// session: the child's devices stay logged in until the code is redeemed
// (RedeemReset), which ends every one of them. A handle that is not of the
// caller's child is answered as an unknown account; a child who has turned
// 13 resets with the operator, as everyone else does.
func (s *Service) GuardianReset(ctx context.Context, guardianID int64, childHandle string) (*ResetCode, *safeguard.Account, error) {
	now := s.clock()
	code, hash := newResetCode()
	out := &ResetCode{Code: code, ExpiresAt: now.Add(s.cfg.PasswordResetTTL)}
	var child *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if child, err = s.ward(ctx, tx, guardianID, childHandle, now); err != nil {
			return err
		}
		if child.Band(now) != safeguard.Child {
			return errResetNotChild
		}
		if err := tx.CreatePasswordReset(ctx, child.ID, guardianID, hash, now, out.ExpiresAt); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: guardianID, Actor: "account", Action: "password.reset_issued",
			TargetID: child.ID, Reason: "guardian", Detail: `{"expires_at":"` + out.ExpiresAt.UTC().Format(time.RFC3339) + `"}`})
	})
	if err != nil {
		return nil, nil, err
	}
	return out, child, nil
}

var errResetNotChild = safeguard.Errorf(safeguard.ErrPermission, "not_a_child",
	"A parent or carer can get a reset code only for a child under 13. From 13, a young person resets her password with one of her own recovery codes, given when she signed up, or asks Safeguard's support team.")
