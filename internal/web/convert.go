package web

import (
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/notice"
	"github.com/safeguard-dev/safeguard/internal/policy"
)

// The conversions from the domain to the v1 wire types. Whatever a viewer may
// not learn is decided here or above, never left to the client.

func wireAccount(a *safeguard.Account, now time.Time) client.Account {
	band := string(a.Band(now))
	if a.BirthDate.IsZero() {
		band = "" // a deleted account keeps no date of birth
	}
	return client.Account{
		ID: a.ID, Handle: a.Handle, AgeBand: band, AgeAssurance: string(a.Assurance),
		Status: string(a.Status), App: a.App, LocalAuthority: a.LocalAuthority, PoliceForce: a.PoliceForce,
		CreatedAt: a.CreatedAt,
	}
}

func wireNotice(code string) *client.Notice {
	n, ok := notice.Get(code)
	if !ok {
		return nil
	}
	out := &client.Notice{Code: n.Code, Title: n.Title, Text: n.Text, Actions: n.Actions}
	for _, l := range n.Links {
		out.Links = append(out.Links, client.Link{Label: l.Label, Phone: l.Phone, URL: l.URL})
	}
	return out
}

func wireNotices(codes []string) []client.Notice {
	var out []client.Notice
	for _, c := range codes {
		if n := wireNotice(c); n != nil {
			out = append(out, *n)
		}
	}
	return out
}

func wireContact(v *messaging.ContactView) client.Contact {
	dir := "outgoing"
	if v.Incoming {
		dir = "incoming"
	}
	c := client.Contact{ID: v.ID, Direction: dir, State: string(v.State), CreatedAt: v.CreatedAt, Notices: wireNotices(v.Notices)}
	if v.Other != nil {
		c.Handle = v.Other.Handle
	}
	return c
}

func wireContacts(vs []messaging.ContactView) []client.Contact {
	out := make([]client.Contact, 0, len(vs))
	for i := range vs {
		out = append(out, wireContact(&vs[i]))
	}
	return out
}

func wireConversation(v *messaging.ConversationView) client.Conversation {
	c := client.Conversation{ID: v.ID, Kind: string(v.Kind), Title: v.Title, E2EE: v.E2EE, App: v.App, CreatedAt: v.CreatedAt,
		Members: []client.Member{}}
	if n := wireNotice(v.Notice); n != nil {
		c.Notice = *n
	}
	c.SafetyNotice = wireNotice(v.SafetyNotice)
	for _, m := range v.Members {
		if a := v.Accounts[m.AccountID]; a != nil {
			c.Members = append(c.Members, client.Member{Handle: a.Handle, State: string(m.State)})
		}
	}
	return c
}

// wireMessage is a message as viewer sees it (policy.MessageSight): the
// sender sees "sent", whatever the safety checks did; everyone else is given
// only messages it may see, as "delivered".
func wireMessage(v *messaging.MessageView, viewer int64) client.Message {
	m := client.Message{ID: v.ID, ConversationID: v.ConversationID, Kind: string(v.Kind), Text: v.Text,
		MediaID: v.MediaID, Envelope: v.Envelope, FrankingTag: v.FrankingTag, CreatedAt: v.CreatedAt, Status: "delivered",
		Notice: wireNotice(v.Notice)}
	if policy.MessageSight(viewer, v.Message) == policy.SeenSent {
		m.Status = "sent"
	} else {
		m.Blurred = v.Blurred
	}
	if v.Sender != nil {
		m.Sender = v.Sender.Handle
		if v.Sender.Status == safeguard.Deleted {
			m.Sender, m.SenderDeleted = "", true
		}
	}
	return m
}
