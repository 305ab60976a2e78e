package risk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// Limits on one replay line.
const (
	MaxReplayMembers  = safeguard.MaxGroupMembers
	MaxReplayMessages = 10_000
)

// ReplayConversation is one line of a replay file: a conversation with its
// members' facts, and, in a labelled corpus, its label.
type ReplayConversation struct {
	ID       string          `json:"id"`
	Members  []ReplayMember  `json:"members"`
	Messages []ReplayMessage `json:"messages"`
	// Label is risk, safe or support in a labelled corpus; FirstRiskIndex
	// is the first message at which a careful reader would see risk.
	Label          string `json:"label,omitempty"`
	FirstRiskIndex *int   `json:"first_risk_index,omitempty"`
	Scenario       string `json:"scenario,omitempty"`
	// Relationship describes how the members know each other, as the
	// corpus's author wrote it; scoring reports recall by it.
	Relationship string `json:"relationship,omitempty"`
}

// ReplayMember is a member as a replay line gives it. Optional fields may be
// absent.
type ReplayMember struct {
	ID                   string `json:"id"`
	AgeBand              string `json:"age_band"`
	DeclaredAge          int    `json:"declared_age,omitempty"`
	Connected            bool   `json:"connected"`
	AccountAgeDays       *int   `json:"account_age_days,omitempty"`
	AgeAssurance         string `json:"age_assurance,omitempty"`
	ContactOrigin        string `json:"contact_origin,omitempty"`
	RefusedMinorAttempts int    `json:"refused_minor_attempts,omitempty"`
	// GuardianOf lists the members whose linked guardian this member is.
	GuardianOf []string `json:"guardian_of,omitempty"`
}

// ReplayMessage is a message as a replay line gives it; T is in seconds from
// the start of the conversation.
type ReplayMessage struct {
	From     string  `json:"from"`
	T        float64 `json:"t"`
	Text     string  `json:"text"`
	HasImage bool    `json:"has_image,omitempty"`
	// At is when it was sent, RFC 3339 with the young person's local
	// offset ("2026-03-07T23:40:00Z"); optional.
	At *time.Time `json:"at,omitempty"`
}

// checkReplayMembers checks each member of c, and returns their IDs.
func checkReplayMembers(c *ReplayConversation) (map[string]bool, error) {
	ids := map[string]bool{}
	for i, m := range c.Members {
		switch {
		case m.ID == "":
			return nil, fmt.Errorf("conversation %q: member %d has no id", c.ID, i)
		case ids[m.ID]:
			return nil, fmt.Errorf("conversation %q: member %q twice", c.ID, m.ID)
		case m.AgeBand != "" && !safeguard.AgeBand(m.AgeBand).Valid():
			return nil, fmt.Errorf("conversation %q: member %q: age_band %q: want child, teen or adult", c.ID, m.ID, m.AgeBand)
		case m.DeclaredAge < 0 || m.DeclaredAge > 130:
			return nil, fmt.Errorf("conversation %q: member %q: declared_age %d out of range", c.ID, m.ID, m.DeclaredAge)
		case m.AgeAssurance != "" && !safeguard.Assurance(m.AgeAssurance).Valid():
			return nil, fmt.Errorf("conversation %q: member %q: age_assurance %q: want self-declared or verified", c.ID, m.ID, m.AgeAssurance)
		case m.AccountAgeDays != nil && *m.AccountAgeDays < 0:
			return nil, fmt.Errorf("conversation %q: member %q: negative account_age_days", c.ID, m.ID)
		case m.RefusedMinorAttempts < 0:
			return nil, fmt.Errorf("conversation %q: member %q: negative refused_minor_attempts", c.ID, m.ID)
		}
		ids[m.ID] = true
	}
	return ids, nil
}

