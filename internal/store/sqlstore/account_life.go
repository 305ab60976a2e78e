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
func (t *Tx) CreatePasswordReset(ctx context.Context, accountID, issuedBy int64, codeHash []byte, created, expires time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO password_resets (account_id, code_hash, created_at, expires_at, issued_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, created_at = excluded.created_at,
		expires_at = excluded.expires_at, issued_by = excluded.issued_by`, accountID, required(codeHash), micro(created), micro(expires), issuedBy)
	return t.d.Err(err, "create password reset")
}

// PasswordReset implements store.AccountTx.
func (t *Tx) PasswordReset(ctx context.Context, accountID int64) ([]byte, time.Time, int64, error) {
	var hash []byte
	var expires, issuedBy int64
	err := t.queryRow(ctx, `SELECT code_hash, expires_at, issued_by FROM password_resets WHERE account_id = ?`, accountID).Scan(&hash, &expires, &issuedBy)
	if err != nil {
		return nil, time.Time{}, 0, t.d.Err(err, fmt.Sprintf("password reset of account %d", accountID))
	}
	return bytesOut(hash), fromMicro(expires), issuedBy, nil
}

// DeletePasswordReset implements store.AccountTx.
func (t *Tx) DeletePasswordReset(ctx context.Context, accountID int64) error {
	res, err := t.exec(ctx, `DELETE FROM password_resets WHERE account_id = ?`, accountID)
	return t.affected(res, err, fmt.Sprintf("password reset of account %d", accountID))
}

// EraseAccountData implements store.AccountTx.
func (t *Tx) EraseAccountData(ctx context.Context, accountID int64, keep store.Keep, band safeguard.AgeBand) error {
	retained := 0 // 1: the last login only; 2: more, for a case or a preservation
	switch {
	case keep.Logins || keep.Held:
		retained = 2
	case keep.LastLogin:
		retained = 1
	}
	if _, err := t.exec(ctx, `UPDATE accounts SET erased_band = ?, retained = ?,
		deleted_at = CASE WHEN deleted_at = 0 THEN ? ELSE deleted_at END WHERE id = ?`,
		string(band), retained, micro(keep.At), accountID); err != nil {
		return t.d.Err(err, fmt.Sprintf("erase account %d", accountID))
	}
	type stmt struct {
		q    string
		args []any
	}
	id := accountID
	stmts := []stmt{
		{`DELETE FROM sessions WHERE account_id = ?`, []any{id}},
		{`DELETE FROM password_resets WHERE account_id = ?`, []any{id}},
		{`DELETE FROM recovery_codes WHERE account_id = ?`, []any{id}},
		{`DELETE FROM guardian_codes WHERE child_id = ?`, []any{id}},
		{`DELETE FROM blocks WHERE blocker_id = ?`, []any{id}},
		{`DELETE FROM members WHERE account_id = ?`, []any{id}},
		{`DELETE FROM read_markers WHERE account_id = ?`, []any{id}},
		{`DELETE FROM safety_notices WHERE account_id = ?`, []any{id}},
		{`DELETE FROM e2ee_inbox WHERE device_id IN (SELECT id FROM e2ee_devices WHERE account_id = ?)`, []any{id}},
		{`DELETE FROM e2ee_one_time_keys WHERE device_id IN (SELECT id FROM e2ee_devices WHERE account_id = ?)`, []any{id}},
		{`DELETE FROM e2ee_devices WHERE account_id = ?`, []any{id}},
		{`DELETE FROM refusals WHERE from_id = ?`, []any{id}},
		{`UPDATE accounts SET second_guardian_id = 0 WHERE second_guardian_id = ?`, []any{id}},
		{`UPDATE accounts SET guardian_id = second_guardian_id, second_guardian_id = 0 WHERE guardian_id = ?`, []any{id}},
	}
	if !keep.Held {
		stmts = append(stmts,
			stmt{`DELETE FROM contacts WHERE from_id = ? OR to_id = ?`, []any{id, id}},
			// Messages only their sender could see (held, never
			// delivered) go, unless a detection or a case refers to them.
			stmt{`DELETE FROM messages WHERE sender_id = ? AND status <> 'delivered'
			AND id NOT IN (SELECT message_id FROM detections WHERE message_id <> 0)
			AND id NOT IN (SELECT message_id FROM case_occurrences WHERE message_id <> 0)`, []any{id}})
	}
	switch {
	case keep.Logins:
	case keep.LastLogin:
		stmts = append(stmts, stmt{`DELETE FROM logins WHERE account_id = ? AND id NOT IN
			(SELECT id FROM logins WHERE account_id = ? AND ok = ? ORDER BY at DESC, id DESC LIMIT 1)`, []any{id, id, true}})
	default:
		stmts = append(stmts, stmt{`DELETE FROM logins WHERE account_id = ?`, []any{id}})
	}
	for _, st := range stmts {
		if _, err := t.exec(ctx, st.q, st.args...); err != nil {
			return t.d.Err(err, fmt.Sprintf("erase account %d", accountID))
		}
	}
	return nil
}

// RetainedDeleted implements store.AccountTx.
func (t *Tx) RetainedDeleted(ctx context.Context, afterID int64, limit int) ([]store.DeletedAccount, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := t.query(ctx, `SELECT id, deleted_at, retained FROM accounts WHERE status = ? AND retained > 0 AND id > ?
		ORDER BY id LIMIT `+fmt.Sprint(limit), string(safeguard.Deleted), afterID)
	return collect(rows, err, t.d, "retained deleted accounts", func(s scanner) (store.DeletedAccount, error) {
		var d store.DeletedAccount
		var at, level int64
		err := s.Scan(&d.ID, &at, &level)
		d.DeletedAt, d.Held = fromMicro(at), level > 1
		return d, err
	})
}

// LockAccount implements store.AccountTx.
func (t *Tx) LockAccount(ctx context.Context, id int64) error {
	var got int64
	err := t.queryRow(ctx, `SELECT id FROM accounts WHERE id = ?`+t.d.LockRows, id).Scan(&got)
	return t.d.Err(err, fmt.Sprintf("lock account %d", id))
}

// SetRecoveryCodes implements store.AccountTx.
func (t *Tx) SetRecoveryCodes(ctx context.Context, accountID int64, hashes [][]byte, at time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM recovery_codes WHERE account_id = ?`, accountID); err != nil {
		return t.d.Err(err, "replace recovery codes")
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, `INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES (?, ?, ?)`,
			accountID, required(h), micro(at)); err != nil {
			return t.d.Err(err, "store recovery code")
		}
	}
	return nil
}

