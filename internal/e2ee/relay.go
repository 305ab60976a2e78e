package e2ee

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"

	safeguard "github.com/safeguard-dev/safeguard"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Relay queues a group envelope, just stored as message m, for every device
// of the recipients and for the sender's other devices. It runs in the
// transaction that stores the message (messaging calls it), so a message is
// stored with its deliveries or not at all. The envelope's header must name
// the message's conversation and sender, and a device of the sender in the
// directory; a franking tag, if sent, must be the header's commitment.
// A held message is not handed out.
func (s *Service) Relay(ctx context.Context, tx store.E2EETx, m *safeguard.Message, recipients []*safeguard.Account) error {
	env, err := CheckGroupEnvelope(m.Envelope, m.ConversationID, m.SenderID)
	if err != nil {
		return err
	}
	if len(m.FrankingTag) > 0 && !bytes.Equal(m.FrankingTag, env.Commitment[:]) {
		return safeguard.Invalid("franking_tag_mismatch", "The franking tag is not the commitment in the envelope.")
	}
	// The recipients were loaded afresh by the message path; keep those
	// who are verified adults now (all of them, in an E2EE conversation).
	ids := []int64{m.SenderID}
	for _, r := range recipients {
		if r.Status == safeguard.Active && r.VerifiedAdult(m.CreatedAt) {
			ids = append(ids, r.ID)
		}
	}
	devices, err := tx.Devices(ctx, ids)
	if err != nil {
		return err
	}
	var items []*safeguard.InboxItem
	registered := false
	for _, d := range devices {
		if d.AccountID == m.SenderID && d.Name == env.Sender.Device {
			registered = true
			continue
		}
		items = append(items, &safeguard.InboxItem{DeviceID: d.ID, Kind: safeguard.InboxGroup, SenderID: m.SenderID,
			SenderDevice: env.Sender.Device, ConversationID: m.ConversationID, MessageID: m.ID, CreatedAt: m.CreatedAt})
	}
	if !registered {
		return safeguard.Invalid("unknown_device", "The sending device %q is not registered. Register it before sending.", env.Sender.Device)
	}
	if m.Status != safeguard.Delivered {
		return nil
	}
	if len(items) == 0 {
		return tx.ReleaseEnvelopes(ctx, []int64{m.ID})
	}
	return tx.AppendInbox(ctx, items)
}

// CheckGroupEnvelope parses a group envelope and checks that its header
// names the conversation and the sender account it is sent in and by.
func CheckGroupEnvelope(b []byte, conversationID, senderID int64) (ce.GroupEnvelope, error) {
	env, err := ce.ParseGroupEnvelope(b)
	if err != nil {
		return ce.GroupEnvelope{}, fieldError("envelope", err)
	}
	if env.Conversation != conversationID {
		return ce.GroupEnvelope{}, safeguard.Invalid("envelope_mismatch", "The envelope is for conversation %d, not this one.", env.Conversation)
	}
	if env.Sender.Account != senderID {
		return ce.GroupEnvelope{}, safeguard.Invalid("envelope_mismatch", "The envelope names another sender.")
	}
	return env, nil
}

// SendToDevice queues direct envelopes from one of the caller's devices for
// other devices: the caller's own, and those of verified adults it shares
// an end-to-end encrypted conversation with. Each envelope must carry the
// sending device's registered identity key, so a client cannot pass off
// pairwise messages as another device's.
func (s *Service) SendToDevice(ctx context.Context, accountID int64, req ToDevice) (int, error) {
	if err := limit(s.toDeviceLimit, accountID); err != nil {
		return 0, err
	}
	now := s.clock()
	err := updateTx(ctx, s.store, func(tx Tx) error {
		if _, err := s.participant(ctx, tx, accountID, now); err != nil {
			return err
		}
		from, err := ownDevice(ctx, tx, accountID, req.From)
		if err != nil {
			return err
		}
		reach, err := peers(ctx, tx, accountID)
		if err != nil {
			return err
		}
		accounts, err := verifiedAccounts(ctx, tx, slices.Sorted(maps.Keys(reach)), now)
		if err != nil {
			return err
		}
		var items []*safeguard.InboxItem
		for i, m := range req.Messages {
			if base64.RawStdEncoding.EncodeToString(m.Parsed.SenderKey[:]) != from.Curve25519 {
				return safeguard.Invalid("identity_key_mismatch",
					"messages[%d]: the envelope carries another identity key than the sending device's.", i)
			}
			if accounts[m.To.Account] == nil {
				return unreachable(m.To)
			}
			d, err := tx.Device(ctx, m.To.Account, m.To.Device)
			if errors.Is(err, safeguard.ErrNotFound) {
				return unreachable(m.To)
			}
			if err != nil {
				return err
			}
			if d.ID == from.ID {
				return safeguard.Invalid("invalid_request", "messages[%d]: a device does not send to itself.", i)
			}
			items = append(items, &safeguard.InboxItem{DeviceID: d.ID, Kind: safeguard.InboxDirect, SenderID: accountID,
				SenderDevice: from.Name, Envelope: m.Envelope, CreatedAt: now})
		}
		return tx.AppendInbox(ctx, items)
	})
	if err != nil {
		return 0, err
	}
	return len(req.Messages), nil
}

