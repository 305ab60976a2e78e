package messaging

import (
	"context"
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	pw "github.com/safeguard-dev/safeguard/internal/password"
)

// checkPassword applies the rules every new password follows, at sign-up and
// when it changes: long enough, not too long, and not one an attacker would
// try first (a common one, a pattern, the account's own name).
func checkPassword(password, nickname string) error {
	if n := utf8.RuneCountInString(password); n < MinPassword || len(password) > MaxPassword {
		return safeguard.Invalid("invalid_password",
			"Choose a password of at least %d characters.", MinPassword)
	}
	return pw.Guessable(password, nickname)
}

var errWrongCurrent = safeguard.Errorf(safeguard.ErrPermission, "wrong_password",
	"Your current password is not right. Please try again.")

var errSamePassword = safeguard.Invalid("same_password",
	"Your new password is the same as your current one. Choose a different one.")

var errPasswordChanged = safeguard.Errorf(safeguard.ErrConflict, "password_changed",
	"Your password was changed elsewhere; log in again.")

// stillCurrent is what a password change checks in the transaction that
// writes it: the password checked is still the account's, and the session
// that asked still exists. Of two changes at once, one wins; a change whose
// session ended meanwhile (logged out, reset, another change) writes nothing.
func stillCurrent(ctx context.Context, tx Tx, accountID int64, token, checked string) error {
	stored, err := tx.PasswordHash(ctx, accountID)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(checked)) != 1 {
		return errPasswordChanged
	}
	sess, err := tx.Session(ctx, tokenHash(token))
	if errors.Is(err, safeguard.ErrNotFound) || err == nil && sess.AccountID != accountID {
		return errSession
	}
	return err
}

// ChangePassword changes an account's password, asked for with the session of
// token: the current password must be given, and is checked as a login
// checks it (the same limits per account and address, every attempt costing
// one password check, a wrong one recorded as a failed login). The new one
// follows the rules of sign-up. The password checked must still be the
// account's, and the session must still exist, when the new one is written.
// A pending reset code is spent. Every other session of the account ends, with
// its live streams; the session that asked goes on. The change is audited.
func (s *Service) ChangePassword(ctx context.Context, accountID int64, token, current, next string, origin safeguard.Origin) error {
	if current == "" {
		return safeguard.Invalid("missing_field", "Enter your current password.")
	}
	now := s.clock()
	origin.At = now
	var a *safeguard.Account
	var hash string
	err := s.view(ctx, func(tx Tx) (err error) {
		if a, err = tx.Account(ctx, accountID); err != nil {
			return err
		}
		hash, err = tx.PasswordHash(ctx, accountID)
		return err
	})
	if err != nil {
		return err
	}
	if err := checkPassword(next, safeguard.Nickname(a.Handle)); err != nil {
		return err
	}
	key := strings.ToLower(a.Handle)
	if err := s.logins.Check(key, origin.Addr.Addr(), "rate_limited"); err != nil {
		return err
	}
	ok, err := s.passwords.Check(ctx, hash, current)
	if err != nil {
		return err
	}
	if !ok {
		s.refusals.addLogin(safeguard.Login{AccountID: a.ID, Origin: origin})
		return errWrongCurrent
	}
	s.logins.Succeeded(key, origin.Addr.Addr())
	if next == current {
		return errSamePassword
	}
	newHash, err := s.passwords.Hash(ctx, s.cfg.Argon2, next)
	if err != nil {
		return err
	}
	var ended []int64
	err = updateTx(ctx, s.store, func(tx Tx) error {
		if err := stillCurrent(ctx, tx, a.ID, token, hash); err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, a.ID, newHash); err != nil {
			return err
		}
		if err := tx.DeletePasswordReset(ctx, a.ID); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		if ended, err = tx.DeleteOtherSessions(ctx, a.ID, tokenHash(token)); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: a.ID, Actor: "account", Action: "account.password_changed",
			TargetID: a.ID, Detail: `{"sessions_ended":` + strconv.Itoa(len(ended)) + `}`})
	})
	if err != nil {
		return err
	}
	for _, id := range ended {
		s.publish(ctx, a.ID, Notification{End: EndSession, Session: id})
	}
	return nil
}
