package riskscan

import (
	"context"
	"encoding/json"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/risk"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// writeAlert writes the detection of the rules that fired for the first
// time, the detection.created event that opens (or adds to) the
// conversation's case, and for each minor shown a notice a safety.notice
// outbox event and the kept notice their history shows them. When a young person's own words show they are being extorted,
// the detection names the other member of the one-to-one conversation as its
// sender and the young person as the child it involves.
func (j *riskJob) writeAlert(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message, fresh []risk.FiredRule) error {
	v := j.verdict
	top := fresh[0]
	for _, fr := range fresh[1:] {
		if fr.Severity.Rank() > top.Severity.Rank() {
			top = fr
		}
	}
	detail := &safeguard.RiskAlert{RuleSetVersion: v.RuleSetVersion, MessageIndex: v.MessageIndex, Rules: fresh,
		Signals: v.Signals, Notice: j.notice, NoticeTo: j.minors, Members: j.facts}
	for _, fr := range v.Rules {
		if fr.Shadow || fr.FirstAt != v.MessageIndex {
			detail.AlsoFiring = append(detail.AlsoFiring, fr)
		}
	}
	d := safety.NewDetection(j.c, m)
	if v.Notice == risk.SextortionEmergency && len(j.c.Recipients) == 1 {
		// The young person who wrote is the victim: the case is about the
		// one they wrote to, and they are the child it involves.
		d.SenderID, d.RecipientIDs = j.c.Recipients[0].ID, []int64{m.SenderID}
	}
	d.Source, d.ContentKey = safeguard.RiskRule, fmt.Sprintf("conversation:%d", m.ConversationID)
	d.Severity, d.Category = top.Severity, top.Category
	// Messages are counted from 1 in words, as everywhere people read them;
	// the detail keeps the index from 0.
	d.Summary = fmt.Sprintf("risk rules %s at message %d of the conversation", ruleList(fresh), v.MessageIndex+1)
	if err := d.SetFinding(safeguard.Finding{Risk: detail}); err != nil {
		return err
	}
	if err := store.RecordDetection(ctx, tx, d); err != nil {
		return err
	}
	for _, id := range j.minors {
		payload, err := json.Marshal(struct {
			Notice      string `json:"notice"`
			DetectionID int64  `json:"detection_id"`
		}{j.notice, d.ID})
		if err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventSafetyNotice, At: j.c.Now, AccountID: id,
			ConversationID: m.ConversationID, MessageID: m.ID, Payload: payload}); err != nil {
			return err
		}
		// Kept, so that the young person sees it under the message whenever
		// they open the chat, not only if they were online when it came.
		if err := tx.AddSafetyNotice(ctx, &safeguard.SafetyNotice{AccountID: id, ConversationID: m.ConversationID,
			MessageID: m.ID, Code: j.notice, DetectionID: d.ID, At: j.c.Now}); err != nil {
			return err
		}
	}
	return nil
}
