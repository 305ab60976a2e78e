package riskscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/risk"
)

// convState is what the risk scanner stores per conversation, as JSON: the
// scorer's state, and the notices each young person was shown.
type convState struct {
	*risk.Conversation
	// Notices holds the last risk notice each young person was shown about
	// each sender, by "minor/sender" account IDs (markKey). (Keys of one
	// account ID, from before the limit was per sender, are no longer read.)
	Notices map[string]noticeMark `json:"notices,omitempty"`
}

type noticeMark struct {
	Code string    `json:"code"`
	At   time.Time `json:"at"`
}

func (s *convState) clone() *convState {
	return &convState{Conversation: s.Conversation.Clone(), Notices: maps.Clone(s.Notices)}
}

// loadState reads a conversation's stored state: the zero state at version
// 0 if there is none.
func loadState(ctx context.Context, tx messaging.VerdictTx, conv int64) (*convState, int64, error) {
	st := &convState{Conversation: &risk.Conversation{}}
	b, version, err := tx.RiskState(ctx, conv)
	if errors.Is(err, safeguard.ErrNotFound) {
		return st, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, 0, fmt.Errorf("stored risk state of conversation %d: %w", conv, err)
	}
	return st, version, nil
}
