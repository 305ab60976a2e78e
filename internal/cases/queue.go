package cases

import (
	"context"
	"errors"
	"strconv"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

// maxSearch caps a search's text, in bytes.
const maxSearch = 200

// QueueRow is a case in the queue with the people it involves.
type QueueRow struct {
	*safeguard.Case
	Sender *safeguard.Account // nil when the account is gone
	Young  *YoungPerson       // nil when no young person is involved
}

// YoungPerson is the young person a case is about: the minor the content
// went to, or the sender when the sender is a minor.
type YoungPerson struct {
	AccountID   int64
	Handle      string
	Band        safeguard.AgeBand // when the case opened
	PoliceForce string            // the police force area of their local authority, if known
	IsSender    bool
	// InContact says the sender can still reach them: an accepted contact
	// or a conversation both are still in, and no block either way.
	InContact bool
}

// ParseSearch checks a queue search: a case ID ("12", "#12", "case 12"),
// a handle ("@tia_13" or part of one) or a category ("grooming").
func ParseSearch(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch {
	case len(q) > maxSearch:
		return "", safeguard.Invalid("invalid_search", "Keep the search under %d characters.", maxSearch)
	case !safeguard.ValidText(q, false):
		return "", safeguard.InvalidText("A search")
	}
	return q, nil
}

// matches reports whether row r answers search q: its case ID, part of the
// sender's or the young person's handle, or its category (in words or as
// its code).
func (r QueueRow) matches(q string) bool {
	if q == "" {
		return true
	}
	lq := strings.ToLower(q)
	id := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(lq, "case"), " "))
	id = strings.TrimPrefix(id, "#")
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n == r.ID
	}
	h := strings.TrimPrefix(lq, "@")
	if r.Sender != nil && strings.Contains(strings.ToLower(r.Sender.Handle), h) {
		return true
	}
	if r.Young != nil && r.Young.Handle != "" && strings.Contains(strings.ToLower(r.Young.Handle), h) {
		return true
	}
	code := strings.NewReplacer(" ", "_", "-", "_").Replace(lq)
	return strings.Contains(string(r.Category), code)
}

// QueueRows lists the queue as Queue does, each case with its sender and
// the young person involved, keeping only the cases that answer q.Search
// (see ParseSearch).
func (s *Service) QueueRows(ctx context.Context, q QueueQuery) ([]QueueRow, error) {
	search, err := ParseSearch(q.Search)
	if err != nil {
		return nil, err
	}
	cs, err := s.Queue(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []QueueRow
	err = viewTx(ctx, s.Store, func(tx Tx) error {
		out = out[:0]
		for _, c := range cs {
			r, err := queueRow(ctx, tx, c)
			if err != nil {
				return err
			}
			if r.matches(search) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// queueRow finds who a case involves: its sender, and the first young
// person it went to (or the sender, when they are young).
func queueRow(ctx context.Context, tx Tx, c *safeguard.Case) (QueueRow, error) {
	r := QueueRow{Case: c}
	occ, err := tx.Occurrences(ctx, c.ID)
	if err != nil {
		return r, err
	}
	ids := []int64{c.SenderID}
	for _, o := range occ {
		ids = append(ids, o.RecipientIDs...)
	}
	accounts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return r, err
	}
	r.Sender = accounts[c.SenderID]
	if c.MinorSender && r.Sender != nil {
		r.Young = youngOf(r.Sender, c, true)
		return r, nil
	}
	for _, id := range ids[1:] {
		if a := accounts[id]; a != nil && a.Band(c.CreatedAt).Minor() {
			r.Young = youngOf(a, c, false)
			break
		}
	}
	if r.Young != nil {
		r.Young.InContact, err = inContact(ctx, tx, c, r.Young.AccountID)
	}
	return r, err
}

func youngOf(a *safeguard.Account, c *safeguard.Case, sender bool) *YoungPerson {
	return &YoungPerson{AccountID: a.ID, Handle: a.Handle, Band: a.Band(c.CreatedAt), PoliceForce: a.PoliceForce, IsSender: sender}
}

// inContact reports whether a case's sender can still reach the young
// person: no block either way, and an accepted contact or the case's
// conversation with both still in it.
func inContact(ctx context.Context, tx Tx, c *safeguard.Case, young int64) (bool, error) {
	blocks, err := tx.Blocks(ctx, []int64{c.SenderID, young})
	if err != nil || len(blocks) > 0 {
		return false, err
	}
	ct, err := tx.ContactBetween(ctx, c.SenderID, young)
	switch {
	case err == nil && ct.State == safeguard.ContactAccepted:
		return true, nil
	case err != nil && !errors.Is(err, safeguard.ErrNotFound):
		return false, err
	}
	if c.ConversationID == 0 {
		return false, nil
	}
	conv, err := tx.Conversation(ctx, c.ConversationID)
	if errors.Is(err, safeguard.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return conv.Joined(c.SenderID) && conv.Joined(young), nil
}