// RecoveryCodeUnused implements store.AccountTx.
func (t *Tx) RecoveryCodeUnused(ctx context.Context, accountID int64, hash []byte) (bool, error) {
	var n int
	err := t.queryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE account_id = ? AND code_hash = ? AND used_at = 0`,
		accountID, required(hash)).Scan(&n)
	if err != nil {
		return false, t.d.Err(err, "recovery code")
	}
	return n > 0, nil
}

// UseRecoveryCode implements store.AccountTx.
func (t *Tx) UseRecoveryCode(ctx context.Context, accountID int64, hash []byte, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at = 0`,
		micro(at), accountID, required(hash))
	return t.affected(res, err, fmt.Sprintf("recovery code of account %d", accountID))
}

const preservationColumns = `id, account_id, reference, agency, recorded_by, created_at, expires_at`

// CreatePreservation implements store.AccountTx.
func (t *Tx) CreatePreservation(ctx context.Context, p *safeguard.Preservation) error {
	id, err := t.insertID(ctx, `INSERT INTO preservations (account_id, reference, agency, recorded_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, p.AccountID, p.Reference, p.Agency, p.RecordedBy, micro(p.CreatedAt), micro(p.ExpiresAt))
	if err != nil {
		return t.d.Err(err, "create preservation")
	}
	p.ID = id
	return nil
}

// Preservations implements store.AccountTx.
func (t *Tx) Preservations(ctx context.Context, accountID int64) ([]*safeguard.Preservation, error) {
	rows, err := t.query(ctx, `SELECT `+preservationColumns+` FROM preservations WHERE account_id = ? ORDER BY id`, accountID)
	return collect(rows, err, t.d, "preservations", func(s scanner) (*safeguard.Preservation, error) {
		var p safeguard.Preservation
		var created, expires int64
		err := s.Scan(&p.ID, &p.AccountID, &p.Reference, &p.Agency, &p.RecordedBy, &created, &expires)
		p.CreatedAt, p.ExpiresAt = fromMicro(created), fromMicro(expires)
		return &p, err
	})
}

// ExtendPreservation implements store.AccountTx.
func (t *Tx) ExtendPreservation(ctx context.Context, accountID, id int64, expires time.Time) error {
	res, err := t.exec(ctx, `UPDATE preservations SET expires_at = ? WHERE id = ? AND account_id = ?`, micro(expires), id, accountID)
	return t.affected(res, err, fmt.Sprintf("preservation %d", id))
}

// HeldConversationIDs implements store.AccountTx.
func (t *Tx) HeldConversationIDs(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := t.query(ctx, `SELECT conversation_id FROM members WHERE account_id = ?
		UNION SELECT conversation_id FROM messages WHERE sender_id = ? ORDER BY 1`, accountID, accountID)
	return collect(rows, err, t.d, "held conversations", func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}
