package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

const detectionColumns = `id, source, at, message_id, conversation_id, sender_id, media_id, held, content_key,
	severity, category, summary, detail, recipients, conversation_e2ee, members`

// CreateDetection implements store.DetectionTx and sets d.ID.
func (t *Tx) CreateDetection(ctx context.Context, d *safeguard.Detection) error {
	recipients, err := json.Marshal(orEmpty(d.RecipientIDs))
	if err != nil {
		return err
	}
	members, err := json.Marshal(orEmpty(d.Members))
	if err != nil {
		return err
	}
	id, err := t.insertID(ctx, `INSERT INTO detections (source, at, message_id, conversation_id, sender_id, media_id,
		held, content_key, severity, category, summary, detail, recipients, conversation_e2ee, members)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(d.Source), micro(d.At), d.MessageID, d.ConversationID, d.SenderID, d.MediaID, d.Held, d.ContentKey,
		d.Severity, d.Category, d.Summary, blob(d.Detail), string(recipients), d.ConversationE2EE, string(members))
	if err != nil {
		return t.d.Err(err, "create detection")
	}
	d.ID = id
	return nil
}

// Detection implements store.DetectionTx.
func (t *Tx) Detection(ctx context.Context, id int64) (*safeguard.Detection, error) {
	d, err := scanDetection(t.queryRow(ctx, `SELECT `+detectionColumns+` FROM detections WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("detection %d", id))
	}
	return d, nil
}

// Detections implements store.DetectionTx.
func (t *Tx) Detections(ctx context.Context, q store.DetectionQuery) ([]*safeguard.Detection, error) {
	query := `SELECT ` + detectionColumns + ` FROM detections WHERE 1 = 1`
	var args []any
	if q.MessageID != 0 {
		query += ` AND message_id = ?`
		args = append(args, q.MessageID)
	}
	if q.ConversationID != 0 {
		query += ` AND conversation_id = ?`
		args = append(args, q.ConversationID)
	}
	if q.SenderID != 0 {
		query += ` AND sender_id = ?`
		args = append(args, q.SenderID)
	}
	if q.Source != "" {
		query += ` AND source = ?`
		args = append(args, string(q.Source))
	}
	if !q.Since.IsZero() {
		query += ` AND at >= ?`
		args = append(args, micro(q.Since))
	}
	rows, err := t.query(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, limit(q.Limit))...)
	return collect(rows, err, t.d, "detections", scanDetection)
}

func scanDetection(s scanner) (*safeguard.Detection, error) {
	var (
		d                   safeguard.Detection
		source              string
		at                  int64
		detail              []byte
		recipients, members string
	)
	err := s.Scan(&d.ID, &source, &at, &d.MessageID, &d.ConversationID, &d.SenderID, &d.MediaID, &d.Held, &d.ContentKey,
		&d.Severity, &d.Category, &d.Summary, &detail, &recipients, &d.ConversationE2EE, &members)
	if err != nil {
		return nil, err
	}
	d.Source, d.At, d.Detail = safeguard.DetectionSource(source), fromMicro(at), bytesOut(detail)
	if err := json.Unmarshal([]byte(recipients), &d.RecipientIDs); err != nil {
		return nil, fmt.Errorf("detection %d recipients: %w", d.ID, err)
	}
	if err := json.Unmarshal([]byte(members), &d.Members); err != nil {
		return nil, fmt.Errorf("detection %d members: %w", d.ID, err)
	}
	if len(d.RecipientIDs) == 0 {
		d.RecipientIDs = nil
	}
	if len(d.Members) == 0 {
		d.Members = nil
	}
	return &d, nil
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
