package messaging

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/police"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
)

// Account field limits. A handle is a nickname, a dot and a discriminator of
// MinDiscriminator to MaxDiscriminator digits.
const (
	MinNickname, MaxNickname           = 3, 32
	MinDiscriminator, MaxDiscriminator = 2, 9
	MinPassword, MaxPassword           = 10, 256
	MaxAgeYears                        = 120
)

// SignUp is a request to create an account.
type SignUp struct {
	Nickname       string // the handle is this, a dot and digits the server picks
	Password       string
	BirthDate      string // YYYY-MM-DD
	App            string // empty means the default app
	LocalAuthority string // ONS code or name; optional
}

// SignedUp is a new account and, for a child under 13, the code a guardian
// enters to approve it; for a teen, the recovery codes that reset a
// forgotten password, each once. Both are shown once: only hashes are kept.
type SignedUp struct {
	Account       *safeguard.Account
	GuardianCode  string
	CodeExpires   time.Time
	RecoveryCodes []string
}

// SignUp creates an account. Its handle is the nickname asked for, a dot and
// a discriminator the server picks, so that nobody can choose a handle and no
// answer says whether one is taken. A nickname that looks like one an account
// the new one could reach has, spelled otherwise, is refused; one that only
// a young person the new account could not reach has is not, so the refusal
// says nothing of them. A child's account waits for a guardian: the returned
// code, given to a verified adult, activates it.
func (s *Service) SignUp(ctx context.Context, req SignUp, origin safeguard.Origin) (*SignedUp, error) {
	if err := limit(s.signUpLimit, ratelimit.AddrKey(origin.Addr.Addr())); err != nil {
		return nil, err
	}
	now := s.clock()
	a, err := s.validateSignUp(req, now)
	if err != nil {
		return nil, err
	}
	if err := s.view(ctx, func(tx Tx) error { return lookalike(ctx, tx, a, req.Nickname, now) }); err != nil {
		return nil, err
	}
	hash, err := s.passwords.Hash(ctx, s.cfg.Argon2, req.Password)
	if err != nil {
		return nil, err
	}
	out := &SignedUp{Account: a}
	var codeHash []byte
	var recovery [][]byte
	switch a.Band(now) {
	case safeguard.Child:
		a.Status = safeguard.PendingGuardian
		out.GuardianCode, codeHash = s.newGuardianCode()
		out.CodeExpires = now.Add(s.cfg.GuardianCodeTTL)
	case safeguard.Teen:
		out.RecoveryCodes, recovery = newRecoveryCodes()
	}
	err = updateTx(ctx, s.store, func(tx Tx) error {
		if err := lookalike(ctx, tx, a, req.Nickname, now); err != nil {
			return err
		}
		if err := createWithDiscriminator(ctx, tx, a, req.Nickname, hash, now); err != nil {
			return err
		}
		if codeHash != nil {
			if err := tx.CreateGuardianCode(ctx, a.ID, codeHash, out.CodeExpires); err != nil {
				return err
			}
		}
		if recovery != nil {
			if err := tx.SetRecoveryCodes(ctx, a.ID, recovery, now); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{
			At: now, ActorID: a.ID, Actor: "account", Action: "account.created", TargetID: a.ID,
			Detail: `{"app":"` + a.App + `"}`,
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) validateSignUp(req SignUp, now time.Time) (*safeguard.Account, error) {
	if err := validNickname(req.Nickname); err != nil {
		return nil, err
	}
	if err := checkPassword(req.Password, req.Nickname); err != nil {
		return nil, err
	}
	if req.BirthDate == "" {
		return nil, safeguard.Invalid("missing_birth_date", "Enter your date of birth.")
	}
	birth, err := safeguard.ParseDate(req.BirthDate)
	if err != nil && dateShape.MatchString(req.BirthDate) {
		return nil, safeguard.Invalid("invalid_birth_date", "That date does not exist. Check the day and the month.")
	}
	if err != nil {
		return nil, safeguard.Invalid("invalid_birth_date", "Enter your date of birth as YYYY-MM-DD.")
	}
	if safeguard.DateOf(now).Before(birth) {
		return nil, safeguard.Invalid("invalid_birth_date", "Your date of birth can't be in the future.")
	}
	if safeguard.AgeOn(birth, now) > MaxAgeYears {
		return nil, safeguard.Invalid("invalid_birth_date",
			"Check your date of birth: it is more than %d years ago.", MaxAgeYears)
	}
	app := req.App
	if app == "" {
		app = s.cfg.Apps[0]
	}
	if !slices.Contains(s.cfg.Apps, app) {
		return nil, safeguard.Invalid("unknown_app", "There is no app called %q here.", app)
	}
	a := &safeguard.Account{
		BirthDate: birth, Assurance: safeguard.SelfDeclared,
		Status: safeguard.Active, App: app, CreatedAt: now, ActedBand: safeguard.BandOn(birth, now),
	}
	if req.LocalAuthority != "" {
		la, ok := police.LookupLocalAuthority(req.LocalAuthority)
		if !ok {
			return nil, safeguard.Invalid("unknown_local_authority",
				"We don't know a council area called %q. Type the name of your town or council, like Bedford or Glasgow City, or leave it empty.", req.LocalAuthority)
		}
		a.LocalAuthority = la.Code
		if a.LocalAuthority == "" {
			a.LocalAuthority = la.Name
		}
		a.PoliceForce = la.ForceCode
	}
	return a, nil
}

// tokenHash is what is stored of a session token.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

var errBadLogin = safeguard.Errorf(safeguard.ErrUnauthenticated, "invalid_credentials",
	"That name and password don't match.")

// errBadLoginNickname answers a failed login with a name that has no
// discriminator: the same refusal, with a hint drawn from what was typed
// alone, so it says nothing of whether any account exists.
var errBadLoginNickname = safeguard.Errorf(safeguard.ErrUnauthenticated, "invalid_credentials",
	"That name and password don't match. If your handle has a number after the dot (like maya.37), use all of it.")

// dateShape is a date written YYYY-MM-DD, whether or not the day exists.
var dateShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// badLogin is the refusal of a failed login with handle.
func badLogin(handle string) error {
	if !safeguard.HasDiscriminator(handle) {
		return errBadLoginNickname
	}
	return errBadLogin
}

// Login checks a handle and password and starts a session. Attempts are
// limited per account and per address; every attempt on an existing account
// is recorded with its origin. A successful login spends a pending reset
// code.
func (s *Service) Login(ctx context.Context, handle, password string, origin safeguard.Origin) (string, *safeguard.Session, *safeguard.Account, error) {
	if handle == "" || password == "" {
		return "", nil, nil, safeguard.Invalid("missing_credentials", "Enter your name and password.")
	}
	account := strings.ToLower(handle)
	if err := s.logins.Check(account, origin.Addr.Addr(), "rate_limited"); err != nil {
		return "", nil, nil, err
	}
	now := s.clock()
	origin.At = now
	var a *safeguard.Account
	var hash string
	err := s.view(ctx, func(tx Tx) error {
		var err error
		var id int64 // an unknown handle reads the hash of no account, as a known one reads its own
		a, err = tx.AccountByHandle(ctx, handle)
		if err == nil && a.Status == safeguard.Deleted {
			a, err = nil, safeguard.NotFound // a deleted account answers as no account
		}
		if err == nil {
			id = a.ID
		} else if !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		var herr error
		hash, herr = tx.PasswordHash(ctx, id)
		if err != nil {
			return err
		}
		return herr
	})
	if errors.Is(err, safeguard.ErrNotFound) {
		if _, err := s.passwords.Check(ctx, s.dummyHash, password); err != nil {
			return "", nil, nil, err
		}
		return "", nil, nil, badLogin(handle)
	}
	if err != nil {
		return "", nil, nil, err
	}
	ok, err := s.passwords.Check(ctx, hash, password)
	if err != nil {
		return "", nil, nil, err
	}
	token := ""
	var sess *safeguard.Session
	if ok {
		// A suspended account may log in too, but the session it gets
		// reaches only its own account and its appeals (see the web
		// layer's route list).
		raw := make([]byte, 32)
		rand.Read(raw)
		token = base64.RawURLEncoding.EncodeToString(raw)
		sess = &safeguard.Session{AccountID: a.ID, TokenHash: tokenHash(token), CreatedAt: now,
			ExpiresAt: now.Add(s.cfg.SessionTTL), Origin: origin, App: appOf(ctx, a)}
	}
	if !ok {
		s.refusals.addLogin(safeguard.Login{AccountID: a.ID, Origin: origin})
		return "", nil, nil, badLogin(handle)
	}
	err = updateTx(ctx, s.store, func(tx Tx) error {
		if err := tx.RecordLogin(ctx, &safeguard.Login{AccountID: a.ID, Origin: origin, OK: true}); err != nil {
			return err
		}
		// Whoever logs in with the password knows it: a reset code
		// waiting for the account is no longer needed, and goes.
		if err := tx.DeletePasswordReset(ctx, a.ID); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		return tx.CreateSession(ctx, sess)
	})
	if err != nil {
		return "", nil, nil, err
	}
	s.logins.Succeeded(account, origin.Addr.Addr())
	return token, sess, a, nil
}

var errSession = safeguard.Errorf(safeguard.ErrUnauthenticated, "unauthenticated", "Please log in.")

// Authenticate returns the account of a session token, whatever its status:
// callers decide what a suspended account may still do (appeal).
func (s *Service) Authenticate(ctx context.Context, token string) (*safeguard.Account, error) {
	if token == "" {
		return nil, errSession
	}
	var a *safeguard.Account
	err := s.view(ctx, func(tx Tx) error {
		var expires time.Time
		var err error
		if a, expires, err = tx.AccountBySession(ctx, tokenHash(token)); err != nil {
			return err
		}
		if !s.clock().Before(expires) {
			return safeguard.NotFound
		}
		return nil
	})
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, errSession
	}
	if err != nil {
		return nil, err
	}
	if now := s.clock(); a.ActedBand != "" && a.ActedBand != a.Band(now) && a.Status != safeguard.Deleted {
		// A birthday since the account was last acted on: apply what
		// follows before anything else it asks.
		return s.settleAccount(ctx, a.ID, now)
	}
	return a, nil
}

// Session returns the session of token, for as long as it lasts.
func (s *Service) Session(ctx context.Context, token string) (*safeguard.Session, error) {
	var sess *safeguard.Session
	err := s.view(ctx, func(tx Tx) (err error) { sess, err = tx.Session(ctx, tokenHash(token)); return })
	if errors.Is(err, safeguard.ErrNotFound) || err == nil && !s.clock().Before(sess.ExpiresAt) {
		return nil, errSession
	}
	return sess, err
}

// Logout ends the session of token, and the live streams opened with it.
func (s *Service) Logout(ctx context.Context, token string) error {
	var sess *safeguard.Session
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if sess, err = tx.Session(ctx, tokenHash(token)); errors.Is(err, safeguard.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return tx.DeleteSession(ctx, sess.TokenHash)
	})
	if err == nil && sess != nil {
		s.publish(ctx, sess.AccountID, Notification{End: EndSession, Session: sess.ID})
	}
	return err
}

// LogoutEverywhere ends every session of an account, and its live streams.
func (s *Service) LogoutEverywhere(ctx context.Context, accountID int64) error {
	err := updateTx(ctx, s.store, func(tx Tx) error { return tx.DeleteSessions(ctx, accountID) })
	if err == nil {
		s.publish(ctx, accountID, Notification{End: EndSession})
	}
	return err
}

// Account returns an account by ID, for the account itself and for operators.
func (s *Service) Account(ctx context.Context, id int64) (*safeguard.Account, error) {
	var a *safeguard.Account
	err := s.view(ctx, func(tx Tx) (err error) { a, err = tx.Account(ctx, id); return })
	return a, err
}

// SetAssurance sets an account's age-assurance level; only operators call it
// (after an age check, or to revoke one). An account whose verification is
// revoked leaves its end-to-end encrypted conversations.
func (s *Service) SetAssurance(ctx context.Context, operator string, id int64, level safeguard.Assurance) (*safeguard.Account, error) {
	return s.setAssurance(ctx, id, level, map[string]string{"by": operator})
}

// setAssurance sets an account's age-assurance level, with detail (who,
// how, why) in the audit entry beside the level it had.
func (s *Service) setAssurance(ctx context.Context, id int64, level safeguard.Assurance, detail map[string]string) (*safeguard.Account, error) {
	if !level.Valid() {
		return nil, safeguard.Invalid("invalid_level", "Level must be %q or %q.", safeguard.SelfDeclared, safeguard.Verified)
	}
	now := s.clock()
	var a *safeguard.Account
	var left []int64
	var pending *ageChange
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = tx.Account(ctx, id); err != nil {
			return err
		}
		if a.Status == safeguard.Deleted {
			return errAccountDeleted
		}
		// A birthday not yet acted on first: a check made as a minor
		// is let go before a new one is recorded.
		if pending, err = s.settleAge(ctx, tx, a, now, causeBirthday); err != nil {
			return err
		}
		d := map[string]string{"from": string(a.Assurance)}
		for k, v := range detail {
			if v != "" {
				d[k] = v
			}
		}
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		a.Assurance = level
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		if err := tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "operator", Action: "age_assurance.set",
			TargetID: id, Reason: string(level), Detail: string(b)}); err != nil {
			return err
		}
		if policy.MayStayInE2EE(s.party(a, now)) {
			return nil
		}
		if left, err = s.leaveE2EE(ctx, tx, a, now); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.tellAgeChange(ctx, pending)
	for _, c := range left {
		s.publishConversation(ctx, c, safeguard.EventMemberChanged, a.ID)
	}
	return a, nil
}

