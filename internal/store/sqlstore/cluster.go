package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// TakeLease implements store.ClusterTx in one statement: the row is made,
// or taken over only where the lease expired or is holder's own. Under
// PostgreSQL's READ COMMITTED a concurrent taker's row is waited for, and
// the condition read again on it, so two takers never both succeed.
func (t *Tx) TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at < ? OR leases.holder = excluded.holder`, name, holder, micro(until), micro(now))
	if err != nil {
		return false, t.d.Err(err, "lease "+name)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, t.d.Err(err, "lease "+name)
	}
	return n == 1, nil
}

// ReleaseLease implements store.ClusterTx.
func (t *Tx) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := t.exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return t.d.Err(err, "release lease "+name)
}

// HoldsFiles implements store.ClusterTx.
func (t *Tx) HoldsFiles(ctx context.Context) (bool, error) {
	var holds bool
	err := t.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM media) OR EXISTS (SELECT 1 FROM e2ee_blobs) OR EXISTS (SELECT 1 FROM evidence_log)`).Scan(&holds)
	return holds, t.d.Err(err, "files held")
}

// AddRiskRuleSet implements store.ClusterTx.
func (t *Tx) AddRiskRuleSet(ctx context.Context, rs *store.RiskRuleSet) error {
	id, err := t.insertID(ctx, `INSERT INTO risk_rule_sets (version, sources, node, created_at) VALUES (?, ?, ?, ?) RETURNING generation`,
		rs.Version, rs.Sources, rs.Node, micro(rs.CreatedAt))
	if err != nil {
		return t.d.Err(err, "store risk rules")
	}
	rs.Generation = id
	return nil
}

// LatestRiskRuleSet implements store.ClusterTx.
func (t *Tx) LatestRiskRuleSet(ctx context.Context) (*store.RiskRuleSet, error) {
	var rs store.RiskRuleSet
	var at int64
	err := t.queryRow(ctx, `SELECT generation, version, sources, node, created_at FROM risk_rule_sets ORDER BY generation DESC LIMIT 1`).
		Scan(&rs.Generation, &rs.Version, &rs.Sources, &rs.Node, &at)
	if err != nil {
		return nil, t.d.Err(err, "risk rules in force")
	}
	rs.CreatedAt = fromMicro(at)
	return &rs, nil
}

// PutRuleCounts implements store.ClusterTx.
func (t *Tx) PutRuleCounts(ctx context.Context, node string, at time.Time, counts []store.RuleCount) error {
	for _, c := range counts {
		if _, err := t.exec(ctx, `INSERT INTO risk_rule_counts (node, rule, evaluated, fired, errors, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (node, rule) DO UPDATE SET evaluated = excluded.evaluated, fired = excluded.fired, errors = excluded.errors,
			updated_at = excluded.updated_at`, node, c.Rule, c.Evaluated, c.Fired, c.Errors, micro(at)); err != nil {
			return t.d.Err(err, "store rule counts")
		}
	}
	return nil
}

// RuleCounts implements store.ClusterTx.
func (t *Tx) RuleCounts(ctx context.Context) ([]store.RuleCount, error) {
	rows, err := t.query(ctx, `SELECT rule, CAST(SUM(evaluated) AS BIGINT), CAST(SUM(fired) AS BIGINT), CAST(SUM(errors) AS BIGINT)
		FROM risk_rule_counts GROUP BY rule ORDER BY rule`)
	if err != nil {
		return nil, t.d.Err(err, "rule counts")
	}
	defer rows.Close()
	var out []store.RuleCount
	for rows.Next() {
		var c store.RuleCount
		if err := rows.Scan(&c.Rule, &c.Evaluated, &c.Fired, &c.Errors); err != nil {
			return nil, t.d.Err(err, "rule counts")
		}
		out = append(out, c)
	}
	return out, t.d.Err(rows.Err(), "rule counts")
}

// NCMECFiling implements store.ClusterTx.
func (t *Tx) NCMECFiling(ctx context.Context, reference string) ([]byte, error) {
	var state []byte
	err := t.queryRow(ctx, `SELECT state FROM ncmec_filings WHERE reference = ?`, reference).Scan(&state)
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("ncmec filing %s", reference))
	}
	return state, nil
}

// PutNCMECFiling implements store.ClusterTx.
func (t *Tx) PutNCMECFiling(ctx context.Context, reference string, state []byte, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO ncmec_filings (reference, state, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (reference) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, reference, state, micro(at))
	return t.d.Err(err, fmt.Sprintf("store ncmec filing %s", reference))
}
