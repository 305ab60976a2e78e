package secure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
)

// Problem is an envelope this device refused: it could not be decrypted or
// verified, or it came from a device that is not a member.
type Problem struct {
	ConversationID int64 // 0 for a direct envelope
	MessageID      int64
	Sender         string
	SenderDevice   e2ee.DeviceID
	Err            error
}

// ErrNotMember is the cause of a Problem with an envelope or key share from
// a device that is not a member of the conversation it is for.
var ErrNotMember = errors.New("secure: sender device is not a member of the conversation")

// Update is what one Sync brought.
type Update struct {
	Messages []Message
	Problems []Problem
}

// Sync fetches everything waiting for this device and decrypts it: key
// shares first (they are queued before the messages that need them), then
// the messages. Each page is saved, sealed, before the server is told it
// was fetched; the server then deletes it.
func (s *Session) Sync(ctx context.Context) (*Update, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	up := &Update{}
	rosters := map[int64]*roster{}
	member := func(conv int64, id e2ee.DeviceID) (bool, error) {
		r, ok := rosters[conv]
		if !ok {
			var err error
			if r, err = s.roster(ctx, conv); err != nil {
				return false, err
			}
			rosters[conv] = r
		}
		return r.has(id), nil
	}
	for {
		in, err := s.api.Inbox(ctx, s.dev.ID().Device, s.state.Cursor, inboxPage)
		if err != nil {
			return up, err
		}
		if len(in.Items) == 0 && in.Next == s.state.Cursor {
			return up, s.refillLocked(ctx, in.KeyCount)
		}
		for _, it := range in.Items {
			if err := s.receiveLocked(it, up, member); err != nil {
				return up, err
			}
		}
		s.state.Cursor = in.Next
		if err := s.saveLocked(); err != nil {
			return up, err
		}
	}
}

func (s *Session) receiveLocked(it client.InboxItem, up *Update, member func(int64, e2ee.DeviceID) (bool, error)) error {
	from := e2ee.DeviceID{Account: it.SenderAccount, Device: it.SenderDevice}
	problem := func(err error) {
		up.Problems = append(up.Problems, Problem{ConversationID: it.ConversationID, MessageID: it.MessageID,
			Sender: it.Sender, SenderDevice: from, Err: err})
	}
	switch it.Kind {
	case "direct":
		if it.SenderKeys == nil || it.SenderKeys.Account != from.Account || it.SenderKeys.Device != from.Device {
			problem(errors.New("secure: key share without the sending device's keys"))
			return nil
		}
		if _, err := s.dev.TrustKeys(e2ee.DeviceKeys(*it.SenderKeys)); err != nil {
			problem(err)
			return nil
		}
		msg, err := s.dev.DecryptDirect(it.Envelope)
		if err != nil {
			problem(err)
			return nil
		}
		if msg.GroupKey != nil {
			// Accept a key share only from a device of a current member.
			// (The key was installed under the sender's identity, so a
			// stranger could only ever speak as itself; DecryptGroup's
			// membership check below refuses that too.)
			ok, err := member(msg.GroupKey.Conversation, msg.From)
			if err != nil {
				return err
			}
			if !ok {
				problem(fmt.Errorf("key share for conversation %d: %w", msg.GroupKey.Conversation, ErrNotMember))
			}
		}
	case "group":
		ok, err := member(it.ConversationID, from)
		if err != nil {
			return err
		}
		if !ok {
			problem(ErrNotMember)
			return nil
		}
		r, err := s.dev.DecryptGroup(it.Envelope)
		if err != nil {
			problem(err)
			return nil
		}
		if r.Conversation != it.ConversationID || r.Sender != from {
			problem(errors.New("secure: the server filed this message under another conversation or sender"))
			return nil
		}
		m := &Message{ID: it.MessageID, ConversationID: it.ConversationID, Sender: it.Sender, SenderDevice: r.Sender,
			Outgoing: r.Sender.Account == s.me.ID, Text: r.Text, Attachments: r.Attachments, At: it.CreatedAt,
			FrankingKey: r.FrankingKey, Receipt: it.Receipt, Context: it.Context}
		s.addLocked(m)
		up.Messages = append(up.Messages, *m)
	}
	return nil
}

