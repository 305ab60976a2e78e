package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Sessions implements store.AccountTx.
func (t *Tx) Sessions(ctx context.Context, accountID int64) ([]safeguard.Session, error) {
	rows, err := t.query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE account_id = ? ORDER BY id`, accountID)
	return collect(rows, err, t.d, "sessions", func(s scanner) (safeguard.Session, error) {
		ss, err := scanSession(s)
		if err != nil {
			return safeguard.Session{}, err
		}
		return *ss, nil
	})
}

// DeleteSessionByID implements store.AccountTx.
func (t *Tx) DeleteSessionByID(ctx context.Context, accountID, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM sessions WHERE id = ? AND account_id = ?`, id, accountID)
	return t.affected(res, err, fmt.Sprintf("session %d", id))
}

// TouchSession implements store.AccountTx.
func (t *Tx) TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE sessions SET last_used_at = ? WHERE token_hash = ? AND last_used_at < ?`,
		micro(at), required(tokenHash), micro(at))
	return t.d.Err(err, "touch session")
}

// likeEscape escapes the LIKE wildcards of s, with \ as the escape.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// FindAccounts implements store.AccountTx.
func (t *Tx) FindAccounts(ctx context.Context, q store.AccountQuery) ([]*safeguard.Account, error) {
	where := []string{"id > ?"}
	args := []any{q.AfterID}
	if q.Pattern != "" {
		where = append(where, `handle_key LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(HandleKey(q.Pattern))+"%")
	}
	if q.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(q.Status))
	}
	if q.Assurance != "" {
		where = append(where, "assurance = ?")
		args = append(args, string(q.Assurance))
	}
	if !q.BornAfter.IsZero() || !q.BornBy.IsZero() {
		where = append(where, "birth_date <> ''") // a deleted account keeps none
	}
	if !q.BornAfter.IsZero() {
		where = append(where, "birth_date > ?")
		args = append(args, dateText(q.BornAfter))
	}
	if !q.BornBy.IsZero() {
		where = append(where, "birth_date <= ?")
		args = append(args, dateText(q.BornBy))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	rows, err := t.query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT `+fmt.Sprint(limit), args...)
	return collect(rows, err, t.d, "find accounts", scanAccount)
}

// BandChanged implements store.AccountTx. Dates of birth are stored as
// YYYY-MM-DD, so they compare as text.
func (t *Tx) BandChanged(ctx context.Context, teenBy, adultBy safeguard.Date, afterID int64, limit int) ([]*safeguard.Account, error) {
	rows, err := t.query(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE id > ? AND status <> ? AND birth_date <> ''
		AND acted_band <> CASE WHEN birth_date <= ? THEN 'adult' WHEN birth_date <= ? THEN 'teen' ELSE 'child' END
		ORDER BY id LIMIT `+fmt.Sprint(max(limit, 1)),
		afterID, string(safeguard.Deleted), dateText(adultBy), dateText(teenBy))
	return collect(rows, err, t.d, "accounts whose band changed", scanAccount)
}

// AccountCounts implements store.AccountTx.
func (t *Tx) AccountCounts(ctx context.Context, accountID int64) (store.AccountCounts, error) {
	var c store.AccountCounts
	counts := []struct {
		n *int
		q string
		k int // how many times the ID is asked for
	}{
		{&c.Contacts, `SELECT count(*) FROM contacts WHERE from_id = ? OR to_id = ?`, 2},
		{&c.Blocks, `SELECT count(*) FROM blocks WHERE blocker_id = ?`, 1},
		{&c.Conversations, `SELECT count(*) FROM members WHERE account_id = ?`, 1},
		{&c.MessagesSent, `SELECT count(*) FROM messages WHERE sender_id = ?`, 1},
		{&c.Sessions, `SELECT count(*) FROM sessions WHERE account_id = ?`, 1},
		{&c.Cases, `SELECT count(*) FROM cases WHERE sender_id = ?`, 1},
		{&c.Reports, `SELECT count(*) FROM user_reports WHERE reporter_id = ?`, 1},
	}
	for _, q := range counts {
		args := make([]any, q.k)
		for i := range args {
			args[i] = accountID
		}
		if err := t.queryRow(ctx, q.q, args...).Scan(q.n); err != nil {
			return c, t.d.Err(err, fmt.Sprintf("counts of account %d", accountID))
		}
	}
	return c, nil
}

