package messaging

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
)

var errNotJoined = safeguard.Errorf(safeguard.ErrPermission, "not_joined",
	"Join the group before you change its name.")

// checkTitle checks a group title as display text and returns it trimmed.
func checkTitle(title string) (string, error) {
	t := strings.TrimSpace(title)
	if utf8.RuneCountInString(t) > MaxTitle || !utf8.ValidString(t) {
		return "", safeguard.Invalid("invalid_title", "A title can be at most %d characters.", MaxTitle)
	}
	if !safeguard.ValidText(title, false) {
		return "", safeguard.InvalidText("A title")
	}
	return t, nil
}

// RenameConversation changes a group's title; an empty title removes it.
// Any joined member may rename a group; a one-to-one conversation has no
// title. A conversation the account is not in (never was, left, removed) is
// not found, exactly as one that does not exist; an invited member who has
// not joined yet is refused. The members are told with a
// conversation.changed event.
func (s *Service) RenameConversation(ctx context.Context, accountID, id int64, title string) (*ConversationView, error) {
	t, err := checkTitle(title)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var view *ConversationView
	err = updateTx(ctx, s.store, func(tx Tx) error {
		c, err := member(ctx, tx, id, accountID, true)
		if err != nil {
			return err
		}
		if c.Member(accountID).State != safeguard.MemberJoined {
			return errNotJoined
		}
		if c.Kind != safeguard.Group {
			return safeguard.Invalid("not_a_group", "Only groups have a name: a chat between two people has none.")
		}
		if err := tx.SetConversationTitle(ctx, c.ID, t); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventConversationChanged, At: now,
			AccountID: accountID, ConversationID: c.ID, Payload: []byte(`{"field":"title","by":` + strconv.FormatInt(accountID, 10) + `}`)}); err != nil {
			return err
		}
		c.Title = t
		view, err = s.conversationView(ctx, tx, c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.publishConversationView(ctx, view, safeguard.EventConversationChanged)
	return view, nil
}