// Report reports a received message to the server's moderators with its
// franking report: the message as the sender wrote it, the franking key from
// inside it, and the receipt and delivery context the server handed out with
// it. The server verifies it and opens a case. reason is a report reason
// code (see client.FrankingReportRequest); empty means something_else.
func (s *Session) Report(ctx context.Context, conversationID, messageID int64, reason string) (*client.ReportResult, error) {
	s.mu.Lock()
	m := s.findLocked(conversationID, messageID)
	var rep franking.Report
	var err error
	if m != nil && !m.Outgoing {
		rep, err = reportOf(m)
	}
	s.mu.Unlock()
	if m == nil || m.Outgoing {
		return nil, userError(safeguard.ErrNotFound, "not_found", "There is no message %d you received here.", messageID)
	}
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return s.api.ReportFranking(ctx, client.FrankingReportRequest{Report: b, Reason: reason})
}

// ReportOf returns the franking report of a received message, as Report
// sends it.
func ReportOf(m Message) (franking.Report, error) { return reportOf(&m) }

func reportOf(m *Message) (franking.Report, error) {
	receipt, err := franking.ParseReceipt(m.Receipt)
	if err != nil {
		return franking.Report{}, err
	}
	fc, err := franking.ParseContext(m.Context)
	if err != nil {
		return franking.Report{}, err
	}
	r := e2ee.Received{Text: m.Text, Attachments: m.Attachments, FrankingKey: m.FrankingKey}
	return r.Report(receipt, fc), nil
}

// Peer is another device in a conversation, with its safety number.
type Peer struct {
	Handle string
	Device e2ee.DeviceID
	// Number is the safety number of this device and the peer, as the
	// directory has its keys now: 60 digits in groups of 5.
	Number string
	Trust  e2ee.Trust
	// Changed is set when the directory's keys differ from the ones this
	// device pinned: compare Number before AcceptIdentityChange.
	Changed bool
}

// SafetyNumbers returns the safety number of this device with every other
// member device of a conversation, pinning keys seen for the first time.
func (s *Session) SafetyNumbers(ctx context.Context, conversationID int64) ([]Peer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.roster(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	own := s.dev.Keys()
	var out []Peer
	for _, id := range r.devices {
		if id == s.dev.ID() {
			continue
		}
		keys := r.keys[id]
		p := Peer{Handle: r.handles[id.Account], Device: id}
		trust, err := s.dev.TrustKeys(keys)
		switch {
		case errors.Is(err, e2ee.ErrIdentityChanged):
			p.Changed = true
		case err != nil:
			return nil, err
		default:
			p.Trust = trust
		}
		if p.Number, err = e2ee.SafetyNumber(own, keys); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, s.saveLocked()
}

// MarkVerified records that the user compared the safety number of a peer
// device and it matched.
func (s *Session) MarkVerified(peer e2ee.DeviceID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.dev.MarkVerified(peer); err != nil {
		return err
	}
	return s.saveLocked()
}

// AcceptIdentityChange pins the keys the directory now has for a peer device
// of a conversation, after the user compared its safety number.
func (s *Session) AcceptIdentityChange(ctx context.Context, conversationID int64, peer e2ee.DeviceID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.roster(ctx, conversationID)
	if err != nil {
		return err
	}
	keys, ok := r.keys[peer]
	if !ok {
		return userError(safeguard.ErrNotFound, "not_found", "Device %s is not in that conversation.", peer)
	}
	if err := s.dev.AcceptIdentityChange(keys); err != nil {
		return err
	}
	return s.saveLocked()
}