// SetPasswordHash implements store.AccountTx.
func (t *Tx) SetPasswordHash(ctx context.Context, accountID int64, hash string) error {
	res, err := t.exec(ctx, `UPDATE accounts SET password_hash = ? WHERE id = ?`, hash, accountID)
	return t.affected(res, err, fmt.Sprintf("password of account %d", accountID))
}

// CreatePasswordReset implements store.AccountTx.
func (t *Tx) CreatePasswordReset(ctx context.Context, accountID int64, codeHash []byte, created, expires time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO password_resets (account_id, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, created_at = excluded.created_at,
		expires_at = excluded.expires_at`, accountID, required(codeHash), micro(created), micro(expires))
	return t.d.Err(err, "create password reset")
}

// PasswordReset implements store.AccountTx.
func (t *Tx) PasswordReset(ctx context.Context, accountID int64) ([]byte, time.Time, error) {
	var hash []byte
	var expires int64
	err := t.queryRow(ctx, `SELECT code_hash, expires_at FROM password_resets WHERE account_id = ?`, accountID).Scan(&hash, &expires)
	if err != nil {
		return nil, time.Time{}, t.d.Err(err, fmt.Sprintf("password reset of account %d", accountID))
	}
	return bytesOut(hash), fromMicro(expires), nil
}

// DeletePasswordReset implements store.AccountTx.
func (t *Tx) DeletePasswordReset(ctx context.Context, accountID int64) error {
	res, err := t.exec(ctx, `DELETE FROM password_resets WHERE account_id = ?`, accountID)
	return t.affected(res, err, fmt.Sprintf("password reset of account %d", accountID))
}

// EraseAccountData implements store.AccountTx.
func (t *Tx) EraseAccountData(ctx context.Context, accountID int64, keepLogins bool, band safeguard.AgeBand) error {
	if _, err := t.exec(ctx, `UPDATE accounts SET erased_band = ? WHERE id = ?`, string(band), accountID); err != nil {
		return t.d.Err(err, fmt.Sprintf("erase account %d", accountID))
	}
	stmts := []struct {
		q string
		k int
	}{
		{`DELETE FROM sessions WHERE account_id = ?`, 1},
		{`DELETE FROM password_resets WHERE account_id = ?`, 1},
		{`DELETE FROM guardian_codes WHERE child_id = ?`, 1},
		{`DELETE FROM contacts WHERE from_id = ? OR to_id = ?`, 2},
		{`DELETE FROM blocks WHERE blocker_id = ?`, 1},
		{`DELETE FROM members WHERE account_id = ?`, 1},
		{`DELETE FROM read_markers WHERE account_id = ?`, 1},
		{`DELETE FROM safety_notices WHERE account_id = ?`, 1},
		{`DELETE FROM e2ee_inbox WHERE device_id IN (SELECT id FROM e2ee_devices WHERE account_id = ?)`, 1},
		{`DELETE FROM e2ee_one_time_keys WHERE device_id IN (SELECT id FROM e2ee_devices WHERE account_id = ?)`, 1},
		{`DELETE FROM e2ee_devices WHERE account_id = ?`, 1},
		{`DELETE FROM refusals WHERE from_id = ?`, 1},
		// Messages only their sender could see (held, never delivered)
		// go, unless a detection or a case refers to them.
		{`DELETE FROM messages WHERE sender_id = ? AND status <> 'delivered'
			AND id NOT IN (SELECT message_id FROM detections WHERE message_id <> 0)
			AND id NOT IN (SELECT message_id FROM case_occurrences WHERE message_id <> 0)`, 1},
		{`UPDATE accounts SET second_guardian_id = 0 WHERE second_guardian_id = ?`, 1},
		{`UPDATE accounts SET guardian_id = second_guardian_id, second_guardian_id = 0 WHERE guardian_id = ?`, 1},
	}
	if !keepLogins {
		stmts = append(stmts, struct {
			q string
			k int
		}{`DELETE FROM logins WHERE account_id = ?`, 1})
	}
	for _, st := range stmts {
		args := make([]any, st.k)
		for i := range args {
			args[i] = accountID
		}
		if _, err := t.exec(ctx, st.q, args...); err != nil {
			return t.d.Err(err, fmt.Sprintf("erase account %d", accountID))
		}
	}
	return nil
}
