package moderators

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	pw "github.com/safeguard-dev/safeguard/internal/password"
)

// rehash returns the password hashed again at the service's cost when
// hash, which it matched, was made at another (before the cost was
// changed, or by a command given another), else "": once rehashed, a
// login takes as long whether its name exists or not.
func (s *Service) rehash(ctx context.Context, hash, password string) (string, error) {
	if cost, ok := pw.CostOf(hash); !ok || cost == s.cfg.Argon2 {
		return "", nil
	}
	return s.cfg.Passwords.Hash(ctx, s.cfg.Argon2, password)
}

// replaceHash stores rehash, if any, as moderator id's password hash,
// unless the password was changed since old was read.
func replaceHash(ctx context.Context, tx Tx, id int64, old, rehash string) error {
	if rehash == "" {
		return nil
	}
	cur, err := tx.ModeratorPasswordHash(ctx, id)
	if err != nil || cur != old {
		return err
	}
	return tx.SetModeratorPassword(ctx, id, rehash)
}

// sqlName is the form names compare in: case-insensitively.
func sqlName(name string) string { return strings.ToLower(name) }

// TokenHash is what is stored of a session token.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte("console-session:" + token))
	return h[:]
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Errors of logins and sessions.
var (
	errBadLogin = safeguard.Errorf(safeguard.ErrUnauthenticated, "invalid_credentials", "That name and password don't match.")
	// ErrSessionEnded is the answer for a session that is missing, idle too
	// long, past its limit, or whose moderator was disabled.
	ErrSessionEnded = safeguard.Errorf(safeguard.ErrUnauthenticated, "session_ended", "Your session has ended. Please log in again.")
)

// Session is a logged-in moderator: the session and who it is.
type Session struct {
	*safeguard.ModeratorSession
	Moderator *safeguard.Moderator
}

// Login checks a name and password and starts a session. Attempts are
// limited per name and per client address; each attempt on an existing
// moderator is audited. The token is returned once; only its hash is
// stored.
func (s *Service) Login(ctx context.Context, name, password string, from netip.AddrPort) (string, *Session, error) {
	if name == "" || password == "" {
		return "", nil, safeguard.Invalid("missing_credentials", "Enter your name and password.")
	}
	if len(name) > MaxName || len(password) > MaxPassword {
		return "", nil, errBadLogin
	}
	if err := s.logins.Check(sqlName(name), from.Addr(), "too_many_attempts"); err != nil {
		return "", nil, err
	}
	var m *safeguard.Moderator
	var hash string
	err := viewTx(ctx, s.store, func(tx Tx) error {
		var err error
		if m, err = tx.ModeratorByName(ctx, name); err != nil {
			return err
		}
		hash, err = tx.ModeratorPasswordHash(ctx, m.ID)
		return err
	})
	if errors.Is(err, safeguard.ErrNotFound) {
		// The same time as a real check.
		if _, err := s.cfg.Passwords.Check(ctx, s.dummyHash, password); err != nil {
			return "", nil, err
		}
		return "", nil, errBadLogin
	}
	if err != nil {
		return "", nil, err
	}
	ok, err := s.cfg.Passwords.Check(ctx, hash, password)
	if err != nil {
		return "", nil, err
	}
	var rehash string
	if ok && !m.Disabled {
		if rehash, err = s.rehash(ctx, hash, password); err != nil {
			return "", nil, err
		}
	}
	now := s.clock()
	var token string
	var sess *safeguard.ModeratorSession
	if ok && !m.Disabled {
		token = randomToken()
		sess = &safeguard.ModeratorSession{TokenHash: TokenHash(token), ModeratorID: m.ID, CSRFToken: randomToken(),
			CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.cfg.MaxSession), Origin: safeguard.Origin{Addr: from, At: now}}
	}
	err = updateTx(ctx, s.store, func(tx Tx) error {
		action, reason := "console.login", ""
		switch {
		case !ok:
			action, reason = "console.login_failed", "invalid_credentials"
		case m.Disabled:
			action, reason = "console.login_failed", "moderator_disabled"
		}
		detail := map[string]any{}
		if from.IsValid() {
			detail["addr"] = from.String()
		}
		if err := audit(ctx, tx, now, m.Name, action, m, reason, detail); err != nil {
			return err
		}
		if err := replaceHash(ctx, tx, m.ID, hash, rehash); err != nil {
			return err
		}
		if sess != nil {
			return tx.CreateModeratorSession(ctx, sess)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if !ok || m.Disabled {
		// A disabled moderator's right password gets the answer of a
		// wrong one, after the same password work, so that the answer
		// never confirms a password; the audit log says which it was.
		return "", nil, errBadLogin
	}
	s.logins.Succeeded(sqlName(name), from.Addr())
	s.log.InfoContext(ctx, "console login", "moderator_id", m.ID)
	return token, &Session{ModeratorSession: sess, Moderator: m}, nil
}

// Authenticate returns the session of a token and its moderator, as of
// now: the moderator's current role, never a disabled moderator, never a
// session idle longer than the idle timeout or past its absolute limit
// (such a session is deleted). It records that the session was used.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrSessionEnded
	}
	h := TokenHash(token)
	now := s.clock()
	var out Session
	expired := false
	err := viewTx(ctx, s.store, func(tx Tx) error {
		var err error
		if out.ModeratorSession, err = tx.ModeratorSession(ctx, h); err != nil {
			return err
		}
		if !now.Before(out.ExpiresAt) || now.Sub(out.LastSeen) >= s.cfg.IdleTimeout {
			expired = true
			return nil
		}
		out.Moderator, err = tx.Moderator(ctx, out.ModeratorID)
		return err
	})
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, err
	}
	if expired || out.Moderator.Disabled {
		updateTx(ctx, s.store, func(tx Tx) error {
			if err := tx.DeleteModeratorSession(ctx, h); !errors.Is(err, safeguard.ErrNotFound) {
				return err
			}
			return nil
		})
		return nil, ErrSessionEnded
	}
	if now.Sub(out.LastSeen) >= touchEvery {
		err := updateTx(ctx, s.store, func(tx Tx) error { return tx.TouchModeratorSession(ctx, h, now) })
		if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return nil, err
		}
		out.LastSeen = now
	}
	return &out, nil
}

// Logout ends the session of token. Ending a session that has ended is not
// an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	err := updateTx(ctx, s.store, func(tx Tx) error { return tx.DeleteModeratorSession(ctx, TokenHash(token)) })
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil
	}
	return err
}

// Prune deletes the sessions that have ended (idle or past their limit)
// and returns how many.
func (s *Service) Prune(ctx context.Context) (int, error) {
	now := s.clock()
	var n int
	err := updateTx(ctx, s.store, func(tx Tx) (err error) {
		n, err = tx.PruneModeratorSessions(ctx, now, now.Add(-s.cfg.IdleTimeout))
		return
	})
	return n, err
}