// leaveE2EE removes a from every E2EE conversation it is in.
func (s *Service) leaveE2EE(ctx context.Context, tx Tx, a *safeguard.Account, now time.Time) ([]int64, error) {
	ids, err := tx.MemberConversations(ctx, a.ID, true)
	if err != nil {
		return nil, err
	}
	for _, cid := range ids {
		if err := tx.SetMember(ctx, cid, safeguard.Member{AccountID: a.ID, State: safeguard.MemberRemoved, UpdatedAt: now}); err != nil {
			return nil, err
		}
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventMemberChanged, At: now,
			AccountID: a.ID, ConversationID: cid, Payload: []byte(`{"state":"removed","reason":"age_not_verified"}`)}); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, 0, "system", "conversation.e2ee_left", a.ID, "verification_revoked"); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// CorrectBirthDate lets an operator correct the date of birth of the
// account ref names (handle or ID) after checking it: how (method, e.g.
// "passport checked"), why and by whom are audited. The account holder
// cannot change it. A correction that changes the band applies at once what
// follows (settleAge): contacts and groups the rules now forbid end, an
// end-to-end encrypted chat that now includes a young person takes no more
// messages, and each person concerned is told.
func (s *Service) CorrectBirthDate(ctx context.Context, ref, date, method, reason, by string) (*safeguard.Account, error) {
	now := s.clock()
	birth, err := checkCorrection(date, method, reason, by, now)
	if err != nil {
		return nil, err
	}
	var a *safeguard.Account
	var pending, ch *ageChange
	err = updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = accountRef(ctx, tx, ref); err != nil {
			return err
		}
		if a.Status == safeguard.Deleted {
			return errAccountDeleted
		}
		if a.BirthDate == birth {
			return safeguard.Errorf(safeguard.ErrConflict, "birth_date_unchanged", "That is already the account's date of birth.")
		}
		// A birthday not yet acted on is applied first, as a birthday.
		if pending, err = s.settleAge(ctx, tx, a, now, causeBirthday); err != nil {
			return err
		}
		if a.ActedBand == "" {
			a.ActedBand = a.Band(now)
		}
		before := a.BirthDate
		a.BirthDate = birth
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"from": before.String(), "to": birth.String(), "method": method, "reason": reason, "by": by})
		if err := tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "operator", Action: "birth_date.corrected",
			TargetID: a.ID, Reason: "operator", Detail: string(detail)}); err != nil {
			return err
		}
		ch, err = s.settleAge(ctx, tx, a, now, causeCorrection)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tellAgeChange(ctx, pending)
	s.tellAgeChange(ctx, ch)
	return a, nil
}

