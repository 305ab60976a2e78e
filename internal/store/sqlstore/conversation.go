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

// directKey is the unique key of the one-to-one conversation of a and b.
func directKey(a, b int64) string {
	lo, hi := pair(a, b)
	return fmt.Sprintf("%d:%d", lo, hi)
}

const conversationColumns = `id, kind, title, e2ee, app, created_by, created_at`

func scanConversation(s scanner) (*safeguard.Conversation, error) {
	var (
		c       safeguard.Conversation
		created int64
	)
	if err := s.Scan(&c.ID, &c.Kind, &c.Title, &c.E2EE, &c.App, &c.CreatedBy, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicro(created)
	return &c, nil
}

// CreateConversation implements store.ConversationTx. A direct conversation
// with two distinct members is keyed by the pair: a second one between the
// same accounts is ErrConflict. Listing a member twice is ErrInvalid.
func (t *Tx) CreateConversation(ctx context.Context, c *safeguard.Conversation) error {
	seen := make(map[int64]bool, len(c.Members))
	for _, m := range c.Members {
		if seen[m.AccountID] {
			return safeguard.Invalid("duplicate_member", "Account %d is listed twice in the conversation.", m.AccountID)
		}
		seen[m.AccountID] = true
	}
	var key any
	if c.Kind == safeguard.Direct && len(c.Members) == 2 {
		key = directKey(c.Members[0].AccountID, c.Members[1].AccountID)
	}
	id, err := t.insertID(ctx, `INSERT INTO conversations (kind, title, e2ee, app, created_by, created_at, direct_key)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		string(c.Kind), c.Title, c.E2EE, c.App, c.CreatedBy, micro(c.CreatedAt), key)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict(fmt.Sprintf("direct conversation %v", key))
	}
	if err != nil {
		return t.d.Err(err, "create conversation")
	}
	for _, m := range c.Members {
		if err := t.SetMember(ctx, id, m); err != nil {
			return err
		}
	}
	c.ID = id
	return nil
}

// members returns the members of the conversations ids, by conversation.
func (t *Tx) members(ctx context.Context, ids []int64) (map[int64][]safeguard.Member, error) {
	out := make(map[int64][]safeguard.Member, len(ids))
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT conversation_id, account_id, state, invited_by, updated_at, joined_at FROM members
			WHERE conversation_id IN (`+in+`) ORDER BY conversation_id, account_id`, args...)
		type row struct {
			conv int64
			m    safeguard.Member
		}
		rs, err := collect(rows, err, t.d, "members", func(s scanner) (row, error) {
			var (
				r          row
				at, joined int64
			)
			err := s.Scan(&r.conv, &r.m.AccountID, &r.m.State, &r.m.InvitedBy, &at, &joined)
			r.m.UpdatedAt, r.m.JoinedAt = fromMicro(at), joinedTime(joined)
			return r, err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out[r.conv] = append(out[r.conv], r.m)
		}
	}
	return out, nil
}

// Conversation implements store.ConversationTx. Members come back in
// account ID order.
func (t *Tx) Conversation(ctx context.Context, id int64) (*safeguard.Conversation, error) {
	c, err := scanConversation(t.queryRow(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("conversation %d", id))
	}
	ms, err := t.members(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	c.Members = ms[id]
	return c, nil
}

// Conversations implements store.ConversationTx. Each conversation comes
// with all its members.
func (t *Tx) Conversations(ctx context.Context, accountID int64) ([]*safeguard.Conversation, error) {
	rows, err := t.query(ctx, `SELECT c.id, c.kind, c.title, c.e2ee, c.app, c.created_by, c.created_at
		FROM conversations c JOIN members m ON m.conversation_id = c.id
		WHERE m.account_id = ? AND m.state IN (?, ?)
		ORDER BY c.created_at DESC, c.id DESC`,
		accountID, string(safeguard.MemberJoined), string(safeguard.MemberInvited))
	cs, err := collect(rows, err, t.d, "conversations", scanConversation)
	if err != nil || len(cs) == 0 {
		return cs, err
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	ms, err := t.members(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		c.Members = ms[c.ID]
	}
	return cs, nil
}

// DirectConversation implements store.ConversationTx.
func (t *Tx) DirectConversation(ctx context.Context, a, b int64) (*safeguard.Conversation, error) {
	var id int64
	err := t.queryRow(ctx, `SELECT id FROM conversations WHERE direct_key = ?`, directKey(a, b)).Scan(&id)
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("direct conversation of %d and %d", a, b))
	}
	return t.Conversation(ctx, id)
}

// ReleaseDirect implements store.ConversationTx.
func (t *Tx) ReleaseDirect(ctx context.Context, conversationID int64) error {
	res, err := t.exec(ctx, `UPDATE conversations SET direct_key = NULL WHERE id = ?`, conversationID)
	return t.affected(res, err, fmt.Sprintf("conversation %d", conversationID))
}

// AccountConversationIDs implements store.ConversationTx.
func (t *Tx) AccountConversationIDs(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := t.query(ctx, `SELECT conversation_id FROM members WHERE account_id = ? ORDER BY conversation_id`, accountID)
	return collect(rows, err, t.d, "account conversations", func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

// SetConversationTitle implements store.ConversationTx.
func (t *Tx) SetConversationTitle(ctx context.Context, id int64, title string) error {
	res, err := t.exec(ctx, `UPDATE conversations SET title = ? WHERE id = ?`, title, id)
	return t.affected(res, err, fmt.Sprintf("title of conversation %d", id))
}

// SetMember implements store.ConversationTx. A conversation that does not
// exist is ErrNotFound. A membership that becomes joined is joined from
// m.UpdatedAt (its JoinedAt); one that stays joined keeps its JoinedAt, and
// one that ends keeps the last.
func (t *Tx) SetMember(ctx context.Context, conversationID int64, m safeguard.Member) error {
	var joined int64
	if m.State == safeguard.MemberJoined {
		joined = micro(m.UpdatedAt)
	}
	_, err := t.exec(ctx, `INSERT INTO members (conversation_id, account_id, state, invited_by, updated_at, joined_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (conversation_id, account_id) DO UPDATE
		SET state = excluded.state, invited_by = excluded.invited_by, updated_at = excluded.updated_at,
		joined_at = CASE WHEN excluded.state = ? AND members.state <> ? THEN excluded.joined_at ELSE members.joined_at END`,
		conversationID, m.AccountID, string(m.State), m.InvitedBy, micro(m.UpdatedAt), joined,
		string(safeguard.MemberJoined), string(safeguard.MemberJoined))
	return t.d.Err(err, fmt.Sprintf("set member %d of conversation %d", m.AccountID, conversationID))
}

// LockConversation implements store.ConversationTx. On SQLite, whose writes
// take turns, the transaction already stands alone.
func (t *Tx) LockConversation(ctx context.Context, id int64) error {
	var got int64
	err := t.queryRow(ctx, `SELECT id FROM conversations WHERE id = ?`+t.d.LockRows, id).Scan(&got)
	return t.d.Err(err, fmt.Sprintf("lock conversation %d", id))
}

// MemberConversations implements store.ConversationTx. IDs come back in
// ascending order.
func (t *Tx) MemberConversations(ctx context.Context, accountID int64, e2ee bool) ([]int64, error) {
	rows, err := t.query(ctx, `SELECT c.id FROM conversations c JOIN members m ON m.conversation_id = c.id
		WHERE m.account_id = ? AND m.state IN (?, ?) AND c.e2ee = ? ORDER BY c.id`,
		accountID, string(safeguard.MemberJoined), string(safeguard.MemberInvited), e2ee)
	return collect(rows, err, t.d, "member conversations", func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

// ConversationAccounts implements store.ConversationTx: the conversation, its
// members and their accounts in one query.
func (t *Tx) ConversationAccounts(ctx context.Context, id int64) (*safeguard.Conversation, map[int64]*safeguard.Account, error) {
	rows, err := t.query(ctx, `SELECT c.id, c.kind, c.title, c.e2ee, c.app, c.created_by, c.created_at,
		m.state, m.invited_by, m.updated_at, m.joined_at, a.`+strings.ReplaceAll(accountColumns, ", ", ", a.")+`
		FROM conversations c JOIN members m ON m.conversation_id = c.id JOIN accounts a ON a.id = m.account_id
		WHERE c.id = ? ORDER BY m.account_id`, id)
	if err != nil {
		return nil, nil, t.d.Err(err, fmt.Sprintf("conversation %d", id))
	}
	defer rows.Close()
	var c *safeguard.Conversation
	accounts := map[int64]*safeguard.Account{}
	for rows.Next() {
		var (
			conv                     safeguard.Conversation
			created, updated, joined int64
			m                        safeguard.Member
		)
		a, err := scanAccount(prefixed{rows, []any{&conv.ID, &conv.Kind, &conv.Title, &conv.E2EE, &conv.App,
			&conv.CreatedBy, &created, &m.State, &m.InvitedBy, &updated, &joined}})
		if err != nil {
			return nil, nil, t.d.Err(err, fmt.Sprintf("conversation %d", id))
		}
		if c == nil {
			conv.CreatedAt = fromMicro(created)
			c = &conv
		}
		m.AccountID, m.UpdatedAt, m.JoinedAt = a.ID, fromMicro(updated), joinedTime(joined)
		c.Members = append(c.Members, m)
		accounts[a.ID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, nil, t.d.Err(err, fmt.Sprintf("conversation %d", id))
	}
	if c == nil {
		// Every conversation has at least its creator as a member.
		return nil, nil, notFound(fmt.Sprintf("conversation %d", id))
	}
	return c, accounts, nil
}

// joinedTime is a membership's joined_at: the zero time for 0 (never
// joined, or not known).
func joinedTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicro(us)
}
