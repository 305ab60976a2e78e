package store

import (
	"context"
	"encoding/json"

	safeguard "github.com/safeguard-dev/safeguard"
)

// RecordDetection writes d and the outbox event that opens or extends its
// case, in tx: a detection never exists without its event, nor the event
// without its detection.
func RecordDetection(ctx context.Context, tx interface {
	DetectionTx
	RecordTx
}, d *safeguard.Detection) error {
	if err := tx.CreateDetection(ctx, d); err != nil {
		return err
	}
	payload, _ := json.Marshal(map[string]int64{"detection_id": d.ID})
	return tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventDetection, At: d.At, AccountID: d.SenderID,
		ConversationID: d.ConversationID, MessageID: d.MessageID, Payload: payload})
}
