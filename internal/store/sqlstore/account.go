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

// HandleKey is the form of a handle that uniqueness is checked on: handles
// compare case-insensitively.
func HandleKey(handle string) string { return strings.ToLower(handle) }

const accountColumns = `id, handle, birth_date, assurance, status, app, local_authority, police_force, guardian_id, second_guardian_id, created_at, acted_band`

func scanAccount(s scanner) (*safeguard.Account, error) {
	var (
		a       safeguard.Account
		birth   string
		created int64
	)
	err := s.Scan(&a.ID, &a.Handle, &birth, &a.Assurance, &a.Status, &a.App,
		&a.LocalAuthority, &a.PoliceForce, &a.GuardianID, &a.SecondGuardianID, &created, &a.ActedBand)
	if err != nil {
		return nil, err
	}
	if a.BirthDate, err = parseDate(birth); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicro(created)
	return &a, nil
}

// CreateAccount implements store.AccountTx.
func (t *Tx) CreateAccount(ctx context.Context, a *safeguard.Account, passwordHash string) error {
	nick := safeguard.Nickname(a.Handle)
	id, err := t.insertID(ctx, `INSERT INTO accounts
		(handle, handle_key, nickname_key, nickname_skeleton, skeleton,
		password_hash, birth_date, assurance, status, app, local_authority, police_force, guardian_id, second_guardian_id, created_at, acted_band)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`,
		a.Handle, HandleKey(a.Handle), HandleKey(nick), safeguard.HandleSkeleton(nick), safeguard.HandleSkeleton(a.Handle),
		passwordHash, dateText(a.BirthDate), string(a.Assurance), string(a.Status),
		a.App, a.LocalAuthority, a.PoliceForce, a.GuardianID, a.SecondGuardianID, micro(a.CreatedAt), string(a.ActedBand))
	if errors.Is(err, sql.ErrNoRows) {
		return handleTaken(a.Handle)
	}
	if err != nil {
		return t.d.Err(err, "create account")
	}
	a.ID = id
	return nil
}

// LookalikeNickname implements store.AccountTx.
func (t *Tx) LookalikeNickname(ctx context.Context, nickname string, bornBy safeguard.Date) (bool, error) {
	q := `SELECT 1 FROM accounts WHERE nickname_skeleton = ? AND nickname_key <> ?`
	args := []any{safeguard.HandleSkeleton(nickname), HandleKey(nickname)}
	if !bornBy.IsZero() {
		q += adultHolder
		args = append(args, dateText(bornBy))
	}
	var one int
	err := t.queryRow(ctx, q+` LIMIT 1`, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.d.Err(err, fmt.Sprintf("lookalike of %q", nickname))
	}
	return true, nil
}

// adultHolder keeps, of the accounts a nickname query reads, those born by
// a date; a deleted account without a date of birth by the band it had when
// deleted (an empty date would compare before any).
const adultHolder = ` AND (birth_date <> '' AND birth_date <= ? OR birth_date = '' AND erased_band = 'adult')`

// NicknameHolders implements store.AccountTx.
func (t *Tx) NicknameHolders(ctx context.Context, nickname string, bornBy safeguard.Date) (int, error) {
	q := `SELECT count(*) FROM accounts WHERE nickname_skeleton = ?`
	args := []any{safeguard.HandleSkeleton(nickname)}
	if !bornBy.IsZero() {
		q += adultHolder
		args = append(args, dateText(bornBy))
	}
	var n int
	if err := t.queryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, t.d.Err(err, fmt.Sprintf("holders of %q", nickname))
	}
	return n, nil
}

// Account implements store.AccountTx.
func (t *Tx) Account(ctx context.Context, id int64) (*safeguard.Account, error) {
	a, err := scanAccount(t.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("account %d", id))
	}
	return a, nil
}