// checkCorrection checks an operator's correction of a date of birth.
func checkCorrection(date, method, reason, by string, now time.Time) (safeguard.Date, error) {
	if strings.TrimSpace(date) == "" {
		return safeguard.Date{}, safeguard.Invalid("missing_birth_date", "Give the corrected date of birth (birth_date).")
	}
	birth, err := safeguard.ParseDate(date)
	if err != nil || safeguard.DateOf(now).Before(birth) || safeguard.AgeOn(birth, now) > MaxAgeYears {
		return safeguard.Date{}, safeguard.Invalid("invalid_birth_date", "Enter a date of birth as YYYY-MM-DD, not in the future.")
	}
	if strings.TrimSpace(method) == "" {
		return safeguard.Date{}, safeguard.Invalid("missing_method", "Say how the date of birth was checked (method), for example \"passport checked\".")
	}
	// In the order of the fields: birth_date, method, reason, by.
	return birth, firstErr(requireReason(reason), requireBy(by), operatorText("method", method))
}

// Wards returns the children a guardian looks after.
func (s *Service) Wards(ctx context.Context, guardianID int64) ([]*safeguard.Account, error) {
	var out []*safeguard.Account
	err := s.view(ctx, func(tx Tx) (err error) { out, err = tx.Wards(ctx, guardianID); return })
	return out, err
}

// Lookup tells viewer whether an account with handle exists for them. A minor
// is, to a stranger adult, indistinguishable from a handle nobody has.
func (s *Service) Lookup(ctx context.Context, viewerID int64, handle string) (*safeguard.Account, bool, error) {
	now := s.clock()
	var target *safeguard.Account
	var rel policy.Relation
	err := s.view(ctx, func(tx Tx) error {
		viewer, err := load(ctx, tx, viewerID)
		if err != nil {
			return err
		}
		target, rel, err = s.see(ctx, tx, viewer, handle, actionLookup, now)
		return err
	})
	if err != nil {
		return nil, false, s.settle(err)
	}
	return target, rel.Contacts, nil
}

func quote(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, ' ')
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(append(b, '"'))
}
