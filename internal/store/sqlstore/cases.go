package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

const caseColumns = `id, sender_id, content_key, conversation_id, source, category, status, priority, reasons, signals,
	minor_sender, senior_review, assignee, decision, decision_reason, decided_by, decided_at, report_reference,
	reported_at, legal_hold, hold_reason, occurrences, created_at, updated_at`

// optMicro stores an optional time: the zero time is 0.
func optMicro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromOptMicro reads an optional time back.
func fromOptMicro(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateCase implements store.CaseTx and sets c.ID.
func (t *Tx) CreateCase(ctx context.Context, c *safeguard.Case) error {
	reasons, err := jsonText(orEmpty(c.Reasons))
	if err != nil {
		return err
	}
	signals, err := jsonText(orEmpty(c.Signals))
	if err != nil {
		return err
	}
	id, err := t.insertID(ctx, `INSERT INTO cases (sender_id, content_key, conversation_id, source, category, status,
		priority, reasons, signals, minor_sender, senior_review, assignee, decision, decision_reason, decided_by,
		decided_at, report_reference, reported_at, legal_hold, hold_reason, occurrences, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (sender_id, content_key) DO NOTHING RETURNING id`,
		c.SenderID, c.ContentKey, c.ConversationID, string(c.Source), c.Category, string(c.Status), c.Priority,
		reasons, signals, c.MinorSender, c.SeniorReview, c.Assignee, string(c.Decision), c.DecisionReason,
		c.DecidedBy, optMicro(c.DecidedAt), c.ReportReference, optMicro(c.ReportedAt), c.LegalHold, c.HoldReason,
		c.Occurrences, micro(c.CreatedAt), micro(c.UpdatedAt))
	if err != nil {
		if isNoRows(err) {
			return conflict(fmt.Sprintf("case of sender %d", c.SenderID))
		}
		return t.d.Err(err, "create case")
	}
	c.ID = id
	return nil
}

// Case implements store.CaseTx.
func (t *Tx) Case(ctx context.Context, id int64) (*safeguard.Case, error) {
	c, err := scanCase(t.queryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("case %d", id))
	}
	return c, nil
}

// CaseByKey implements store.CaseTx.
func (t *Tx) CaseByKey(ctx context.Context, senderID int64, contentKey string) (*safeguard.Case, error) {
	c, err := scanCase(t.queryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE sender_id = ? AND content_key = ?`,
		senderID, contentKey))
	if err != nil {
		return nil, t.d.Err(err, "case by key")
	}
	return c, nil
}

// UpdateCase implements store.CaseTx.
func (t *Tx) UpdateCase(ctx context.Context, c *safeguard.Case) error {
	reasons, err := jsonText(orEmpty(c.Reasons))
	if err != nil {
		return err
	}
	signals, err := jsonText(orEmpty(c.Signals))
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE cases SET conversation_id = ?, source = ?, category = ?, status = ?, priority = ?,
		reasons = ?, signals = ?, minor_sender = ?, senior_review = ?, assignee = ?, decision = ?, decision_reason = ?,
		decided_by = ?, decided_at = ?, report_reference = ?, reported_at = ?, legal_hold = ?, hold_reason = ?,
		occurrences = ?, updated_at = ? WHERE id = ?`,
		c.ConversationID, string(c.Source), c.Category, string(c.Status), c.Priority, reasons, signals, c.MinorSender,
		c.SeniorReview, c.Assignee, string(c.Decision), c.DecisionReason, c.DecidedBy, optMicro(c.DecidedAt),
		c.ReportReference, optMicro(c.ReportedAt), c.LegalHold, c.HoldReason, c.Occurrences, micro(c.UpdatedAt), c.ID)
	return t.affected(res, err, fmt.Sprintf("update case %d", c.ID))
}

// Cases implements store.CaseTx.
func (t *Tx) Cases(ctx context.Context, q store.CaseQuery) ([]*safeguard.Case, error) {
	query := `SELECT ` + caseColumns + ` FROM cases WHERE 1 = 1`
	var args []any
	if len(q.Statuses) > 0 {
		query += ` AND status IN (` + strings.TrimSuffix(strings.Repeat("?,", len(q.Statuses)), ",") + `)`
		for _, s := range q.Statuses {
			args = append(args, string(s))
		}
	}
	if q.SenderID != 0 {
		query += ` AND sender_id = ?`
		args = append(args, q.SenderID)
	}
	if q.ByID {
		query += ` AND id > ? ORDER BY id`
		args = append(args, q.AfterID)
	} else {
		query += ` ORDER BY priority, created_at, id`
	}
	rows, err := t.query(ctx, query+` LIMIT ?`, append(args, limit(q.Limit))...)
	return collect(rows, err, t.d, "cases", scanCase)
}

