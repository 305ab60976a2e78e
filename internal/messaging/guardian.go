package messaging

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
)

// Guardian codes. A child under 13 is given a code that a verified adult
// enters to become their guardian. Anyone may try a code, so a code is
// worth guessing only if guesses are cheap: codes carry 60 random bits,
// live DefaultGuardianCodeTTL, are stored as an HMAC under a server key (a
// copy of the database alone does not give them back), and attempts are
// limited per account and per address, each wrong one audited.

// DefaultGuardianCodeTTL (service.go), 72 hours, is how long a guardian
// code is valid: long enough to reach a parent over a weekend, short enough
// that a code written down and lost soon stops working. The child asks for
// a new one (NewGuardianCode) when it expires.

// GuardianKeySize is the length of the key guardian codes are hashed with.
const GuardianKeySize = 32

// DefaultGuardianLimits bound guesses of guardian codes: five attempts per
// guardian account and twenty per address, one more earned back each hour.
// Once spent, every attempt is refused until then, the right code too.
var DefaultGuardianLimits = GuardianLimits{
	PerAccount: ratelimit.Limit{Burst: 5, Per: time.Hour},
	PerAddress: ratelimit.Limit{Burst: 20, Per: time.Hour},
}

// GuardianLimits limit attempts to link a guardian. The zero Limit is
// unlimited.
type GuardianLimits struct {
	PerAccount ratelimit.Limit
	PerAddress ratelimit.Limit
}

// guardianCodeAlphabet is Crockford's base32: digits and capitals without
// I, L, O and U, so a code read aloud or copied by hand survives.
const guardianCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// guardianCodeLen is the number of characters in a code: 12 × 5 = 60 bits.
const guardianCodeLen = 12

// newGuardianCode returns a code like "K7QM-2XRD-9FTA" and the keyed hash
// that is stored for it.
func (s *Service) newGuardianCode() (code string, hash []byte) {
	b := make([]byte, guardianCodeLen)
	rand.Read(b)
	out := make([]byte, 0, guardianCodeLen+2)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, guardianCodeAlphabet[c&31]) // 256 is a multiple of 32: uniform
	}
	return string(out), s.guardianCodeHash(string(out))
}

// guardianCodeHash is the stored form of a code as a person typed it: any
// case, with or without dashes and spaces, O for 0 and I or L for 1.
func (s *Service) guardianCodeHash(code string) []byte {
	m := hmac.New(sha256.New, s.guardianKey)
	m.Write([]byte("safeguard guardian code\x00"))
	m.Write([]byte(canonicalGuardianCode(code)))
	return m.Sum(nil)
}

// canonicalGuardianCode reads a code as Crockford's base32 does. Anything
// that is not a code maps to a string no code hashes to.
func canonicalGuardianCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var errGuardianCode = safeguard.Errorf(safeguard.ErrNotFound, "invalid_code", "That code is not valid. Ask for a new one.")

// LinkGuardian makes guardian a guardian of the child whose code it is, and
// activates the child's account if it waits for one. Only a verified adult
// can be a guardian; a child has at most safeguard.MaxGuardians, the second
// linked with a code the first asked for (NewSecondGuardianCode). The
// guardians the child had already are told.
// Attempts are limited per guardian account and per address; every wrong
// code is audited with its origin.
func (s *Service) LinkGuardian(ctx context.Context, guardianID int64, code string, origin safeguard.Origin) (*safeguard.Account, error) {
	if err := ratelimit.CheckAll("rate_limited", ratelimit.Keyed{Limiter: s.guardianAddr, Key: ratelimit.AddrKey(origin.Addr.Addr())},
		ratelimit.Keyed{Limiter: s.guardianAccount, Key: idKey(guardianID)}); err != nil {
		return nil, err
	}
	now := s.clock()
	var child *safeguard.Account
	var others []int64 // the child's guardians before
	err := updateTx(ctx, s.store, func(tx Tx) error {
		g, err := load(ctx, tx, guardianID)
		if err != nil {
			return err
		}
		if d := s.cfg.Policy.Guardian(s.party(g, now)); !d.Allow {
			return d.Err
		}
		childID, expires, err := tx.GuardianCode(ctx, s.guardianCodeHash(code))
		if errors.Is(err, safeguard.ErrNotFound) || (err == nil && !now.Before(expires)) {
			return errGuardianCode
		}
		if err != nil {
			return err
		}
		if child, err = tx.Account(ctx, childID); err != nil {
			return err
		}
		others = child.Guardians()
		if child.HasGuardian(g.ID) {
			return errAlreadyGuardian
		}
		if !child.AddGuardian(g.ID) {
			return errTwoGuardians
		}
		if child.Status == safeguard.PendingGuardian {
			child.Status = safeguard.Active
		}
		if err := tx.UpdateAccount(ctx, child); err != nil {
			return err
		}
		if err := tx.DeleteGuardianCode(ctx, childID); err != nil {
			return err
		}
		if len(others) > 0 {
			if err := recordGuardianChange(ctx, tx, child, append(others, child.ID), NoticeGuardianAdded, now); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: g.ID, Actor: "account",
			Action: "guardian.linked", TargetID: childID})
	})
	if err == errGuardianCode {
		// The wrong guess is kept, with where it came from, after the
		// transaction that found no code.
		detail, _ := json.Marshal(map[string]string{"addr": origin.Addr.String()})
		if aerr := updateTx(ctx, s.store, func(tx Tx) error {
			return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: guardianID, Actor: "account",
				Action: "guardian.link_failed", Reason: "invalid_code", Detail: string(detail)})
		}); aerr != nil {
			return nil, aerr
		}
	}
	if err != nil {
		return nil, err
	}
	s.guardianAccount.Reset(idKey(guardianID))
	s.publish(ctx, child.ID, Notification{Type: safeguard.EventAccountChanged, Account: child})
	if len(others) > 0 {
		s.tellGuardianChange(ctx, child, append(others, child.ID), NoticeGuardianAdded)
	}
	return child, nil
}

