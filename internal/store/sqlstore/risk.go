package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// RiskState implements store.RiskTx.
func (t *Tx) RiskState(ctx context.Context, conversationID int64) ([]byte, int64, error) {
	var (
		state   string
		version int64
	)
	err := t.queryRow(ctx, `SELECT state, version FROM risk_states WHERE conversation_id = ?`, conversationID).Scan(&state, &version)
	if err != nil {
		return nil, 0, t.d.Err(err, fmt.Sprintf("risk state of conversation %d", conversationID))
	}
	return []byte(state), version, nil
}

// SaveRiskState implements store.RiskTx. The version check is part of the
// statement (an insert that does nothing if a row exists, or an update
// conditional on the version), so under PostgreSQL's READ COMMITTED a
// concurrent writer's row is waited for and then seen.
func (t *Tx) SaveRiskState(ctx context.Context, conversationID, prev, version int64, state []byte, at time.Time) error {
	what := fmt.Sprintf("save risk state of conversation %d", conversationID)
	if prev == 0 {
		res, err := t.exec(ctx, `INSERT INTO risk_states (conversation_id, version, state, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (conversation_id) DO NOTHING`, conversationID, version, string(state), micro(at))
		return t.changed(res, err, what)
	}
	res, err := t.exec(ctx, `UPDATE risk_states SET version = ?, state = ?, updated_at = ? WHERE conversation_id = ? AND version = ?`,
		version, string(state), micro(at), conversationID, prev)
	return t.changed(res, err, what)
}

// changed returns ErrConflict when res changed no row.
func (t *Tx) changed(res sql.Result, err error, what string) error {
	if err != nil {
		return t.d.Err(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.d.Err(err, what)
	}
	if n == 0 {
		return conflict(what + ": the stored version changed")
	}
	return nil
}

// AddSafetyNotice implements store.RiskTx.
func (t *Tx) AddSafetyNotice(ctx context.Context, n *safeguard.SafetyNotice) error {
	id, err := t.insertID(ctx, `INSERT INTO safety_notices (account_id, conversation_id, message_id, code, detection_id, at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, n.AccountID, n.ConversationID, n.MessageID, n.Code, n.DetectionID, micro(n.At))
	if err != nil {
		return t.d.Err(err, "add safety notice")
	}
	n.ID = id
	return nil
}

// SafetyNotices implements store.RiskTx.
func (t *Tx) SafetyNotices(ctx context.Context, accountID, conversationID int64) ([]*safeguard.SafetyNotice, error) {
	q := `SELECT id, account_id, conversation_id, message_id, code, detection_id, at FROM safety_notices WHERE account_id = ?`
	args := []any{accountID}
	if conversationID != 0 {
		q += ` AND conversation_id = ?`
		args = append(args, conversationID)
	}
	rows, err := t.query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, t.d.Err(err, "safety notices")
	}
	defer rows.Close()
	var out []*safeguard.SafetyNotice
	for rows.Next() {
		n := &safeguard.SafetyNotice{}
		var at int64
		if err := rows.Scan(&n.ID, &n.AccountID, &n.ConversationID, &n.MessageID, &n.Code, &n.DetectionID, &at); err != nil {
			return nil, t.d.Err(err, "safety notices")
		}
		n.At = fromMicro(at)
		out = append(out, n)
	}
	return out, t.d.Err(rows.Err(), "safety notices")
}
