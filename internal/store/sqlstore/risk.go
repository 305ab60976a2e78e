package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
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