var (
	errAlreadyGuardian = safeguard.Errorf(safeguard.ErrConflict, "already_guardian", "You are already a parent or carer of this child.")
	errTwoGuardians    = safeguard.Errorf(safeguard.ErrConflict, "guardians_full",
		"This child has two parents or carers on the service already, which is the most there can be.")
)

// The notices guardians and children are shown when a child's guardians
// change.
const (
	NoticeGuardianAdded   = "guardian_added"   // another guardian was linked
	NoticeGuardianRemoved = "guardian_removed" // a guardian stepped down or was unlinked
)

// NewSecondGuardianCode gives a guardian a code for the child's second
// guardian, in place of any code the child had. The child is named by
// handle; a child the caller is not a guardian of is answered as an
// unknown account.
func (s *Service) NewSecondGuardianCode(ctx context.Context, guardianID int64, childHandle string) (code string, expires time.Time, err error) {
	now := s.clock()
	code, hash := s.newGuardianCode()
	expires = now.Add(s.cfg.GuardianCodeTTL)
	err = updateTx(ctx, s.store, func(tx Tx) error {
		child, err := s.ward(ctx, tx, guardianID, childHandle, now)
		if err != nil {
			return err
		}
		if len(child.Guardians()) >= safeguard.MaxGuardians {
			return errTwoGuardians
		}
		if err := tx.CreateGuardianCode(ctx, child.ID, hash, expires); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: guardianID, Actor: "account",
			Action: "guardian.code_issued", TargetID: child.ID, Reason: "second_guardian"})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// ward returns the child of handle if guardianID is one of its guardians
// and has guardian rights; any other handle is answered as an unknown
// account, after the same lookup.
func (s *Service) ward(ctx context.Context, tx Tx, guardianID int64, handle string, now time.Time) (*safeguard.Account, error) {
	if err := s.guardianRights(ctx, tx, guardianID, now); err != nil {
		return nil, err
	}
	child, err := tx.AccountByHandle(ctx, handle)
	if errors.Is(err, safeguard.ErrNotFound) || err == nil && (!child.HasGuardian(guardianID) || child.Status == safeguard.Deleted) {
		return nil, safeguard.UnknownAccount
	}
	return child, err
}

// NewGuardianCode gives a child still waiting for a guardian a new code, in
// place of the one they had (expired, lost, or issued before codes were
// keyed).
func (s *Service) NewGuardianCode(ctx context.Context, childID int64) (code string, expires time.Time, err error) {
	now := s.clock()
	code, hash := s.newGuardianCode()
	expires = now.Add(s.cfg.GuardianCodeTTL)
	err = updateTx(ctx, s.store, func(tx Tx) error {
		a, err := load(ctx, tx, childID)
		if err != nil {
			return err
		}
		if a.Status != safeguard.PendingGuardian {
			return safeguard.Errorf(safeguard.ErrConflict, "not_waiting_for_guardian", "This account is not waiting for a parent or carer.")
		}
		if err := tx.CreateGuardianCode(ctx, a.ID, hash, expires); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: a.ID, Actor: "account",
			Action: "guardian.code_issued", TargetID: a.ID})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}