// ParseReplayLine parses and checks one replay line. Unknown fields are
// ignored.
func ParseReplayLine(line []byte) (ReplayConversation, error) {
	var c ReplayConversation
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return c, fmt.Errorf("more than one JSON value on the line")
	}
	if c.ID == "" {
		return c, fmt.Errorf("missing id")
	}
	if len(c.Members) == 0 {
		return c, fmt.Errorf("conversation %q: no members", c.ID)
	}
	if len(c.Members) > MaxReplayMembers {
		return c, fmt.Errorf("conversation %q: %d members, at most %d", c.ID, len(c.Members), MaxReplayMembers)
	}
	if len(c.Messages) > MaxReplayMessages {
		return c, fmt.Errorf("conversation %q: %d messages, at most %d", c.ID, len(c.Messages), MaxReplayMessages)
	}
	ids, err := checkReplayMembers(&c)
	if err != nil {
		return c, err
	}
	for i, m := range c.Messages {
		switch {
		case !ids[m.From]:
			return c, fmt.Errorf("conversation %q: message %d: from %q is not a member", c.ID, i, m.From)
		case m.T < 0 || math.IsNaN(m.T) || math.IsInf(m.T, 0) || m.T > 1e9:
			return c, fmt.Errorf("conversation %q: message %d: t %v: want seconds from the start", c.ID, i, m.T)
		}
	}
	switch c.Label {
	case "", "risk", "safe", "support":
	default:
		return c, fmt.Errorf("conversation %q: label %q: want risk, safe or support", c.ID, c.Label)
	}
	if f := c.FirstRiskIndex; f != nil && (*f < 0 || *f >= len(c.Messages)) {
		return c, fmt.Errorf("conversation %q: first_risk_index %d outside the %d messages", c.ID, *f, len(c.Messages))
	}
	return c, nil
}

// ReplayResult is what replaying one conversation found.
type ReplayResult struct {
	ID         string `json:"id"`
	Alert      bool   `json:"alert"`
	AlertIndex *int   `json:"alert_index"` // the first message at which an enforced rule fired
	// Severity is the highest severity of the enforced rules that fired, or
	// "none".
	Severity string   `json:"severity"`
	Notice   Notice   `json:"notice,omitempty"`
	Rules    []string `json:"rules,omitempty"`  // enforced rules that fired, in order of first firing
	Shadow   []string `json:"shadow,omitempty"` // shadow rules that fired
	// Signals explain the first alert; with no alert, every signal that fired.
	Signals        []Signal `json:"signals"`
	RuleSetVersion string   `json:"rule_set_version"`
}

// Members converts the replay members to the scorer's.
func (c *ReplayConversation) members() []Member {
	out := make([]Member, len(c.Members))
	for i, m := range c.Members {
		out[i] = Member{
			ID: m.ID, AgeBand: safeguard.AgeBand(m.AgeBand), DeclaredAge: m.DeclaredAge,
			AgeAssurance: safeguard.Assurance(m.AgeAssurance), Connected: m.Connected,
			AccountAgeDays: m.AccountAgeDays, ContactOrigin: m.ContactOrigin,
			RefusedMinorAttempts: m.RefusedMinorAttempts, GuardianOf: m.GuardianOf,
		}
	}
	return out
}

// Replay scores a conversation message by message, as the server would.
func (e *Engine) Replay(c ReplayConversation) (ReplayResult, error) {
	members := c.members()
	res := ReplayResult{ID: c.ID, Severity: "none", RuleSetVersion: e.RuleSet().Version(), Signals: []Signal{}}
	var state Conversation
	var all []Signal
	seen := map[string]bool{}
	for _, m := range c.Messages {
		msg := Message{From: m.From, T: time.Duration(m.T * float64(time.Second)), Text: m.Text, HasImage: m.HasImage}
		if m.At != nil {
			msg.At = *m.At
		}
		v, err := e.Score(&state, members, msg)
		if err != nil {
			return res, err
		}
		res.RuleSetVersion = v.RuleSetVersion
		for _, s := range v.Signals {
			if s.MessageIndex == v.MessageIndex {
				all = append(all, s)
			}
		}
		for _, r := range v.Rules {
			key := fmt.Sprint(r.Shadow, r.ID)
			if seen[key] {
				continue
			}
			seen[key] = true
			if r.Shadow {
				res.Shadow = append(res.Shadow, r.ID)
			} else {
				res.Rules = append(res.Rules, r.ID)
			}
		}
		if !v.Alert {
			continue
		}
		if !res.Alert {
			res.Alert = true
			i := v.MessageIndex
			res.AlertIndex = &i
			res.Signals = v.Signals
			res.Notice = v.Notice
		}
		if v.Severity.Rank() > Severity(res.Severity).Rank() {
			res.Severity = string(v.Severity)
		}
		if v.Notice.rank() > res.Notice.rank() {
			res.Notice = v.Notice
		}
	}
	if !res.Alert && all != nil {
		res.Signals = dedupe(all)
	}
	return res, nil
}
