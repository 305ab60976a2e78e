package messaging

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

// RecoveryCodes is how many recovery codes a set holds.
const RecoveryCodes = 8

// newRecoveryCodes returns a fresh set of recovery codes ("abcde-fghjk",
// 10 characters of resetAlphabet, 49 bits each; guessing is stopped by the
// reset limits, per handle and per address) and the hashes stored of them.
func newRecoveryCodes() ([]string, [][]byte) {
	codes := make([]string, RecoveryCodes)
	hashes := make([][]byte, RecoveryCodes)
	for i := range codes {
		raw := make([]byte, 10)
		rand.Read(raw)
		var b strings.Builder
		for j, c := range raw {
			if j == 5 {
				b.WriteByte('-')
			}
			b.WriteByte(resetAlphabet[int(c)%len(resetAlphabet)])
		}
		codes[i] = b.String()
		hashes[i] = resetCodeHash(codes[i])
	}
	return codes, hashes
}

var errRecoveryChild = safeguard.Errorf(safeguard.ErrPermission, "not_for_children",
	"Children under 13 don't have recovery codes. A parent or carer can get you a reset code.")

// NewRecoveryCodes gives an account a new set of recovery codes, shown once,
// and voids every earlier code. The holder gives their password: a session
// left open on a shared device must not be enough to take the account.
func (s *Service) NewRecoveryCodes(ctx context.Context, accountID int64, password string, origin safeguard.Origin) ([]string, error) {
	if password == "" {
		return nil, safeguard.Invalid("missing_password", "Enter your password.")
	}
	now := s.clock()
	var a *safeguard.Account
	var hash string
	err := s.view(ctx, func(tx Tx) error {
		var err error
		if a, err = load(ctx, tx, accountID); err != nil {
			return err
		}
		hash, err = tx.PasswordHash(ctx, accountID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if a.Band(now) == safeguard.Child {
		return nil, errRecoveryChild
	}
	key := strings.ToLower(a.Handle)
	if err := s.logins.Check(key, origin.Addr.Addr(), "rate_limited"); err != nil {
		return nil, err
	}
	ok, err := s.passwords.Check(ctx, hash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errWrongPassword
	}
	s.logins.Succeeded(key, origin.Addr.Addr())
	codes, hashes := newRecoveryCodes()
	err = updateTx(ctx, s.store, func(tx Tx) error {
		if err := tx.SetRecoveryCodes(ctx, accountID, hashes, now); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: accountID, Actor: "account", Action: "recovery_codes.issued",
			TargetID: accountID, Detail: `{"codes":` + strconv.Itoa(len(codes)) + `}`})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RedeemRecovery sets a new password with one of the account's recovery
// codes, which is then spent, and ends every session of the account. It
// shares RedeemReset's limits and its one answer to every failure
// (errBadReset), after the same store calls for an unknown handle.
func (s *Service) RedeemRecovery(ctx context.Context, handle, code, newPassword string, origin safeguard.Origin) error {
	if err := s.resetAllowed(handle, newPassword, origin); err != nil {
		return err
	}
	now := s.clock()
	given := resetCodeHash(code)
	var a *safeguard.Account
	err := s.view(ctx, func(tx Tx) error {
		var err error
		a, err = tx.AccountByHandle(ctx, handle)
		var id int64 // an unknown handle reads the codes of no account
		if err == nil && a.Status != safeguard.Deleted {
			id = a.ID
		} else if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		ok, err := tx.RecoveryCodeUnused(ctx, id, given)
		if err != nil {
			return err
		}
		if id == 0 || !ok || a.Band(now) == safeguard.Child { // a child resets through a guardian
			return errBadReset
		}
		return nil
	})
	if err != nil {
		return err
	}
	hash, err := s.passwords.Hash(ctx, s.cfg.Argon2, newPassword)
	if err != nil {
		return err
	}
	err = updateTx(ctx, s.store, func(tx Tx) error {
		if err := tx.UseRecoveryCode(ctx, a.ID, given, now); errors.Is(err, safeguard.ErrNotFound) {
			return errBadReset // spent meanwhile
		} else if err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, a.ID, hash); err != nil {
			return err
		}
		if err := tx.DeleteSessions(ctx, a.ID); err != nil {
			return err
		}
		if err := tx.DeletePasswordReset(ctx, a.ID); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: a.ID, Actor: "account", Action: "password.reset",
			TargetID: a.ID, Reason: "recovery_code"})
	})
	if err != nil {
		return err
	}
	s.publish(ctx, a.ID, Notification{End: EndSession})
	return nil
}
