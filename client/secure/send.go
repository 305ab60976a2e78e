package secure

import (
	"context"
	"errors"
	"fmt"
	"slices"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
)

// roster is the member devices of a conversation, as the server lists them.
type roster struct {
	devices []e2ee.DeviceID
	keys    map[e2ee.DeviceID]e2ee.DeviceKeys
	handles map[int64]string
}

func (r *roster) has(id e2ee.DeviceID) bool { _, ok := r.keys[id]; return ok }

// roster fetches the member devices of a conversation. A conversation the
// caller is no longer in has none.
func (s *Session) roster(ctx context.Context, conversationID int64) (*roster, error) {
	r := &roster{keys: map[e2ee.DeviceID]e2ee.DeviceKeys{}, handles: map[int64]string{}}
	ck, err := s.api.ConversationKeys(ctx, conversationID)
	if client.ErrorCode(err) == "not_found" {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	for _, m := range ck.Members {
		r.handles[m.Account] = m.Handle
		for _, k := range m.Devices {
			dk := e2ee.DeviceKeys(k)
			if dk.Account != m.Account {
				continue // a directory that mixes up accounts is not believed
			}
			r.keys[dk.ID()] = dk
			r.devices = append(r.devices, dk.ID())
		}
	}
	return r, nil
}

// connectLocked pins every member device's keys and starts pairwise sessions
// with those this device has none with, claiming their one-time keys. It
// returns the devices to encrypt for: those with no key left to claim are
// left out (they cannot be reached until they upload more). A device whose
// identity keys differ from the ones pinned stops everything.
func (s *Session) connectLocked(ctx context.Context, r *roster) ([]e2ee.DeviceID, error) {
	own := s.dev.ID()
	for _, id := range r.devices {
		if id == own {
			continue
		}
		if _, err := s.dev.TrustKeys(r.keys[id]); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", r.handles[id.Account], id.Device, err)
		}
	}
	missing := s.dev.MissingSessions(r.devices)
	if len(missing) == 0 {
		return r.devices, nil
	}
	var refs []client.DeviceRef
	for _, id := range missing {
		refs = append(refs, client.DeviceRef{Account: id.Account, Device: id.Device})
	}
	res, err := s.api.ClaimKeys(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("claim keys: %w", err)
	}
	unreachable := map[e2ee.DeviceID]bool{}
	for _, m := range res.Missing {
		unreachable[e2ee.DeviceID{Account: m.Account, Device: m.Device}] = true
	}
	for _, k := range res.Keys {
		id := e2ee.DeviceID{Account: k.Account, Device: k.Device}
		if !slices.Contains(missing, id) {
			continue
		}
		if _, err := s.dev.StartSession(r.keys[id], e2ee.OneTimeKey(k)); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", r.handles[id.Account], id.Device, err)
		}
	}
	var out []e2ee.DeviceID
	for _, id := range r.devices {
		if !unreachable[id] && (id == own || s.dev.HasSession(id)) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Send encrypts a text message for every device of a conversation's
// members and sends it.
func (s *Session) Send(ctx context.Context, conversationID int64, text string) (*Message, error) {
	return s.send(ctx, conversationID, e2ee.Plaintext{Text: text}, nil)
}

// SendImage encrypts an image under a fresh key, uploads it as a blob of
// the conversation, and sends a message that carries the blob's id, key and
// hash, with an optional caption.
func (s *Session) SendImage(ctx context.Context, conversationID int64, contentType string, data []byte, caption string) (*Message, error) {
	att, blob, err := e2ee.EncryptAttachment(data, contentType)
	if err != nil {
		return nil, err
	}
	return s.send(ctx, conversationID, e2ee.Plaintext{Text: caption, Attachments: []e2ee.Attachment{att}}, [][]byte{blob})
}

func (s *Session) send(ctx context.Context, conversationID int64, pt e2ee.Plaintext, blobs [][]byte) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.roster(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	if !r.has(s.dev.ID()) {
		return nil, userError(safeguard.ErrNotFound, "not_a_member",
			"This device is not in that conversation: it is not end-to-end encrypted, or you are not in it.")
	}
	members, err := s.connectLocked(ctx, r)
	if err != nil {
		return nil, err
	}
	for i, b := range blobs {
		up, err := s.api.UploadBlob(ctx, conversationID, b)
		if err != nil {
			return nil, fmt.Errorf("upload attachment: %w", err)
		}
		pt.Attachments[i].BlobID = up.ID
	}
	out, err := s.dev.EncryptGroup(conversationID, members, pt)
	if err != nil {
		return nil, err
	}
	// The ratchets moved: save before anything leaves, so a crash cannot
	// make this device reuse a message key.
	if err := s.saveLocked(); err != nil {
		return nil, err
	}
	if len(out.KeyShares) > 0 {
		req := client.ToDeviceRequest{Device: s.dev.ID().Device}
		for _, ks := range out.KeyShares {
			req.Messages = append(req.Messages, client.ToDeviceMessage{Account: ks.To.Account, Device: ks.To.Device, Envelope: ks.Envelope})
		}
		if _, err := s.api.SendToDevice(ctx, req); err != nil {
			s.dev.RotateGroupSession(conversationID) // the next message shares a new key with everyone
			return nil, fmt.Errorf("share the message key: %w", err)
		}
	}
	sent, err := s.api.SendEnvelope(ctx, conversationID, out.Envelope, out.Commitment[:])
	if err != nil {
		return nil, err
	}
	m := &Message{ID: sent.ID, ConversationID: conversationID, Sender: s.me.Handle, SenderDevice: s.dev.ID(),
		Outgoing: true, Text: pt.Text, Attachments: pt.Attachments, At: sent.CreatedAt}
	s.addLocked(m)
	if err := s.saveLocked(); err != nil {
		return nil, err
	}
	c := *m
	return &c, nil
}

// Image fetches and decrypts attachment i of a message. Nothing is
// returned unless the bytes match the hash the sender committed to.
func (s *Session) Image(ctx context.Context, m Message, i int) ([]byte, error) {
	if i < 0 || i >= len(m.Attachments) {
		return nil, errors.New("secure: no such attachment")
	}
	a := m.Attachments[i]
	blob, err := s.api.Blob(ctx, m.ConversationID, a.BlobID)
	if err != nil {
		return nil, err
	}
	return a.Decrypt(blob)
}
