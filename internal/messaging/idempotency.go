package messaging

import (
	"context"
	"errors"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// IdempotencyWindow is how long a send's idempotency key is remembered:
// within it, a send repeated with the same key by the same account answers
// with the message the first one stored, and stores nothing new.
const IdempotencyWindow = 24 * time.Hour

// MaxIdempotencyKey is the longest idempotency key, in bytes.
const MaxIdempotencyKey = 255

// pruneKeysEvery is how many keyed sends of a process come between two
// prunes of the keys older than the window.
const pruneKeysEvery = 256

type idempotencyKey struct{}

// WithIdempotencyKey returns ctx carrying the idempotency key of a send
// (the Idempotency-Key header); SendText, SendImage and SendEnvelope
// honour it. An empty key is none.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// CheckIdempotencyKey checks that key is 1 to MaxIdempotencyKey visible
// ASCII characters.
func CheckIdempotencyKey(key string) error {
	bad := key == "" || len(key) > MaxIdempotencyKey
	for i := 0; i < len(key) && !bad; i++ {
		bad = key[i] < 0x21 || key[i] > 0x7e
	}
	if bad {
		return safeguard.Errorf(safeguard.ErrInvalid, "invalid_idempotency_key",
			"The Idempotency-Key must be 1 to %d visible ASCII characters, such as a UUID.", MaxIdempotencyKey)
	}
	return nil
}

func keyOf(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKey{}).(string)
	return k
}

// repeated returns the answer of an earlier send of senderID with the key
// of ctx within the window, or nil when there was none. A key that stored a
// message in another conversation is refused: it names another send.
func (s *Service) repeated(ctx context.Context, senderID, conversationID int64) (*MessageView, error) {
	key := keyOf(ctx)
	if key == "" {
		return nil, nil
	}
	var view *MessageView
	err := s.view(ctx, func(tx Tx) error {
		view = nil
		id, err := tx.IdempotentMessage(ctx, senderID, key, s.clock().Add(-IdempotencyWindow))
		if errors.Is(err, safeguard.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		m, err := tx.Message(ctx, id)
		if errors.Is(err, safeguard.ErrNotFound) {
			return nil // deleted since: the key names nothing now
		}
		if err != nil {
			return err
		}
		if m.ConversationID != conversationID || m.SenderID != senderID {
			return safeguard.Errorf(safeguard.ErrConflict, "idempotency_key_reused",
				"This Idempotency-Key was used for another message. Use a new key for each message.")
		}
		sender, err := load(ctx, tx, senderID)
		if err != nil {
			return err
		}
		view = &MessageView{Message: m, Sender: sender, Repeat: true}
		return nil
	})
	return view, err
}

// keepKey records the key of ctx, if any, for m, in the transaction that
// stores m; now and then it forgets the keys past the window.
func (s *Service) keepKey(ctx context.Context, tx Tx, m *safeguard.Message) error {
	key := keyOf(ctx)
	if key == "" {
		return nil
	}
	since := m.CreatedAt.Add(-IdempotencyWindow)
	if err := tx.PutIdempotencyKey(ctx, m.SenderID, key, m.ID, m.CreatedAt, since); err != nil {
		return err
	}
	if s.keyed.Add(1)%pruneKeysEvery == 0 {
		_, err := tx.PruneIdempotencyKeys(ctx, since)
		return err
	}
	return nil
}