// AccountByHandle implements store.AccountTx.
func (t *Tx) AccountByHandle(ctx context.Context, handle string) (*safeguard.Account, error) {
	a, err := scanAccount(t.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE handle_key = ?`, HandleKey(handle)))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("account %q", handle))
	}
	return a, nil
}

// AccountsByID implements store.AccountTx.
func (t *Tx) AccountsByID(ctx context.Context, ids []int64) (map[int64]*safeguard.Account, error) {
	out := make(map[int64]*safeguard.Account, len(ids))
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id IN (`+in+`)`, args...)
		as, err := collect(rows, err, t.d, "accounts by id", scanAccount)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			out[a.ID] = a
		}
	}
	return out, nil
}

// PasswordHash implements store.AccountTx.
func (t *Tx) PasswordHash(ctx context.Context, accountID int64) (string, error) {
	var h string
	err := t.queryRow(ctx, `SELECT password_hash FROM accounts WHERE id = ?`, accountID).Scan(&h)
	if err != nil {
		return "", t.d.Err(err, fmt.Sprintf("password of account %d", accountID))
	}
	return h, nil
}

// UpdateAccount implements store.AccountTx.
func (t *Tx) UpdateAccount(ctx context.Context, a *safeguard.Account) error {
	res, err := t.exec(ctx, `UPDATE accounts SET assurance = ?, status = ?, birth_date = ?, guardian_id = ?,
		second_guardian_id = ?, local_authority = ?, police_force = ?, acted_band = ? WHERE id = ?`,
		string(a.Assurance), string(a.Status), dateText(a.BirthDate), a.GuardianID, a.SecondGuardianID,
		a.LocalAuthority, a.PoliceForce, string(a.ActedBand), a.ID)
	return t.affected(res, err, fmt.Sprintf("update account %d", a.ID))
}

// Wards implements store.AccountTx.
func (t *Tx) Wards(ctx context.Context, guardianID int64) ([]*safeguard.Account, error) {
	if guardianID == 0 {
		return nil, nil
	}
	rows, err := t.query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE guardian_id = ? OR second_guardian_id = ? ORDER BY id`, guardianID, guardianID)
	return collect(rows, err, t.d, "wards", scanAccount)
}

// CreateGuardianCode implements store.AccountTx.
func (t *Tx) CreateGuardianCode(ctx context.Context, childID int64, codeHash []byte, expires time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO guardian_codes (child_id, code_hash, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (child_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at`,
		childID, required(codeHash), micro(expires))
	return t.d.Err(err, "create guardian code")
}

// GuardianCode implements store.AccountTx.
func (t *Tx) GuardianCode(ctx context.Context, codeHash []byte) (int64, time.Time, error) {
	var child, expires int64
	err := t.queryRow(ctx, `SELECT child_id, expires_at FROM guardian_codes WHERE code_hash = ?`, required(codeHash)).Scan(&child, &expires)
	if err != nil {
		return 0, time.Time{}, t.d.Err(err, "guardian code")
	}
	return child, fromMicro(expires), nil
}

// DeleteGuardianCode implements store.AccountTx.
func (t *Tx) DeleteGuardianCode(ctx context.Context, childID int64) error {
	_, err := t.exec(ctx, `DELETE FROM guardian_codes WHERE child_id = ?`, childID)
	return t.d.Err(err, "delete guardian code")
}

const sessionColumns = `id, account_id, token_hash, created_at, expires_at, addr, port, app, last_used_at`

func scanSession(s scanner) (*safeguard.Session, error) {
	var (
		ss                     safeguard.Session
		created, expires, used int64
		addr                   string
		port                   int64
	)
	if err := s.Scan(&ss.ID, &ss.AccountID, &ss.TokenHash, &created, &expires, &addr, &port, &ss.App, &used); err != nil {
		return nil, err
	}
	ss.TokenHash = bytesOut(ss.TokenHash)
	ss.CreatedAt, ss.ExpiresAt = fromMicro(created), fromMicro(expires)
	if used != 0 {
		ss.LastUsedAt = fromMicro(used)
	}
	var err error
	ss.Origin, err = origin(addr, port, ss.CreatedAt)
	return &ss, err
}

