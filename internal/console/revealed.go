package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/safeguard-dev/safeguard/internal/evidence"
)

// revealed is an item as the page shows it once revealed.
type revealed struct {
	Image       bool
	Until       time.Time // when the reveal ends
	Thread      []threadRow
	Account     *accountRecord
	Connections *connectionsRecord
	Raw         string // a reported text, or pretty JSON of anything else
	Note        string
}

// The records the vault keeps, as JSON (written by internal/cases).
type messageRecord struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	SenderID       int64     `json:"sender_id"`
	Kind           string    `json:"kind"`
	Text           string    `json:"text"`
	MediaID        int64     `json:"media_id"`
	Status         string    `json:"status"`
	At             time.Time `json:"at"`
}

type accountRecord struct {
	ID             int64     `json:"id"`
	Handle         string    `json:"handle"`
	BirthDate      string    `json:"birth_date"`
	Assurance      string    `json:"assurance"`
	Status         string    `json:"status"`
	App            string    `json:"app"`
	LocalAuthority string    `json:"local_authority"`
	PoliceForce    string    `json:"police_force"`
	CreatedAt      time.Time `json:"created_at"`
}

type connectionsRecord struct {
	AccountID   int64 `json:"account_id"`
	Connections []struct {
		Addr  string    `json:"addr"`
		Port  uint16    `json:"port"`
		At    time.Time `json:"at"`
		Event string    `json:"event"`
	} `json:"connections"`
}

type threadRow struct {
	messageRecord
	From    person
	InCase  bool // one of the case's messages
	IsImage bool
}

// revealed renders a granted item for the page.
func (h *handler) revealed(ctx context.Context, gr *grant, caseMessages map[int64]bool) *revealed {
	out := &revealed{Until: gr.expires}
	e := gr.entry
	switch e.ItemKind {
	case "media":
		out.Image = isImage(e)
		if !out.Image {
			out.Note = fmt.Sprintf("%s, %s: not shown in the browser.", e.ContentType, sizeWords(e.Size))
		}
		return out
	case "message", "context":
		var msgs []messageRecord
		if e.ItemKind == "message" {
			var m messageRecord
			if json.Unmarshal(gr.data, &m) == nil {
				msgs = append(msgs, m)
			}
		} else {
			json.Unmarshal(gr.data, &msgs)
		}
		if msgs == nil {
			break
		}
		var ids []int64
		for _, m := range msgs {
			ids = append(ids, m.SenderID)
		}
		accounts, _ := h.Cases.Accounts(ctx, ids)
		for _, m := range msgs {
			row := threadRow{messageRecord: m, From: person{ID: m.SenderID}, InCase: caseMessages[m.ID], IsImage: m.MediaID != 0}
			if a := accounts[m.SenderID]; a != nil {
				row.From.Handle, row.From.Band, row.From.Known = a.Handle, a.Band(m.At), true
			}
			out.Thread = append(out.Thread, row)
		}
		if len(out.Thread) == 0 {
			out.Note = "No messages were preserved before the detection."
		}
		return out
	case evidence.KindReportedText:
		out.Raw = string(gr.data)
		return out
	case "account":
		var a accountRecord
		if json.Unmarshal(gr.data, &a) == nil && a.ID != 0 {
			out.Account = &a
			return out
		}
	case "connections":
		var c connectionsRecord
		if json.Unmarshal(gr.data, &c) == nil {
			out.Connections = &c
			if len(c.Connections) == 0 {
				out.Note = "No connections with an address were recorded in the window."
			}
			return out
		}
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, gr.data, "", "  ") == nil {
		out.Raw = pretty.String()
	} else {
		out.Note = fmt.Sprintf("%s, %s: not shown in the browser.", e.ContentType, sizeWords(e.Size))
	}
	return out
}
