package cases

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// ThreadAround is how many messages a case's conversation shows on each
// side of a flagged one.
const ThreadAround = 10

// Thread is a case's conversation as the vault preserved it: the flagged
// messages with ThreadAround messages on each side, oldest first.
type Thread struct {
	Messages []ThreadMessage
	// Items are the evidence entries the thread was read from, in one
	// recorded read.
	Items []int64
	// After counts the preserved messages after the last one shown.
	After int
}

// ThreadMessage is one message of a Thread.
type ThreadMessage struct {
	ID             int64
	ConversationID int64
	SenderID       int64
	Kind           string
	Text           string
	MediaID        int64
	Held           bool
	At             time.Time
	// Occurrence is the number, counted from 1, of the case's occurrence
	// this message is; 0 for a message around them.
	Occurrence int
	// Skipped counts the preserved messages left out just before this one,
	// further than ThreadAround from any flagged message.
	Skipped int
}

// Flagged reports whether the message is one of the case's.
func (m ThreadMessage) Flagged() bool { return m.Occurrence > 0 }

// RevealConversation returns a case's conversation to a moderator: every
// message and context item the case preserved, read in one recorded read
// with the moderator's reason (before any bytes are read), merged into one
// thread around the flagged messages.
func (s *Service) RevealConversation(ctx context.Context, caseID int64, m Moderator, why string) (*Thread, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if _, err := s.CaseFor(ctx, m, caseID); err != nil {
		return nil, err
	}
	v, err := s.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	seqs := threadItems(v.Evidence)
	if len(seqs) == 0 {
		return nil, safeguard.Errorf(safeguard.ErrNotFound, "no_conversation", "No conversation was preserved for this case.")
	}
	_, data, err := s.Vault.ReadAll(ctx, s.Store, caseID, seqs, m.Name, why)
	if err != nil {
		return nil, err
	}
	msgs, err := threadRecords(data)
	if err != nil {
		return nil, err
	}
	occurrence := map[int64]int{}
	for i, o := range v.Occurrences {
		if o.MessageID != 0 && occurrence[o.MessageID] == 0 {
			occurrence[o.MessageID] = i + 1
		}
	}
	t := aroundFlagged(msgs, occurrence, ThreadAround)
	t.Items = seqs
	return t, nil
}

// threadItems are the entries of a case's evidence that hold its messages:
// each message item and each context item whose bytes are still kept.
func threadItems(evidence []safeguard.EvidenceEntry) []int64 {
	deleted := map[int64]bool{}
	for _, e := range evidence {
		if e.Kind == safeguard.EvidenceTombstone {
			deleted[e.Target] = true
		}
	}
	var seqs []int64
	for _, e := range evidence {
		if e.Kind == safeguard.EvidenceItem && (e.ItemKind == "message" || e.ItemKind == "context") && !deleted[e.Seq] {
			seqs = append(seqs, e.Seq)
		}
	}
	return seqs
}

// threadRecords reads the preserved records, each message once, oldest
// first. An item whose bytes are gone (nil) is skipped.
func threadRecords(data [][]byte) ([]messageRecord, error) {
	byID := map[int64]messageRecord{}
	for _, b := range data {
		if b == nil {
			continue
		}
		var ms []messageRecord
		if len(b) > 0 && b[0] == '[' {
			if err := json.Unmarshal(b, &ms); err != nil {
				return nil, fmt.Errorf("read a preserved conversation: %w", err)
			}
		} else {
			var m messageRecord
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("read a preserved message: %w", err)
			}
			ms = append(ms, m)
		}
		for _, m := range ms {
			byID[m.ID] = m
		}
	}
	out := make([]messageRecord, 0, len(byID))
	for _, m := range byID {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b messageRecord) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// aroundFlagged keeps the flagged messages and n on each side of each,
// counting what it leaves out.
func aroundFlagged(msgs []messageRecord, occurrence map[int64]int, n int) *Thread {
	keep := make([]bool, len(msgs))
	if !slices.ContainsFunc(msgs, func(m messageRecord) bool { return occurrence[m.ID] > 0 }) {
		// No message is the case's (a report of an account or a
		// conversation): the latest messages.
		for j := max(0, len(msgs)-2*n-1); j < len(msgs); j++ {
			keep[j] = true
		}
	}
	for i, m := range msgs {
		if occurrence[m.ID] == 0 {
			continue
		}
		for j := max(0, i-n); j <= min(len(msgs)-1, i+n); j++ {
			keep[j] = true
		}
	}
	t := &Thread{}
	skipped := 0
	for i, m := range msgs {
		if !keep[i] {
			skipped++
			continue
		}
		t.Messages = append(t.Messages, ThreadMessage{ID: m.ID, ConversationID: m.ConversationID, SenderID: m.SenderID,
			Kind: m.Kind, Text: m.Text, MediaID: m.MediaID, Held: m.Status == string(safeguard.Held), At: m.At,
			Occurrence: occurrence[m.ID], Skipped: skipped})
		skipped = 0
	}
	t.After = skipped
	return t
}