// CreateSession implements store.AccountTx. A token hash already stored is
// ErrConflict.
func (t *Tx) CreateSession(ctx context.Context, s *safeguard.Session) error {
	addr, port := addrText(s.Origin.Addr)
	var used int64
	if !s.LastUsedAt.IsZero() {
		used = micro(s.LastUsedAt)
	}
	id, err := t.insertID(ctx, `INSERT INTO sessions (account_id, token_hash, created_at, expires_at, addr, port, app, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		s.AccountID, required(s.TokenHash), micro(createdAt(s.CreatedAt, s.Origin)), micro(s.ExpiresAt), addr, port, s.App, used)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict("create session")
	}
	if err != nil {
		return t.d.Err(err, "create session")
	}
	s.ID = id
	return nil
}

// Session implements store.AccountTx.
func (t *Tx) Session(ctx context.Context, tokenHash []byte) (*safeguard.Session, error) {
	s, err := scanSession(t.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, required(tokenHash)))
	if err != nil {
		return nil, t.d.Err(err, "session")
	}
	return s, nil
}

// AccountBySession implements store.AccountTx.
func (t *Tx) AccountBySession(ctx context.Context, tokenHash []byte) (*safeguard.Account, time.Time, error) {
	var expires int64
	a, err := scanAccount(prefixed{t.queryRow(ctx, `SELECT s.expires_at, a.`+strings.ReplaceAll(accountColumns, ", ", ", a.")+`
		FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?`, required(tokenHash)), []any{&expires}})
	if err != nil {
		return nil, time.Time{}, t.d.Err(err, "account by session")
	}
	return a, fromMicro(expires), nil
}

// prefixed scans the first columns of a row into pre, the rest as asked.
type prefixed struct {
	s   scanner
	pre []any
}

func (p prefixed) Scan(dest ...any) error { return p.s.Scan(append(p.pre, dest...)...) }

// DeleteSession implements store.AccountTx.
func (t *Tx) DeleteSession(ctx context.Context, tokenHash []byte) error {
	res, err := t.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, required(tokenHash))
	return t.affected(res, err, "delete session")
}

// DeleteSessions implements store.AccountTx.
func (t *Tx) DeleteSessions(ctx context.Context, accountID int64) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE account_id = ?`, accountID)
	return t.d.Err(err, "delete sessions")
}

// DeleteOtherSessions implements store.AccountTx.
func (t *Tx) DeleteOtherSessions(ctx context.Context, accountID int64, keep []byte) ([]int64, error) {
	rows, err := t.query(ctx, `DELETE FROM sessions WHERE account_id = ? AND token_hash <> ? RETURNING id`,
		accountID, required(keep))
	return collect(rows, err, t.d, "delete other sessions", func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

// RecordLogin implements store.AccountTx.
func (t *Tx) RecordLogin(ctx context.Context, l *safeguard.Login) error {
	addr, port := addrText(l.Origin.Addr)
	_, err := t.exec(ctx, `INSERT INTO logins (account_id, addr, port, at, ok) VALUES (?, ?, ?, ?, ?)`,
		l.AccountID, addr, port, micro(l.Origin.At), l.OK)
	return t.d.Err(err, "record login")
}

// Logins implements store.AccountTx.
func (t *Tx) Logins(ctx context.Context, accountID int64, since time.Time) ([]safeguard.Login, error) {
	rows, err := t.query(ctx, `SELECT account_id, addr, port, at, ok FROM logins
		WHERE account_id = ? AND at >= ? ORDER BY at DESC, id DESC`, accountID, micro(since))
	return collect(rows, err, t.d, "logins", func(s scanner) (safeguard.Login, error) {
		var (
			l    safeguard.Login
			addr string
			port int64
			at   int64
		)
		if err := s.Scan(&l.AccountID, &addr, &port, &at, &l.OK); err != nil {
			return l, err
		}
		o, err := origin(addr, port, fromMicro(at))
		if addr == "" {
			o.At = fromMicro(at)
		}
		l.Origin = o
		return l, err
	})
}
