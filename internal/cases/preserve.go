package cases

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
)

// The records the vault keeps, as JSON. They hold what the law-enforcement
// report is later made from, as it was at detection.

type messageRecord struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	SenderID       int64     `json:"sender_id"`
	App            string    `json:"app"`
	Kind           string    `json:"kind"`
	Text           string    `json:"text,omitempty"`
	MediaID        int64     `json:"media_id,omitempty"`
	Status         string    `json:"status"`
	Addr           string    `json:"addr,omitempty"`
	Port           uint16    `json:"port,omitempty"`
	At             time.Time `json:"at"`
}

func recordOf(m *safeguard.Message) messageRecord {
	r := messageRecord{ID: m.ID, ConversationID: m.ConversationID, SenderID: m.SenderID, App: m.App, Kind: string(m.Kind),
		Text: m.Text, MediaID: m.MediaID, Status: string(m.Status), At: m.CreatedAt}
	if m.Origin.Addr.IsValid() {
		r.Addr, r.Port = m.Origin.Addr.Addr().String(), m.Origin.Addr.Port()
	}
	return r
}

type accountRecord struct {
	ID             int64     `json:"id"`
	Handle         string    `json:"handle"`
	Nickname       string    `json:"nickname"`
	BirthDate      string    `json:"birth_date"`
	Band           string    `json:"age_band,omitempty"` // at the detection`
	Assurance      string    `json:"assurance"`
	Status         string    `json:"status"`
	App            string    `json:"app"`
	LocalAuthority string    `json:"local_authority,omitempty"`
	PoliceForce    string    `json:"police_force,omitempty"`
	GuardianID     int64     `json:"guardian_id,omitempty"`
	SecondGuardian int64     `json:"second_guardian_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

func accountOf(a *safeguard.Account, at time.Time) accountRecord {
	band := ""
	if !a.BirthDate.IsZero() {
		band = string(a.Band(at))
	}
	return accountRecord{ID: a.ID, Handle: a.Handle, Nickname: safeguard.Nickname(a.Handle), Band: band,
		BirthDate: a.BirthDate.String(), Assurance: string(a.Assurance),
		Status: string(a.Status), App: a.App, LocalAuthority: a.LocalAuthority, PoliceForce: a.PoliceForce,
		GuardianID: a.GuardianID, SecondGuardian: a.SecondGuardianID, CreatedAt: a.CreatedAt}
}

type connection struct {
	Addr  string    `json:"addr"`
	Port  uint16    `json:"port,omitempty"`
	At    time.Time `json:"at"`
	Event string    `json:"event"` // login, send
}

type connectionsRecord struct {
	AccountID   int64        `json:"account_id"`
	Connections []connection `json:"connections"`
}

func originConn(o safeguard.Origin, at time.Time, ev string) (connection, bool) {
	if !o.Addr.IsValid() {
		return connection{}, false
	}
	return connection{Addr: o.Addr.Addr().String(), Port: o.Addr.Port(), At: at, Event: ev}, true
}

func (c connection) lawreport() (ip netip.Addr, port uint16, ok bool) {
	ip, err := netip.ParseAddr(c.Addr)
	return ip, c.Port, err == nil
}

// keptItems are the items a detection's source already put in the vault,
// ready to be logged with the case: a verified report's text. They are the
// vault's only copy, so a failed transaction leaves them for the next try
// rather than discarding them.
func keptItems(f *facts) []evidence.Staged {
	fd, err := f.d.Finding()
	if err != nil || fd.Verified == nil || fd.Verified.Text == nil {
		return nil
	}
	ref := evidence.KindReportedText + ":" + strconv.FormatInt(f.d.ID, 10)
	digest, err := hex.DecodeString(fd.Verified.Text.Digest)
	if err != nil || f.preserved[ref] {
		return nil
	}
	f.preserved[ref] = true
	return []evidence.Staged{{Item: evidence.Item{Kind: evidence.KindReportedText, Ref: ref, ContentType: evidence.ReportedTextType,
		Class: safeguard.RetainContent}, Digest: digest, StorageKey: fd.Verified.Text.StorageKey, Size: fd.Verified.Text.Size}}
}

// items lists what to preserve for a detection: the detection, the
// message and its media, the conversation in the window before it, and the
// account data and connections of the sender and each recipient. Items the
// case already holds (the same message, media or account) are not kept
// twice; the context and connections are kept at each occurrence, as they
// were then.
func (s *Service) items(f *facts) []evidence.Item {
	var out []evidence.Item
	add := func(kind, ref, ct string, v any) {
		if f.preserved[ref] {
			return
		}
		f.preserved[ref] = true
		b, ok := v.([]byte)
		if !ok {
			b, _ = json.Marshal(v)
		}
		out = append(out, evidence.Item{Kind: kind, Ref: ref, ContentType: ct, Class: safeguard.RetainContent, Data: b})
	}
	const js = "application/json"
	d := f.d
	add("detection", "detection:"+strconv.FormatInt(d.ID, 10), js, d)
	if f.msg != nil {
		add("message", "message:"+strconv.FormatInt(f.msg.ID, 10), js, recordOf(f.msg))
	}
	if f.media != nil && f.mediaData != nil {
		add("media", "media:"+strconv.FormatInt(f.media.ID, 10), f.media.ContentType, f.mediaData)
	}
	if len(f.context) > 0 {
		recs := make([]messageRecord, len(f.context))
		for i, m := range f.context {
			recs[i] = recordOf(m)
		}
		add("context", fmt.Sprintf("context:%d@%d", d.ConversationID, d.ID), js, recs)
	}
	accounts := append([]*safeguard.Account{f.sender}, f.recipients...)
	for _, a := range accounts {
		if a == nil {
			continue
		}
		add("account", "account:"+strconv.FormatInt(a.ID, 10), js, accountOf(a, d.At))
		rec := connectionsRecord{AccountID: a.ID, Connections: []connection{}}
		for _, l := range f.logins[a.ID] {
			if c, ok := originConn(l.Origin, l.Origin.At, "login"); ok && l.OK {
				rec.Connections = append(rec.Connections, c)
			}
		}
		for _, m := range f.context {
			if m.SenderID == a.ID {
				if c, ok := originConn(m.Origin, m.CreatedAt, "send"); ok {
					rec.Connections = append(rec.Connections, c)
				}
			}
		}
		add("connections", fmt.Sprintf("connections:%d@%d", a.ID, d.ID), js, rec)
	}
	return out
}