// unreachable is the answer for a device the caller may not send to: the
// same as for a device that does not exist.
func unreachable(id ce.DeviceID) error {
	return safeguard.Errorf(safeguard.ErrNotFound, "device_not_found", "There is no device %s you can send to.", id)
}

// Delivery is one inbox item as a device receives it. A group item comes
// with its franking receipt, made as it is handed out, and the delivery
// context the receipt covers, to report the message later. A direct item
// comes with the sending device's signed keys, to pin or check them.
type Delivery struct {
	Item       *safeguard.InboxItem
	Sender     *safeguard.Account
	SenderKeys *ce.DeviceKeys // direct items
	Receipt    []byte         // group items
	Context    []byte         // group items
}

// Inbox is what a device fetches.
type Inbox struct {
	Items []Delivery
	// Next is the cursor to pass as after next time: it acknowledges
	// every item up to it, which the server then deletes.
	Next int64
	Keys KeyCount
}

// Fetch acknowledges (deletes) the items of one of the caller's devices up
// to after, and returns the next ones, oldest first. Group envelopes of
// conversations the caller has left or was removed from are dropped, not
// handed out. An account that is no longer a verified adult gets nothing.
func (s *Service) Fetch(ctx context.Context, accountID int64, device string, after int64, n int) (*Inbox, error) {
	if n <= 0 {
		n = DefaultInboxLimit
	}
	n = min(n, MaxInboxLimit)
	now := s.clock()
	out := &Inbox{}
	var groups []*Delivery
	err := updateTx(ctx, s.store, func(tx Tx) error {
		*out, groups = Inbox{Next: after}, nil
		if _, err := s.participant(ctx, tx, accountID, now); err != nil {
			return err
		}
		d, err := ownDevice(ctx, tx, accountID, device)
		if err != nil {
			return err
		}
		if after > 0 {
			if _, err := tx.AckInbox(ctx, d.ID, after); err != nil {
				return err
			}
		}
		items, err := tx.Inbox(ctx, d.ID, after, n)
		if err != nil {
			return err
		}
		joined := map[int64]bool{}
		var senders []int64
		for _, it := range items {
			senders = append(senders, it.SenderID)
			if it.Kind == safeguard.InboxGroup {
				if _, ok := joined[it.ConversationID]; !ok {
					_, err := e2eeConversation(ctx, tx, it.ConversationID, accountID)
					joined[it.ConversationID] = err == nil
				}
			}
		}
		accounts, err := tx.AccountsByID(ctx, senders)
		if err != nil {
			return err
		}
		for _, it := range items {
			out.Next = it.ID
			if it.Kind == safeguard.InboxGroup && (!joined[it.ConversationID] || it.Envelope == nil) {
				continue
			}
			dv := Delivery{Item: it, Sender: accounts[it.SenderID]}
			if it.Kind == safeguard.InboxDirect {
				sd, err := tx.Device(ctx, it.SenderID, it.SenderDevice)
				if errors.Is(err, safeguard.ErrNotFound) {
					continue // the sending device is gone: its keys cannot be checked
				}
				if err != nil {
					return err
				}
				k := DeviceKeys(sd)
				dv.SenderKeys = &k
			}
			out.Items = append(out.Items, dv)
		}
		for i := range out.Items {
			if out.Items[i].Item.Kind == safeguard.InboxGroup {
				groups = append(groups, &out.Items[i])
			}
		}
		c, fb, err := tx.OneTimeKeyCount(ctx, d.ID)
		out.Keys = KeyCount{OneTimeKeys: c, Fallback: fb}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.stamp(accountID, groups); err != nil {
		return nil, err
	}
	return out, nil
}

// stamp binds each group envelope's commitment to its delivery to
// recipient: the sender and sending device, the recipient account, the
// conversation, the time the server accepted the message and its id. The
// receipt is computed now, with the current key, and kept nowhere.
func (s *Service) stamp(recipient int64, ds []*Delivery) error {
	signer := franking.Signer{Keys: s.keys}
	var kids []uint32
	for _, d := range ds {
		env, err := ce.ParseGroupEnvelope(d.Item.Envelope)
		if err != nil {
			return fmt.Errorf("stored envelope of message %d: %w", d.Item.MessageID, err)
		}
		fc := franking.Context{
			SenderAccount:    d.Item.SenderID,
			SenderDevice:     d.Item.SenderDevice,
			RecipientAccount: recipient,
			ConversationID:   d.Item.ConversationID,
			ServerTime:       d.Item.CreatedAt,
			MessageID:        d.Item.MessageID,
		}
		r, err := signer.Stamp(env.Commitment, fc)
		if err != nil {
			return fmt.Errorf("stamp message %d: %w", d.Item.MessageID, err)
		}
		if d.Receipt, err = r.MarshalBinary(); err != nil {
			return err
		}
		if d.Context, err = fc.MarshalBinary(); err != nil {
			return err
		}
		kids = append(kids, r.KeyID)
	}
	return s.ensureSaved(kids)
}
