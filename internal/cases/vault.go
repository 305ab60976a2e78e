package cases

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
)

type evidenceItem = evidence.Item

// vaultView is what a report reads back from a case's evidence.
type vaultView struct {
	messages   map[int64]messageRecord
	context    []messageRecord
	media      map[string]mediaItem
	accounts   map[int64]accountRecord
	conns      map[int64][]connection
	detections map[int64]*safeguard.Detection
	reported   map[int64]reportedText // by detection ID
}

// reportedText is the text of a verified report, as the vault keeps it.
type reportedText struct {
	seq    int64
	data   []byte
	sentAt time.Time
}

type mediaItem struct {
	seq         int64
	contentType string
	data        []byte
}

func (v *vaultView) add(e safeguard.EvidenceEntry, data []byte) error {
	switch e.ItemKind {
	case "message":
		var m messageRecord
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		v.messages[m.ID] = m
	case "media":
		v.media[e.Ref] = mediaItem{seq: e.Seq, contentType: e.ContentType, data: data}
	case "context":
		var ms []messageRecord
		if err := json.Unmarshal(data, &ms); err != nil {
			return err
		}
		v.context = append(v.context, ms...)
	case "account":
		var a accountRecord
		if err := json.Unmarshal(data, &a); err != nil {
			return err
		}
		v.accounts[a.ID] = a
	case "connections":
		var c connectionsRecord
		if err := json.Unmarshal(data, &c); err != nil {
			return err
		}
		v.conns[c.AccountID] = append(v.conns[c.AccountID], c.Connections...)
	case "detection":
		var d safeguard.Detection
		if err := json.Unmarshal(data, &d); err != nil {
			return err
		}
		v.detections[d.ID] = &d
	case evidence.KindReportedText:
		id, err := strconv.ParseInt(strings.TrimPrefix(e.Ref, evidence.KindReportedText+":"), 10, 64)
		if err != nil {
			return fmt.Errorf("reported text %q: %w", e.Ref, err)
		}
		v.reported[id] = reportedText{seq: e.Seq, data: data}
	}
	return nil
}

// sentTimes sets each reported text's time from its detection: when the
// server delivered the message.
func (v *vaultView) sentTimes() {
	for id, t := range v.reported {
		if d := v.detections[id]; d != nil {
			if f, err := d.Finding(); err == nil && f.Verified != nil {
				t.sentAt = f.Verified.Delivery.ServerTime
				v.reported[id] = t
			}
		}
	}
}

// thread is the conversation around the content, each message once, in
// order.
func (v *vaultView) thread(contentOf map[int64]int) []lawreport.ThreadMessage {
	seen := map[int64]bool{}
	var ms []messageRecord
	for _, m := range v.context {
		if !seen[m.ID] {
			seen[m.ID] = true
			ms = append(ms, m)
		}
	}
	for _, m := range v.messages {
		if !seen[m.ID] {
			seen[m.ID] = true
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b messageRecord) int { return int(a.ID - b.ID) })
	out := make([]lawreport.ThreadMessage, 0, len(ms))
	for _, m := range ms {
		t := lawreport.ThreadMessage{ID: strconv.FormatInt(m.ID, 10), SentAt: m.At, SenderID: strconv.FormatInt(m.SenderID, 10),
			Kind: m.Kind, Text: m.Text, ContentIndex: contentOf[m.ID], Held: m.Status == string(safeguard.Held)}
		if a, ok := v.accounts[m.SenderID]; ok {
			t.SenderHandle = a.Handle
		}
		out = append(out, t)
	}
	return out
}
