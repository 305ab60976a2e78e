package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// ModeratorNameKey is the form of a moderator's name that uniqueness is
// checked on: names compare case-insensitively.
func ModeratorNameKey(name string) string { return strings.ToLower(name) }

const moderatorColumns = `id, name, role, disabled, created_at, created_by, disabled_at`

func scanModerator(s scanner) (*safeguard.Moderator, error) {
	var (
		m                 safeguard.Moderator
		role              string
		created, disabled int64
	)
	if err := s.Scan(&m.ID, &m.Name, &role, &m.Disabled, &created, &m.CreatedBy, &disabled); err != nil {
		return nil, err
	}
	m.Role, m.CreatedAt, m.DisabledAt = safeguard.ModeratorRole(role), fromMicro(created), fromMicro(disabled)
	return &m, nil
}

// CreateModerator implements store.ModeratorTx.
func (t *Tx) CreateModerator(ctx context.Context, m *safeguard.Moderator, passwordHash string) error {
	id, err := t.insertID(ctx, `INSERT INTO moderators
		(name, name_key, role, password_hash, disabled, created_at, created_by, disabled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		m.Name, ModeratorNameKey(m.Name), string(m.Role), passwordHash, m.Disabled, micro(m.CreatedAt), m.CreatedBy, micro(m.DisabledAt))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("create moderator %q: %w", m.Name, &safeguard.Error{Kind: safeguard.ErrConflict, Code: "name_taken",
			Message: "There is a moderator with that name already."})
	}
	if err != nil {
		return t.d.Err(err, "create moderator")
	}
	m.ID = id
	return nil
}

// Moderator implements store.ModeratorTx.
func (t *Tx) Moderator(ctx context.Context, id int64) (*safeguard.Moderator, error) {
	m, err := scanModerator(t.queryRow(ctx, `SELECT `+moderatorColumns+` FROM moderators WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("moderator %d", id))
	}
	return m, nil
}

// ModeratorByName implements store.ModeratorTx.
func (t *Tx) ModeratorByName(ctx context.Context, name string) (*safeguard.Moderator, error) {
	m, err := scanModerator(t.queryRow(ctx, `SELECT `+moderatorColumns+` FROM moderators WHERE name_key = ?`, ModeratorNameKey(name)))
	if err != nil {
		return nil, t.d.Err(err, "moderator by name")
	}
	return m, nil
}

// Moderators implements store.ModeratorTx.
func (t *Tx) Moderators(ctx context.Context) ([]*safeguard.Moderator, error) {
	rows, err := t.query(ctx, `SELECT `+moderatorColumns+` FROM moderators ORDER BY name_key`)
	return collect(rows, err, t.d, "moderators", scanModerator)
}

// UpdateModerator implements store.ModeratorTx.
func (t *Tx) UpdateModerator(ctx context.Context, m *safeguard.Moderator) error {
	res, err := t.exec(ctx, `UPDATE moderators SET role = ?, disabled = ?, disabled_at = ? WHERE id = ?`,
		string(m.Role), m.Disabled, micro(m.DisabledAt), m.ID)
	return t.affected(res, err, fmt.Sprintf("update moderator %d", m.ID))
}

// ModeratorPasswordHash implements store.ModeratorTx.
func (t *Tx) ModeratorPasswordHash(ctx context.Context, id int64) (string, error) {
	var h string
	if err := t.queryRow(ctx, `SELECT password_hash FROM moderators WHERE id = ?`, id).Scan(&h); err != nil {
		return "", t.d.Err(err, fmt.Sprintf("moderator %d password", id))
	}
	return h, nil
}

// SetModeratorPassword implements store.ModeratorTx.
func (t *Tx) SetModeratorPassword(ctx context.Context, id int64, passwordHash string) error {
	res, err := t.exec(ctx, `UPDATE moderators SET password_hash = ? WHERE id = ?`, passwordHash, id)
	return t.affected(res, err, fmt.Sprintf("set moderator %d password", id))
}

const moderatorSessionColumns = `token_hash, moderator_id, csrf_token, created_at, last_seen, expires_at, addr, port`

func scanModeratorSession(s scanner) (*safeguard.ModeratorSession, error) {
	var (
		ss                     safeguard.ModeratorSession
		created, seen, expires int64
		addr                   string
		port                   int64
	)
	if err := s.Scan(&ss.TokenHash, &ss.ModeratorID, &ss.CSRFToken, &created, &seen, &expires, &addr, &port); err != nil {
		return nil, err
	}
	ss.TokenHash = bytesOut(ss.TokenHash)
	ss.CreatedAt, ss.LastSeen, ss.ExpiresAt = fromMicro(created), fromMicro(seen), fromMicro(expires)
	var err error
	ss.Origin, err = origin(addr, port, ss.CreatedAt)
	return &ss, err
}

// CreateModeratorSession implements store.ModeratorTx.
func (t *Tx) CreateModeratorSession(ctx context.Context, s *safeguard.ModeratorSession) error {
	addr, port := addrText(s.Origin.Addr)
	res, err := t.exec(ctx, `INSERT INTO moderator_sessions (`+moderatorSessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		required(s.TokenHash), s.ModeratorID, s.CSRFToken, micro(createdAt(s.CreatedAt, s.Origin)), micro(s.LastSeen),
		micro(s.ExpiresAt), addr, port)
	if err != nil {
		return t.d.Err(err, "create moderator session")
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.d.Err(err, "create moderator session")
	} else if n == 0 {
		return conflict("create moderator session")
	}
	return nil
}

// ModeratorSession implements store.ModeratorTx.
func (t *Tx) ModeratorSession(ctx context.Context, tokenHash []byte) (*safeguard.ModeratorSession, error) {
	s, err := scanModeratorSession(t.queryRow(ctx, `SELECT `+moderatorSessionColumns+` FROM moderator_sessions WHERE token_hash = ?`,
		required(tokenHash)))
	if err != nil {
		return nil, t.d.Err(err, "moderator session")
	}
	return s, nil
}

// TouchModeratorSession implements store.ModeratorTx.
func (t *Tx) TouchModeratorSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE moderator_sessions SET last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END
		WHERE token_hash = ?`, micro(at), micro(at), required(tokenHash))
	return t.affected(res, err, "touch moderator session")
}

// DeleteModeratorSession implements store.ModeratorTx.
func (t *Tx) DeleteModeratorSession(ctx context.Context, tokenHash []byte) error {
	res, err := t.exec(ctx, `DELETE FROM moderator_sessions WHERE token_hash = ?`, required(tokenHash))
	return t.affected(res, err, "delete moderator session")
}

// DeleteModeratorSessions implements store.ModeratorTx.
func (t *Tx) DeleteModeratorSessions(ctx context.Context, moderatorID int64) error {
	_, err := t.exec(ctx, `DELETE FROM moderator_sessions WHERE moderator_id = ?`, moderatorID)
	return t.d.Err(err, "delete moderator sessions")
}

// PruneModeratorSessions implements store.ModeratorTx.
func (t *Tx) PruneModeratorSessions(ctx context.Context, expiredBefore, idleBefore time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM moderator_sessions WHERE expires_at < ? OR last_seen < ?`, micro(expiredBefore), micro(idleBefore))
	if err != nil {
		return 0, t.d.Err(err, "prune moderator sessions")
	}
	n, err := res.RowsAffected()
	return int(n), t.d.Err(err, "prune moderator sessions")
}
