package e2ee

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// newBlobID returns 128 random bits, URL-safe: a blob id cannot be guessed.
func newBlobID() string {
	b := make([]byte, blobIDBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// PutBlob stores an encrypted attachment posted by a member of an
// end-to-end encrypted conversation. The bytes are opaque to the server and
// kept in the media store (encrypted again at rest). Plain conversations take
// no blobs: there the server sees images as they are, and checks them.
func (s *Service) PutBlob(ctx context.Context, accountID, conversationID int64, data []byte, origin safeguard.Origin) (*safeguard.Blob, error) {
	if err := limit(s.blobLimit, accountID); err != nil {
		return nil, err
	}
	if int64(len(data)) > s.cfg.MaxBlobBytes {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "blob_too_large", "That attachment is too big. The limit is %d MB.", s.cfg.MaxBlobBytes>>20)
	}
	if len(data) == 0 {
		return nil, safeguard.Invalid("empty_blob", "The attachment is empty.")
	}
	now := s.clock()
	if err := viewTx(ctx, s.store, func(tx Tx) error {
		return s.blobAccess(ctx, tx, accountID, conversationID, now)
	}); err != nil {
		return nil, err
	}
	key, err := s.media.Put(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("store blob: %w", err)
	}
	origin.At = now
	b := &safeguard.Blob{ID: newBlobID(), ConversationID: conversationID, OwnerID: accountID, Size: int64(len(data)),
		StorageKey: key, Origin: origin, CreatedAt: now}
	err = updateTx(ctx, s.store, func(tx Tx) error {
		if err := s.blobAccess(ctx, tx, accountID, conversationID, now); err != nil {
			return err
		}
		return tx.CreateBlob(ctx, b)
	})
	if err != nil {
		s.media.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return b, nil
}

// blobAccess checks that accountID, a verified adult, is a joined member of
// an end-to-end encrypted conversation. A plain conversation is refused in
// words; a conversation the caller is not in is not found.
func (s *Service) blobAccess(ctx context.Context, tx Tx, accountID, conversationID int64, now time.Time) error {
	if _, err := s.participant(ctx, tx, accountID, now); err != nil {
		return err
	}
	c, err := tx.Conversation(ctx, conversationID)
	if errors.Is(err, safeguard.ErrNotFound) || (err == nil && !c.Joined(accountID)) {
		return safeguard.NotFound
	}
	if err != nil {
		return err
	}
	if !c.E2EE {
		return safeguard.Invalid("blobs_require_e2ee",
			"This chat is not end-to-end encrypted: send images as they are, so they can be checked.")
	}
	return nil
}

// OpenBlob returns an encrypted attachment to a joined member of the
// conversation it was posted in. The blob id is usable nowhere else: asked
// for in another conversation, or by anyone outside this one, it is not
// found.
func (s *Service) OpenBlob(ctx context.Context, accountID, conversationID int64, id string) (*safeguard.Blob, []byte, error) {
	var b *safeguard.Blob
	err := viewTx(ctx, s.store, func(tx Tx) error {
		if err := s.blobAccess(ctx, tx, accountID, conversationID, s.clock()); err != nil {
			if errors.Is(err, safeguard.ErrInvalid) || errors.Is(err, safeguard.ErrPermission) {
				// Plain conversations never hold blobs, and for anyone
				// who is not a verified adult there are none.
				return safeguard.NotFound
			}
			return err
		}
		var err error
		b, err = tx.Blob(ctx, id)
		if errors.Is(err, safeguard.ErrNotFound) || (err == nil && b.ConversationID != conversationID) {
			return safeguard.NotFound
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	data, err := s.media.Get(ctx, b.StorageKey)
	if err != nil {
		return nil, nil, err
	}
	return b, data, nil
}
