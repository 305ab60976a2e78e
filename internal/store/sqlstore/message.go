package sqlstore

import (
	"context"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

const messageColumns = `id, conversation_id, sender_id, app, kind, text, media_id, envelope, franking_tag, status, addr, port, created_at`

func scanMessage(s scanner) (*safeguard.Message, error) {
	var (
		m       safeguard.Message
		addr    string
		port    int64
		created int64
	)
	err := s.Scan(&m.ID, &m.ConversationID, &m.SenderID, &m.App, &m.Kind, &m.Text, &m.MediaID,
		&m.Envelope, &m.FrankingTag, &m.Status, &addr, &port, &created)
	if err != nil {
		return nil, err
	}
	m.Envelope, m.FrankingTag = bytesOut(m.Envelope), bytesOut(m.FrankingTag)
	m.CreatedAt = fromMicro(created)
	m.Origin, err = origin(addr, port, m.CreatedAt)
	return &m, err
}

// CreateMessage implements store.MessageTx. A conversation that does not
// exist is ErrNotFound.
func (t *Tx) CreateMessage(ctx context.Context, m *safeguard.Message) error {
	addr, port := addrText(m.Origin.Addr)
	id, err := t.insertID(ctx, `INSERT INTO messages
		(conversation_id, sender_id, app, kind, text, media_id, envelope, franking_tag, status, addr, port, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.ConversationID, m.SenderID, m.App, string(m.Kind), m.Text, m.MediaID, blob(m.Envelope), blob(m.FrankingTag),
		string(m.Status), addr, port, micro(createdAt(m.CreatedAt, m.Origin)))
	if err != nil {
		return t.d.Err(err, fmt.Sprintf("create message in conversation %d", m.ConversationID))
	}
	m.ID = id
	return nil
}

// Message implements store.MessageTx. It returns held messages too: who
// may see a message is decided above the store.
func (t *Tx) Message(ctx context.Context, id int64) (*safeguard.Message, error) {
	m, err := scanMessage(t.queryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("message %d", id))
	}
	return m, nil
}

// Messages implements store.MessageTx. With both Before and After set, the
// messages between them come back oldest first. A Limit of zero or less
// means 100; more than 1000 means 1000.
func (t *Tx) Messages(ctx context.Context, q store.MessageQuery) ([]*safeguard.Message, error) {
	query := `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = ?`
	args := []any{q.ConversationID}
	if q.Before > 0 {
		query += ` AND id < ?`
		args = append(args, q.Before)
	}
	if q.After > 0 {
		query += ` AND id > ?`
		args = append(args, q.After)
	}
	if q.Viewer != 0 {
		// policy.MessageSight in SQL, so that a page keeps its size: the
		// viewer's own messages, and others' only once delivered.
		query += ` AND (sender_id = ? OR status = ?)`
		args = append(args, q.Viewer, string(safeguard.Delivered))
	}
	if q.Sender != 0 {
		query += ` AND sender_id = ?`
		args = append(args, q.Sender)
	}
	if q.After > 0 || q.Oldest && q.Before == 0 {
		query += ` ORDER BY id ASC LIMIT ?`
	} else {
		query += ` ORDER BY id DESC LIMIT ?`
	}
	args = append(args, limit(q.Limit))
	rows, err := t.query(ctx, query, args...)
	return collect(rows, err, t.d, fmt.Sprintf("messages of conversation %d", q.ConversationID), scanMessage)
}

// SetMessageStatus implements store.MessageTx.
func (t *Tx) SetMessageStatus(ctx context.Context, id int64, status safeguard.MessageStatus) error {
	res, err := t.exec(ctx, `UPDATE messages SET status = ? WHERE id = ?`, string(status), id)
	return t.affected(res, err, fmt.Sprintf("set status of message %d", id))
}

const mediaColumns = `id, owner_id, content_type, size, sha256, width, height, storage_key, addr, port, created_at`

// CreateMedia implements store.MessageTx.
func (t *Tx) CreateMedia(ctx context.Context, m *safeguard.Media) error {
	addr, port := addrText(m.Origin.Addr)
	id, err := t.insertID(ctx, `INSERT INTO media
		(owner_id, content_type, size, sha256, width, height, storage_key, addr, port, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.OwnerID, m.ContentType, m.Size, blob(m.SHA256), m.Width, m.Height, m.StorageKey,
		addr, port, micro(createdAt(m.CreatedAt, m.Origin)))
	if err != nil {
		return t.d.Err(err, "create media")
	}
	m.ID = id
	return nil
}

// Media implements store.MessageTx.
func (t *Tx) Media(ctx context.Context, id int64) (*safeguard.Media, error) {
	var (
		m       safeguard.Media
		addr    string
		port    int64
		created int64
	)
	err := t.queryRow(ctx, `SELECT `+mediaColumns+` FROM media WHERE id = ?`, id).Scan(&m.ID, &m.OwnerID,
		&m.ContentType, &m.Size, &m.SHA256, &m.Width, &m.Height, &m.StorageKey, &addr, &port, &created)
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("media %d", id))
	}
	m.SHA256 = bytesOut(m.SHA256)
	m.CreatedAt = fromMicro(created)
	if m.Origin, err = origin(addr, port, m.CreatedAt); err != nil {
		return nil, fmt.Errorf("media %d: %w", id, err)
	}
	return &m, nil
}

// MediaMessages implements store.MessageTx. IDs come back in ascending
// order.
func (t *Tx) MediaMessages(ctx context.Context, mediaID int64) ([]int64, error) {
	if mediaID == 0 {
		return nil, nil
	}
	rows, err := t.query(ctx, `SELECT id FROM messages WHERE media_id = ? ORDER BY id`, mediaID)
	return collect(rows, err, t.d, fmt.Sprintf("messages of media %d", mediaID), func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

// SetReadMarker implements store.MessageTx. The upsert's WHERE keeps a
// marker from moving back: an older message ID changes nothing.
func (t *Tx) SetReadMarker(ctx context.Context, r safeguard.ReadMarker) error {
	_, err := t.exec(ctx, `INSERT INTO read_markers (conversation_id, account_id, message_id, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (conversation_id, account_id) DO UPDATE SET message_id = excluded.message_id, at = excluded.at
		WHERE excluded.message_id > read_markers.message_id`,
		r.ConversationID, r.AccountID, r.MessageID, micro(r.At))
	return t.d.Err(err, fmt.Sprintf("set read marker in conversation %d", r.ConversationID))
}

// ReadMarkers implements store.MessageTx. Markers come back in account ID
// order.
func (t *Tx) ReadMarkers(ctx context.Context, conversationID int64) ([]safeguard.ReadMarker, error) {
	rows, err := t.query(ctx, `SELECT conversation_id, account_id, message_id, at FROM read_markers
		WHERE conversation_id = ? ORDER BY account_id`, conversationID)
	return collect(rows, err, t.d, "read markers", func(s scanner) (safeguard.ReadMarker, error) {
		var (
			r  safeguard.ReadMarker
			at int64
		)
		err := s.Scan(&r.ConversationID, &r.AccountID, &r.MessageID, &at)
		r.At = fromMicro(at)
		return r, err
	})
}