func scanCase(s scanner) (*safeguard.Case, error) {
	var (
		c                           safeguard.Case
		source, status, decision    string
		reasons, signals            string
		decided, reported, cre, upd int64
	)
	err := s.Scan(&c.ID, &c.SenderID, &c.ContentKey, &c.ConversationID, &source, &c.Category, &status, &c.Priority,
		&reasons, &signals, &c.MinorSender, &c.SeniorReview, &c.Assignee, &decision, &c.DecisionReason, &c.DecidedBy,
		&decided, &c.ReportReference, &reported, &c.LegalHold, &c.HoldReason, &c.Occurrences, &cre, &upd)
	if err != nil {
		return nil, err
	}
	c.Source, c.Status, c.Decision = safeguard.DetectionSource(source), safeguard.CaseStatus(status), safeguard.Decision(decision)
	c.DecidedAt, c.ReportedAt = fromOptMicro(decided), fromOptMicro(reported)
	c.CreatedAt, c.UpdatedAt = fromMicro(cre), fromMicro(upd)
	if err := json.Unmarshal([]byte(reasons), &c.Reasons); err != nil {
		return nil, fmt.Errorf("case %d reasons: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(signals), &c.Signals); err != nil {
		return nil, fmt.Errorf("case %d signals: %w", c.ID, err)
	}
	if len(c.Reasons) == 0 {
		c.Reasons = nil
	}
	if len(c.Signals) == 0 {
		c.Signals = nil
	}
	return &c, nil
}

const occurrenceColumns = `id, case_id, detection_id, source, at, message_id, conversation_id, media_id, recipients, held, report_reference, node`

// AddOccurrence implements store.CaseTx and sets o.ID.
func (t *Tx) AddOccurrence(ctx context.Context, o *safeguard.Occurrence) error {
	recipients, err := jsonText(orEmpty(o.RecipientIDs))
	if err != nil {
		return err
	}
	id, err := t.insertID(ctx, `INSERT INTO case_occurrences (case_id, detection_id, source, at, message_id,
		conversation_id, media_id, recipients, held, report_reference, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (detection_id) DO NOTHING RETURNING id`,
		o.CaseID, o.DetectionID, string(o.Source), micro(o.At), o.MessageID, o.ConversationID, o.MediaID, recipients,
		o.Held, o.ReportReference, o.Node)
	if err != nil {
		if isNoRows(err) {
			return conflict(fmt.Sprintf("occurrence of detection %d", o.DetectionID))
		}
		return t.d.Err(err, "add occurrence")
	}
	o.ID = id
	_, err = t.exec(ctx, `UPDATE cases SET occurrences = occurrences + 1 WHERE id = ?`, o.CaseID)
	return t.d.Err(err, "count occurrence")
}

// Occurrences implements store.CaseTx.
func (t *Tx) Occurrences(ctx context.Context, caseID int64) ([]safeguard.Occurrence, error) {
	rows, err := t.query(ctx, `SELECT `+occurrenceColumns+` FROM case_occurrences WHERE case_id = ? ORDER BY id`, caseID)
	return collect(rows, err, t.d, "occurrences", scanOccurrence)
}

// MessageOccurrences implements store.CaseTx.
func (t *Tx) MessageOccurrences(ctx context.Context, messageID int64) ([]safeguard.Occurrence, error) {
	rows, err := t.query(ctx, `SELECT `+occurrenceColumns+` FROM case_occurrences WHERE message_id = ? ORDER BY id`, messageID)
	return collect(rows, err, t.d, "message occurrences", scanOccurrence)
}

// SetOccurrenceReport implements store.CaseTx.
func (t *Tx) SetOccurrenceReport(ctx context.Context, ids []int64, reference string) error {
	for _, chunk := range chunks(ids) {
		list, args := inList(chunk)
		_, err := t.exec(ctx, `UPDATE case_occurrences SET report_reference = ? WHERE id IN (`+list+`)`,
			append([]any{reference}, args...)...)
		if err != nil {
			return t.d.Err(err, "set occurrence report")
		}
	}
	return nil
}

func scanOccurrence(s scanner) (safeguard.Occurrence, error) {
	var (
		o          safeguard.Occurrence
		source     string
		at         int64
		recipients string
	)
	err := s.Scan(&o.ID, &o.CaseID, &o.DetectionID, &source, &at, &o.MessageID, &o.ConversationID, &o.MediaID,
		&recipients, &o.Held, &o.ReportReference, &o.Node)
	if err != nil {
		return o, err
	}
	o.Source, o.At = safeguard.DetectionSource(source), fromMicro(at)
	if err := json.Unmarshal([]byte(recipients), &o.RecipientIDs); err != nil {
		return o, fmt.Errorf("occurrence %d recipients: %w", o.ID, err)
	}
	if len(o.RecipientIDs) == 0 {
		o.RecipientIDs = nil
	}
	return o, nil
}

// AddCaseEvent implements store.CaseTx and sets e.ID.
func (t *Tx) AddCaseEvent(ctx context.Context, e *safeguard.CaseEvent) error {
	id, err := t.insertID(ctx, `INSERT INTO case_events (case_id, at, actor, action, from_status, to_status, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.CaseID, micro(e.At), e.Actor, e.Action, string(e.From), string(e.To), e.Reason, blob(e.Detail))
	if err != nil {
		return t.d.Err(err, "add case event")
	}
	e.ID = id
	return nil
}

// CaseEvents implements store.CaseTx.
func (t *Tx) CaseEvents(ctx context.Context, caseID int64) ([]safeguard.CaseEvent, error) {
	rows, err := t.query(ctx, `SELECT id, case_id, at, actor, action, from_status, to_status, reason, detail
		FROM case_events WHERE case_id = ? ORDER BY id`, caseID)
	return collect(rows, err, t.d, "case events", func(s scanner) (safeguard.CaseEvent, error) {
		var (
			e        safeguard.CaseEvent
			at       int64
			from, to string
		)
		err := s.Scan(&e.ID, &e.CaseID, &at, &e.Actor, &e.Action, &from, &to, &e.Reason, &e.Detail)
		e.At, e.From, e.To, e.Detail = fromMicro(at), safeguard.CaseStatus(from), safeguard.CaseStatus(to), bytesOut(e.Detail)
		return e, err
	})
}

const appealColumns = `id, case_id, account_id, kind, message_id, text, status, created_at, decided_by, decided_at, reason`

// CreateAppeal implements store.CaseTx and sets a.ID.
func (t *Tx) CreateAppeal(ctx context.Context, a *safeguard.Appeal) error {
	id, err := t.insertID(ctx, `INSERT INTO appeals (case_id, account_id, kind, message_id, text, status, created_at,
		decided_by, decided_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.CaseID, a.AccountID, string(a.Kind), a.MessageID, a.Text, string(a.Status), micro(a.CreatedAt), a.DecidedBy,
		optMicro(a.DecidedAt), a.Reason)
	if err != nil {
		return t.d.Err(err, "create appeal")
	}
	a.ID = id
	return nil
}

// Appeal implements store.CaseTx.
func (t *Tx) Appeal(ctx context.Context, id int64) (*safeguard.Appeal, error) {
	a, err := scanAppeal(t.queryRow(ctx, `SELECT `+appealColumns+` FROM appeals WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("appeal %d", id))
	}
	return a, nil
}

// Appeals implements store.CaseTx.
func (t *Tx) Appeals(ctx context.Context, q store.AppealQuery) ([]*safeguard.Appeal, error) {
	query := `SELECT ` + appealColumns + ` FROM appeals WHERE 1 = 1`
	var args []any
	if q.CaseID != 0 {
		query += ` AND case_id = ?`
		args = append(args, q.CaseID)
	}
	if q.AccountID != 0 {
		query += ` AND account_id = ?`
		args = append(args, q.AccountID)
	}
	if len(q.Statuses) > 0 {
		query += ` AND status IN (` + strings.TrimSuffix(strings.Repeat("?,", len(q.Statuses)), ",") + `)`
		for _, s := range q.Statuses {
			args = append(args, string(s))
		}
	}
	rows, err := t.query(ctx, query+` ORDER BY id LIMIT ?`, append(args, limit(q.Limit))...)
	return collect(rows, err, t.d, "appeals", scanAppeal)
}

// UpdateAppeal implements store.CaseTx.
func (t *Tx) UpdateAppeal(ctx context.Context, a *safeguard.Appeal) error {
	res, err := t.exec(ctx, `UPDATE appeals SET case_id = ?, status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ?`,
		a.CaseID, string(a.Status), a.DecidedBy, optMicro(a.DecidedAt), a.Reason, a.ID)
	return t.affected(res, err, fmt.Sprintf("update appeal %d", a.ID))
}

func scanAppeal(s scanner) (*safeguard.Appeal, error) {
	var (
		a                  safeguard.Appeal
		kind, status       string
		created, decidedAt int64
	)
	err := s.Scan(&a.ID, &a.CaseID, &a.AccountID, &kind, &a.MessageID, &a.Text, &status, &created, &a.DecidedBy,
		&decidedAt, &a.Reason)
	if err != nil {
		return nil, err
	}
	a.Kind, a.Status = safeguard.AppealKind(kind), safeguard.AppealStatus(status)
	a.CreatedAt, a.DecidedAt = fromMicro(created), fromOptMicro(decidedAt)
	return &a, nil
}

// CreateUserReport implements store.CaseTx and sets r.ID.
func (t *Tx) CreateUserReport(ctx context.Context, r *safeguard.MemberReport) error {
	id, err := t.insertID(ctx, `INSERT INTO user_reports (reporter_id, target, reason, note, at, detection_id)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, r.ReporterID, r.Target, r.Reason, r.Note, micro(r.At), r.DetectionID)
	if err != nil {
		return t.d.Err(err, "create user report")
	}
	r.ID = id
	return nil
}

// RecentUserReport implements store.CaseTx.
func (t *Tx) RecentUserReport(ctx context.Context, reporterID int64, target string, since time.Time) (*safeguard.MemberReport, error) {
	if t.d.KeyLock != "" {
		if _, err := t.exec(ctx, t.d.KeyLock, "user-report:"+strconv.FormatInt(reporterID, 10)+":"+target); err != nil {
			return nil, t.d.Err(err, "lock user report")
		}
	}
	var (
		r  safeguard.MemberReport
		at int64
	)
	err := t.queryRow(ctx, `SELECT id, reporter_id, target, reason, note, at, detection_id FROM user_reports
		WHERE reporter_id = ? AND target = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT 1`,
		reporterID, target, micro(since)).Scan(&r.ID, &r.ReporterID, &r.Target, &r.Reason, &r.Note, &at, &r.DetectionID)
	if err != nil {
		return nil, t.d.Err(err, "recent user report")
	}
	r.At = fromMicro(at)
	return &r, nil
}

// AddCaseReport implements store.CaseTx and sets r.ID.
func (t *Tx) AddCaseReport(ctx context.Context, r *safeguard.CaseReport) error {
	id, err := t.insertID(ctx, `INSERT INTO case_reports (case_id, reference, follow_up_of, destination, receipt_id,
		priority, test, submitted_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (reference) DO NOTHING RETURNING id`,
		r.CaseID, r.Reference, r.FollowUpOf, r.Destination, r.ReceiptID, r.Priority, r.Test, micro(r.SubmittedAt),
		blob(r.Receipt))
	if err != nil {
		if isNoRows(err) {
			return conflict("report " + r.Reference)
		}
		return t.d.Err(err, "add case report")
	}
	r.ID = id
	return nil
}

// CaseReports implements store.CaseTx.
func (t *Tx) CaseReports(ctx context.Context, caseID int64) ([]safeguard.CaseReport, error) {
	rows, err := t.query(ctx, `SELECT id, case_id, reference, follow_up_of, destination, receipt_id, priority, test,
		submitted_at, receipt FROM case_reports WHERE case_id = ? ORDER BY id`, caseID)
	return collect(rows, err, t.d, "case reports", func(s scanner) (safeguard.CaseReport, error) {
		var (
			r  safeguard.CaseReport
			at int64
		)
		err := s.Scan(&r.ID, &r.CaseID, &r.Reference, &r.FollowUpOf, &r.Destination, &r.ReceiptID, &r.Priority,
			&r.Test, &at, &r.Receipt)
		r.SubmittedAt, r.Receipt = fromMicro(at), bytesOut(r.Receipt)
		return r, err
	})
}

// RealReports implements store.CaseTx.
func (t *Tx) RealReports(ctx context.Context) (int, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM case_reports WHERE NOT test`).Scan(&n); err != nil {
		return 0, t.d.Err(err, "count reports")
	}
	return n, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
