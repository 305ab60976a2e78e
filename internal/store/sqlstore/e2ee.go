package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

const deviceColumns = `id, account_id, name, curve25519, ed25519, signature, created_at`

func scanDevice(s scanner) (*safeguard.Device, error) {
	var d safeguard.Device
	var created int64
	if err := s.Scan(&d.ID, &d.AccountID, &d.Name, &d.Curve25519, &d.Ed25519, &d.Signature, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = fromMicro(created)
	return &d, nil
}

// CreateDevice implements store.E2EETx.
func (t *Tx) CreateDevice(ctx context.Context, d *safeguard.Device) error {
	id, err := t.insertID(ctx, `INSERT INTO e2ee_devices (account_id, name, curve25519, ed25519, signature, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		d.AccountID, d.Name, d.Curve25519, d.Ed25519, d.Signature, micro(d.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return conflict(fmt.Sprintf("create device %q of account %d", d.Name, d.AccountID))
	}
	if err != nil {
		return t.d.Err(err, "create device")
	}
	d.ID = id
	return nil
}

// Device implements store.E2EETx.
func (t *Tx) Device(ctx context.Context, accountID int64, name string) (*safeguard.Device, error) {
	d, err := scanDevice(t.queryRow(ctx, `SELECT `+deviceColumns+` FROM e2ee_devices WHERE account_id = ? AND name = ?`, accountID, name))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("device %q of account %d", name, accountID))
	}
	return d, nil
}

// Devices implements store.E2EETx.
func (t *Tx) Devices(ctx context.Context, accountIDs []int64) ([]*safeguard.Device, error) {
	var out []*safeguard.Device
	for _, chunk := range chunks(accountIDs) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT `+deviceColumns+` FROM e2ee_devices WHERE account_id IN (`+in+`) ORDER BY account_id, name`, args...)
		ds, err := collect(rows, err, t.d, "devices", scanDevice)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// DeleteDevice implements store.E2EETx. The group envelopes only this device
// was still waiting for are dropped.
func (t *Tx) DeleteDevice(ctx context.Context, id int64) error {
	rows, err := t.query(ctx, `SELECT DISTINCT message_id FROM e2ee_inbox WHERE device_id = ? AND message_id <> 0`, id)
	msgs, err := collect(rows, err, t.d, "device inbox", scanInt64)
	if err != nil {
		return err
	}
	// Children first: the foreign keys cascade too, but the statements
	// must not depend on the connection's foreign-key setting.
	if _, err := t.exec(ctx, `DELETE FROM e2ee_inbox WHERE device_id = ?`, id); err != nil {
		return t.d.Err(err, "delete device inbox")
	}
	if _, err := t.exec(ctx, `DELETE FROM e2ee_one_time_keys WHERE device_id = ?`, id); err != nil {
		return t.d.Err(err, "delete device keys")
	}
	res, err := t.exec(ctx, `DELETE FROM e2ee_devices WHERE id = ?`, id)
	if err := t.affected(res, err, fmt.Sprintf("delete device %d", id)); err != nil {
		return err
	}
	return t.ReleaseEnvelopes(ctx, msgs)
}

func scanInt64(s scanner) (int64, error) {
	var n int64
	return n, s.Scan(&n)
}

// AddOneTimeKeys implements store.E2EETx.
func (t *Tx) AddOneTimeKeys(ctx context.Context, deviceID int64, keys []safeguard.OneTimeKey) error {
	for _, k := range keys {
		if k.Fallback {
			// The newest fallback key is the one handed out; an older
			// one with another id goes.
			if _, err := t.exec(ctx, `DELETE FROM e2ee_one_time_keys WHERE device_id = ? AND fallback = ? AND key_id <> ?`,
				deviceID, true, k.KeyID); err != nil {
				return t.d.Err(err, "replace fallback key")
			}
		}
		res, err := t.exec(ctx, `INSERT INTO e2ee_one_time_keys (device_id, key_id, fallback, curve25519, signature, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			deviceID, k.KeyID, k.Fallback, k.Curve25519, k.Signature, micro(k.CreatedAt))
		if err != nil {
			return t.d.Err(err, "add one-time key")
		}
		if n, err := res.RowsAffected(); err != nil {
			return t.d.Err(err, "add one-time key")
		} else if n == 1 {
			continue
		}
		var have string
		err = t.queryRow(ctx, `SELECT curve25519 FROM e2ee_one_time_keys WHERE device_id = ? AND fallback = ? AND key_id = ?`,
			deviceID, k.Fallback, k.KeyID).Scan(&have)
		if err != nil {
			return t.d.Err(err, "add one-time key")
		}
		if have != k.Curve25519 {
			return fmt.Errorf("add one-time key %q of device %d: %w", k.KeyID, deviceID, &safeguard.Error{
				Kind: safeguard.ErrConflict, Code: "one_time_key_conflict",
				Message: "A key with that id was uploaded before with another value."})
		}
	}
	return nil
}

const oneTimeKeyColumns = `device_id, key_id, fallback, curve25519, signature, created_at`

func scanOneTimeKey(s scanner) (*safeguard.OneTimeKey, error) {
	var k safeguard.OneTimeKey
	var created int64
	if err := s.Scan(&k.DeviceID, &k.KeyID, &k.Fallback, &k.Curve25519, &k.Signature, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicro(created)
	return &k, nil
}

// claimAttempts bounds how often ClaimOneTimeKey looks for another key when
// a concurrent transaction took the one it found.
const claimAttempts = 16

// ClaimOneTimeKey implements store.E2EETx. The key is taken with a
// conditional UPDATE, so two transactions racing for the same key cannot
// both get it: the loser finds the row already claimed and looks again.
func (t *Tx) ClaimOneTimeKey(ctx context.Context, deviceID int64, at time.Time) (*safeguard.OneTimeKey, error) {
	claimed := micro(at)
	if claimed == 0 {
		claimed = 1 // 0 means unclaimed
	}
	for range claimAttempts {
		k, err := scanOneTimeKey(t.queryRow(ctx, `SELECT `+oneTimeKeyColumns+` FROM e2ee_one_time_keys
			WHERE device_id = ? AND fallback = ? AND claimed_at = 0 ORDER BY key_id LIMIT 1`, deviceID, false))
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, t.d.Err(err, "claim one-time key")
		}
		res, err := t.exec(ctx, `UPDATE e2ee_one_time_keys SET claimed_at = ?
			WHERE device_id = ? AND fallback = ? AND key_id = ? AND claimed_at = 0`, claimed, deviceID, false, k.KeyID)
		if err != nil {
			return nil, t.d.Err(err, "claim one-time key")
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, t.d.Err(err, "claim one-time key")
		} else if n == 1 {
			return k, nil
		}
	}
	k, err := scanOneTimeKey(t.queryRow(ctx, `SELECT `+oneTimeKeyColumns+` FROM e2ee_one_time_keys
		WHERE device_id = ? AND fallback = ? ORDER BY created_at DESC, key_id DESC LIMIT 1`, deviceID, true))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("keys of device %d", deviceID))
	}
	return k, nil
}

// OneTimeKeyCount implements store.E2EETx.
func (t *Tx) OneTimeKeyCount(ctx context.Context, deviceID int64) (int, bool, error) {
	var unclaimed, fallback int
	err := t.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM e2ee_one_time_keys WHERE device_id = ? AND fallback = ? AND claimed_at = 0),
		(SELECT COUNT(*) FROM e2ee_one_time_keys WHERE device_id = ? AND fallback = ?)`,
		deviceID, false, deviceID, true).Scan(&unclaimed, &fallback)
	if err != nil {
		return 0, false, t.d.Err(err, "count one-time keys")
	}
	return unclaimed, fallback > 0, nil
}

// maxInboxRows is how many items one INSERT carries.
const maxInboxRows = 64

// AppendInbox implements store.E2EETx. A group item's envelope is not
// copied: it stays with its message. Items go in with one INSERT per 64:
// the IDs a statement hands out increase in the order of its rows.
func (t *Tx) AppendInbox(ctx context.Context, items []*safeguard.InboxItem) error {
	for len(items) > 0 {
		n := min(len(items), maxInboxRows)
		batch := items[:n]
		items = items[n:]
		query := `INSERT INTO e2ee_inbox (device_id, kind, sender_id, sender_device, conversation_id, message_id, envelope, created_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?),", n), ",") + ` RETURNING id`
		args := make([]any, 0, 8*n)
		for _, it := range batch {
			var env any
			if it.Kind == safeguard.InboxDirect {
				env = required(it.Envelope)
			}
			args = append(args, it.DeviceID, string(it.Kind), it.SenderID, it.SenderDevice, it.ConversationID, it.MessageID, env, micro(it.CreatedAt))
		}
		rows, err := t.query(ctx, query, args...)
		ids, err := collect(rows, err, t.d, "queue for devices", scanInt64)
		if err != nil {
			return err
		}
		if len(ids) != n {
			return fmt.Errorf("queue for devices: %d ids for %d items", len(ids), n)
		}
		slices.Sort(ids)
		for i, it := range batch {
			it.ID = ids[i]
		}
	}
	return nil
}

// Inbox implements store.E2EETx.
func (t *Tx) Inbox(ctx context.Context, deviceID, after int64, n int) ([]*safeguard.InboxItem, error) {
	rows, err := t.query(ctx, `SELECT i.id, i.device_id, i.kind, i.sender_id, i.sender_device, i.conversation_id,
		i.message_id, i.envelope, m.envelope, i.created_at
		FROM e2ee_inbox i LEFT JOIN messages m ON m.id = i.message_id AND i.message_id <> 0
		WHERE i.device_id = ? AND i.id > ? ORDER BY i.id LIMIT ?`, deviceID, after, limit(n))
	return collect(rows, err, t.d, "inbox", func(s scanner) (*safeguard.InboxItem, error) {
		var it safeguard.InboxItem
		var kind string
		var own, group []byte
		var created int64
		if err := s.Scan(&it.ID, &it.DeviceID, &kind, &it.SenderID, &it.SenderDevice, &it.ConversationID,
			&it.MessageID, &own, &group, &created); err != nil {
			return nil, err
		}
		it.Kind, it.CreatedAt = safeguard.InboxKind(kind), fromMicro(created)
		if it.Kind == safeguard.InboxGroup {
			it.Envelope = bytesOut(group)
		} else {
			it.Envelope = bytesOut(own)
		}
		return &it, nil
	})
}

// AckInbox implements store.E2EETx.
func (t *Tx) AckInbox(ctx context.Context, deviceID, upTo int64) (int, error) {
	rows, err := t.query(ctx, `DELETE FROM e2ee_inbox WHERE device_id = ? AND id <= ? RETURNING message_id`, deviceID, upTo)
	msgs, err := collect(rows, err, t.d, "acknowledge inbox", scanInt64)
	if err != nil {
		return 0, err
	}
	return len(msgs), t.ReleaseEnvelopes(ctx, msgs)
}

// ReleaseEnvelopes implements store.E2EETx.
func (t *Tx) ReleaseEnvelopes(ctx context.Context, messageIDs []int64) error {
	_, err := t.releaseEnvelopes(ctx, messageIDs)
	return err
}

// releaseEnvelopes drops the envelopes no inbox item waits for and returns
// how many it dropped.
func (t *Tx) releaseEnvelopes(ctx context.Context, messageIDs []int64) (int, error) {
	var n int64
	for _, chunk := range chunks(nonZero(messageIDs)) {
		in, args := inList(chunk)
		res, err := t.exec(ctx, `UPDATE messages SET envelope = NULL, franking_tag = NULL
			WHERE id IN (`+in+`) AND kind = ? AND envelope IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM e2ee_inbox WHERE e2ee_inbox.message_id = messages.id)`,
			append(args, string(safeguard.EnvelopeMessage))...)
		if err != nil {
			return 0, t.d.Err(err, "release envelopes")
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, t.d.Err(err, "release envelopes")
		}
		n += k
	}
	return int(n), nil
}

// CreateBlob implements store.E2EETx.
func (t *Tx) CreateBlob(ctx context.Context, b *safeguard.Blob) error {
	addr, port := addrText(b.Origin.Addr)
	res, err := t.exec(ctx, `INSERT INTO e2ee_blobs (id, conversation_id, owner_id, size, storage_key, addr, port, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		b.ID, b.ConversationID, b.OwnerID, b.Size, b.StorageKey, addr, port, micro(createdAt(b.CreatedAt, b.Origin)))
	if err != nil {
		return t.d.Err(err, "create blob")
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.d.Err(err, "create blob")
	} else if n == 0 {
		return conflict("create blob")
	}
	return nil
}

// Blob implements store.E2EETx.
func (t *Tx) Blob(ctx context.Context, id string) (*safeguard.Blob, error) {
	var b safeguard.Blob
	var addr string
	var port, created int64
	err := t.queryRow(ctx, `SELECT id, conversation_id, owner_id, size, storage_key, addr, port, created_at
		FROM e2ee_blobs WHERE id = ?`, id).Scan(&b.ID, &b.ConversationID, &b.OwnerID, &b.Size, &b.StorageKey, &addr, &port, &created)
	if err != nil {
		return nil, t.d.Err(err, "blob")
	}
	b.CreatedAt = fromMicro(created)
	if b.Origin, err = origin(addr, port, b.CreatedAt); err != nil {
		return nil, err
	}
	return &b, nil
}

// MarkReported implements store.E2EETx.
func (t *Tx) MarkReported(ctx context.Context, messageID, recipientID int64, expires time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO e2ee_reported (message_id, recipient_id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, messageID, recipientID, micro(expires))
	if err != nil {
		return false, t.d.Err(err, "mark reported")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, t.d.Err(err, "mark reported")
	}
	return n == 1, nil
}

// PurgeE2EE implements store.E2EETx.
func (t *Tx) PurgeE2EE(ctx context.Context, before, now time.Time) (store.E2EEPurge, error) {
	var p store.E2EEPurge
	rows, err := t.query(ctx, `DELETE FROM e2ee_inbox WHERE created_at < ? RETURNING message_id`, micro(before))
	msgs, err := collect(rows, err, t.d, "purge inbox", scanInt64)
	if err != nil {
		return p, err
	}
	p.Inbox = len(msgs)
	if p.Envelopes, err = t.releaseEnvelopes(ctx, msgs); err != nil {
		return p, err
	}
	rows, err = t.query(ctx, `DELETE FROM e2ee_blobs WHERE created_at < ? RETURNING storage_key`, micro(before))
	p.Blobs, err = collect(rows, err, t.d, "purge blobs", func(s scanner) (string, error) {
		var k string
		return k, s.Scan(&k)
	})
	if err != nil {
		return p, err
	}
	res, err := t.exec(ctx, `DELETE FROM e2ee_reported WHERE expires_at < ?`, micro(now))
	if err != nil {
		return p, t.d.Err(err, "purge reports")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return p, t.d.Err(err, "purge reports")
	}
	p.Reports = int(n)
	return p, nil
}

func nonZero(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id != 0 {
			out = append(out, id)
		}
	}
	return out
}
