package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	safeguard "github.com/safeguard-dev/safeguard"
)

const contactColumns = `id, from_id, to_id, state, from_guardian_ok, to_guardian_ok, created_at, updated_at`

func scanContact(s scanner) (*safeguard.Contact, error) {
	var (
		c                safeguard.Contact
		created, updated int64
	)
	if err := s.Scan(&c.ID, &c.FromID, &c.ToID, &c.State, &c.FromGuardianOK, &c.ToGuardianOK, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicro(created), fromMicro(updated)
	return &c, nil
}

// CreateContact implements store.ContactTx. The pair is stored ordered
// (lo_id, hi_id) under a unique index, so a request either way is one row.
func (t *Tx) CreateContact(ctx context.Context, c *safeguard.Contact) error {
	lo, hi := pair(c.FromID, c.ToID)
	id, err := t.insertID(ctx, `INSERT INTO contacts
		(from_id, to_id, lo_id, hi_id, state, from_guardian_ok, to_guardian_ok, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		c.FromID, c.ToID, lo, hi, string(c.State), c.FromGuardianOK, c.ToGuardianOK, micro(c.CreatedAt), micro(c.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return conflict(fmt.Sprintf("contact %d→%d", c.FromID, c.ToID))
	}
	if err != nil {
		return t.d.Err(err, "create contact")
	}
	c.ID = id
	return nil
}

// Contact implements store.ContactTx.
func (t *Tx) Contact(ctx context.Context, id int64) (*safeguard.Contact, error) {
	c, err := scanContact(t.queryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("contact %d", id))
	}
	return c, nil
}

// ContactBetween implements store.ContactTx.
func (t *Tx) ContactBetween(ctx context.Context, a, b int64) (*safeguard.Contact, error) {
	lo, hi := pair(a, b)
	c, err := scanContact(t.queryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE lo_id = ? AND hi_id = ?`, lo, hi))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("contact between %d and %d", a, b))
	}
	return c, nil
}

// UpdateContact implements store.ContactTx.
func (t *Tx) UpdateContact(ctx context.Context, c *safeguard.Contact) error {
	res, err := t.exec(ctx, `UPDATE contacts SET state = ?, from_guardian_ok = ?, to_guardian_ok = ?, updated_at = ? WHERE id = ?`,
		string(c.State), c.FromGuardianOK, c.ToGuardianOK, micro(c.UpdatedAt), c.ID)
	return t.affected(res, err, fmt.Sprintf("update contact %d", c.ID))
}

// DeleteContact implements store.ContactTx.
func (t *Tx) DeleteContact(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM contacts WHERE id = ?`, id)
	return t.affected(res, err, fmt.Sprintf("delete contact %d", id))
}

// Contacts implements store.ContactTx.
func (t *Tx) Contacts(ctx context.Context, accountID int64) ([]*safeguard.Contact, error) {
	rows, err := t.query(ctx, `SELECT `+contactColumns+` FROM contacts WHERE lo_id = ? OR hi_id = ?
		ORDER BY created_at DESC, id DESC`, accountID, accountID)
	return collect(rows, err, t.d, "contacts", scanContact)
}

// AwaitingGuardian implements store.ContactTx. Requests come back in ID
// order.
func (t *Tx) AwaitingGuardian(ctx context.Context, childIDs []int64) ([]*safeguard.Contact, error) {
	seen := make(map[int64]bool)
	var out []*safeguard.Contact
	for _, chunk := range chunks(childIDs) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT `+contactColumns+` FROM contacts
			WHERE state = ? AND (from_id IN (`+in+`) OR to_id IN (`+in+`))`,
			append(append([]any{string(safeguard.ContactAwaitingGuardian)}, args...), args...)...)
		cs, err := collect(rows, err, t.d, "contacts awaiting guardian", scanContact)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
	}
	slices.SortFunc(out, func(a, b *safeguard.Contact) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ContactPairs implements store.ContactTx. Each pair comes back as
// {lower ID, higher ID}, the pairs in ascending order.
func (t *Tx) ContactPairs(ctx context.Context, ids []int64) ([][2]int64, error) {
	if a, b, ok := twoIDs(ids); ok {
		// The message path's common case, one pair: a point lookup on the
		// pair's unique index rather than an IN list.
		lo, hi := pair(a, b)
		var n int
		err := t.queryRow(ctx, `SELECT COUNT(*) FROM contacts WHERE lo_id = ? AND hi_id = ? AND state = ?`,
			lo, hi, string(safeguard.ContactAccepted)).Scan(&n)
		if err != nil {
			return nil, t.d.Err(err, "contact pair")
		}
		if n == 0 {
			return nil, nil
		}
		return [][2]int64{{lo, hi}}, nil
	}
	set := idSet(ids)
	var out [][2]int64
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT lo_id, hi_id FROM contacts WHERE state = ? AND lo_id IN (`+in+`)`,
			append([]any{string(safeguard.ContactAccepted)}, args...)...)
		ps, err := collect(rows, err, t.d, "contact pairs", func(s scanner) ([2]int64, error) {
			var p [2]int64
			return p, s.Scan(&p[0], &p[1])
		})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if set[p[1]] {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]int64) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	return out, nil
}

// CreateBlock implements store.ContactTx. Blocking again keeps the first
// block's time.
func (t *Tx) CreateBlock(ctx context.Context, b safeguard.Block) error {
	_, err := t.exec(ctx, `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		b.BlockerID, b.BlockedID, micro(b.CreatedAt))
	return t.d.Err(err, "create block")
}

