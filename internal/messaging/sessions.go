package messaging

import (
	"context"
	"errors"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// touchEvery is how often a session's last use is written: at most once a
// minute per session, so that reading is not a write.
const touchEvery = time.Minute

// touches remembers when each session's last use was last written by this
// process.
type touches struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether the session of key should be touched at now, and
// notes that it is.
func (t *touches) due(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil || len(t.last) > 100_000 {
		t.last = map[string]time.Time{}
	}
	if prev, ok := t.last[key]; ok && now.Sub(prev) < touchEvery {
		return false
	}
	t.last[key] = now
	return true
}

// Touch records that the session of token was used now, at most once a
// minute. A failure to write is logged, never the request's failure.
func (s *Service) Touch(ctx context.Context, token string) {
	h := tokenHash(token)
	now := s.clock()
	if !s.touched.due(string(h), now) {
		return
	}
	if err := updateTx(ctx, s.store, func(tx Tx) error { return tx.TouchSession(ctx, h, now) }); err != nil {
		s.log.WarnContext(ctx, "touch session", "err", err)
	}
}

// SessionView is one session of an account as its holder sees it.
type SessionView struct {
	safeguard.Session
	Current bool // the session the request came with
}

// Sessions returns the sessions of an account that have not expired, oldest
// first; the one of token is marked current.
func (s *Service) Sessions(ctx context.Context, accountID int64, token string) ([]SessionView, error) {
	var ss []safeguard.Session
	if err := s.view(ctx, func(tx Tx) (err error) { ss, err = tx.Sessions(ctx, accountID); return }); err != nil {
		return nil, err
	}
	now := s.clock()
	current := string(tokenHash(token))
	out := []SessionView{}
	for _, sess := range ss {
		if !now.Before(sess.ExpiresAt) {
			continue
		}
		out = append(out, SessionView{Session: sess, Current: token != "" && string(sess.TokenHash) == current})
	}
	return out, nil
}

var errNoSession = safeguard.Errorf(safeguard.ErrNotFound, "session_not_found", "There is no such session. It may have ended already.")

// EndSession ends one session of an account, by its ID, and the live
// streams opened with it. A session of another account answers as one that
// does not exist.
func (s *Service) EndSession(ctx context.Context, accountID, sessionID int64) error {
	err := updateTx(ctx, s.store, func(tx Tx) error { return tx.DeleteSessionByID(ctx, accountID, sessionID) })
	if errors.Is(err, safeguard.ErrNotFound) {
		return errNoSession
	}
	if err != nil {
		return err
	}
	s.publish(ctx, accountID, Notification{End: EndSession, Session: sessionID})
	return nil
}