// DeleteBlock implements store.ContactTx. Removing a block that does not
// exist is not an error.
func (t *Tx) DeleteBlock(ctx context.Context, blockerID, blockedID int64) error {
	_, err := t.exec(ctx, `DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`, blockerID, blockedID)
	return t.d.Err(err, "delete block")
}

func scanBlock(s scanner) (safeguard.Block, error) {
	var (
		b  safeguard.Block
		at int64
	)
	err := s.Scan(&b.BlockerID, &b.BlockedID, &at)
	b.CreatedAt = fromMicro(at)
	return b, err
}

// Blocks implements store.ContactTx. Blocks come back ordered by blocker,
// then blocked.
func (t *Tx) Blocks(ctx context.Context, ids []int64) ([]safeguard.Block, error) {
	if a, b, ok := twoIDs(ids); ok {
		rows, err := t.query(ctx, `SELECT blocker_id, blocked_id, created_at FROM blocks
			WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)
			ORDER BY blocker_id, blocked_id`, a, b, b, a)
		return collect(rows, err, t.d, "blocks", scanBlock)
	}
	set := idSet(ids)
	var out []safeguard.Block
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT blocker_id, blocked_id, created_at FROM blocks WHERE blocker_id IN (`+in+`)`, args...)
		bs, err := collect(rows, err, t.d, "blocks", scanBlock)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if set[b.BlockedID] {
				out = append(out, b)
			}
		}
	}
	slices.SortFunc(out, func(a, b safeguard.Block) int {
		if c := cmp.Compare(a.BlockerID, b.BlockerID); c != 0 {
			return c
		}
		return cmp.Compare(a.BlockedID, b.BlockedID)
	})
	return out, nil
}

// BlocksBy implements store.ContactTx. Blocks come back ordered by blocked
// account.
func (t *Tx) BlocksBy(ctx context.Context, blockerID int64) ([]safeguard.Block, error) {
	rows, err := t.query(ctx, `SELECT blocker_id, blocked_id, created_at FROM blocks WHERE blocker_id = ? ORDER BY blocked_id`, blockerID)
	return collect(rows, err, t.d, "blocks by", scanBlock)
}

// twoIDs reports whether ids names exactly two distinct accounts, and which.
func twoIDs(ids []int64) (a, b int64, ok bool) {
	switch len(ids) {
	case 2:
		return ids[0], ids[1], ids[0] != ids[1]
	case 3:
		// The same two, one repeated, as callers sometimes pass.
		if ids[2] == ids[0] || ids[2] == ids[1] {
			return ids[0], ids[1], ids[0] != ids[1]
		}
	}
	return 0, 0, false
}
