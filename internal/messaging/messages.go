package messaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image"
	_ "image/gif" // image types accepted for upload
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/budget"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// MessageView is a message with its sender's account.
type MessageView struct {
	*safeguard.Message
	Sender *safeguard.Account
	// Repeat is true for the answer to a send repeated with its
	// idempotency key: the message the first send stored.
	Repeat bool
	// Notice is the code of the safety notice the viewer was shown about
	// this message (their history only; "" for none). No one else sees it.
	Notice string
	// Blurred: the recipients see the image blurred (an image from one
	// young person to another that may show nudity); its sender never does.
	Blurred bool
}

// Content is what the safety pipeline sees of a message before it is stored
// and delivered: the server-visible content and who it would reach.
type Content struct {
	Message      *safeguard.Message // not yet stored: ID is 0
	Media        *safeguard.Media   // image messages
	Data         []byte             // image bytes
	Sender       *safeguard.Account
	Conversation *safeguard.Conversation
	Recipients   []*safeguard.Account // joined members who would receive it
	// Notice is the conversation's encryption notice code, as its members
	// are shown it with the conversation.
	Notice string
	Now    time.Time
	// Confirmed: the sender was asked to think first about this image
	// (Verdict.Ask) and chose to send it.
	Confirmed bool
}

// MinorRecipient reports whether a minor would receive the content.
func (c *Content) MinorRecipient() bool {
	for _, r := range c.Recipients {
		if r.Band(c.Now).Minor() {
			return true
		}
	}
	return false
}

// Verdict is the safety pipeline's answer about a piece of content.
type Verdict struct {
	// Hold keeps the message from its recipients. The sender is not told:
	// its view of a held message is that of any sent message.
	Hold   bool
	Reason string
	// Record, if set, runs in the transaction that stores the message, after
	// the message has its ID: the detection and the event that opens a case
	// are written with the hold, or not at all.
	Record func(ctx context.Context, tx VerdictTx, m *safeguard.Message) error
	// After, if set, runs once the message is committed (live safety
	// notices for the recipients, for instance).
	After func(ctx context.Context, m *safeguard.Message)
	// Ask, if set and the message is not held, is the answer to the
	// sender instead of sending: nothing is stored or delivered, and the
	// sender may send it again confirmed (Content.Confirmed). A young
	// person's image to another that may show nudity is asked about so.
	Ask error
	// Blur shows the recipients the image blurred (MessageView.Blurred).
	Blur bool
}

// Scanner checks content the server can see before it is delivered.
type Scanner interface {
	Scan(ctx context.Context, c *Content) (Verdict, error)
}

// EnvelopeRelay hands end-to-end encrypted envelopes to the devices of a
// conversation's members (internal/e2ee does).
type EnvelopeRelay interface {
	// Relay runs in the transaction that stores envelope message m, after
	// m has its ID; recipients are the joined members who receive it. An
	// error undoes the message.
	Relay(ctx context.Context, tx store.E2EETx, m *safeguard.Message, recipients []*safeguard.Account) error
}

// DeliverAll is the Scanner that delivers everything; the safety pipeline
// replaces it.
type DeliverAll struct{}

// Scan implements Scanner.
func (DeliverAll) Scan(context.Context, *Content) (Verdict, error) { return Verdict{}, nil }

// Image types accepted for upload.
var imageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// SendText sends a text message.
func (s *Service) SendText(ctx context.Context, senderID, conversationID int64, text string, origin safeguard.Origin) (*MessageView, error) {
	if strings.TrimSpace(text) == "" {
		return nil, safeguard.Invalid("empty_message", "Write something to send.")
	}
	if len(text) > safeguard.MaxTextBytes || !utf8.ValidString(text) {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "message_too_long", "That message is too long.")
	}
	return s.send(ctx, senderID, conversationID, origin, func(c *safeguard.Conversation) (*Content, error) {
		if c.E2EE {
			return nil, safeguard.Invalid("e2ee_requires_envelope",
				"This chat is end-to-end encrypted: the server only accepts encrypted messages here.")
		}
		return &Content{Message: &safeguard.Message{Kind: safeguard.TextMessage, Text: text}}, nil
	})
}

// SendImage sends an image, with an optional caption. The bytes are kept
// encrypted in the media store; what describes them goes to the database.
// The safety checks may ask the sender to think first (Verdict.Ask): the
// answer is then that error, and nothing is stored.
func (s *Service) SendImage(ctx context.Context, senderID, conversationID int64, data []byte, declaredType, caption string, origin safeguard.Origin) (*MessageView, error) {
	return s.sendImage(ctx, senderID, conversationID, data, declaredType, caption, false, origin)
}

// SendImageConfirmed sends an image as SendImage does, once its sender, asked
// to think first about it, chose to send it.
func (s *Service) SendImageConfirmed(ctx context.Context, senderID, conversationID int64, data []byte, declaredType, caption string, origin safeguard.Origin) (*MessageView, error) {
	return s.sendImage(ctx, senderID, conversationID, data, declaredType, caption, true, origin)
}

func (s *Service) sendImage(ctx context.Context, senderID, conversationID int64, data []byte, declaredType, caption string, confirmed bool, origin safeguard.Origin) (*MessageView, error) {
	if int64(len(data)) > s.cfg.MaxImageBytes {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "image_too_large", "That image is too big. The limit is %d MB.", s.cfg.MaxImageBytes>>20)
	}
	if len(data) == 0 {
		return nil, safeguard.Invalid("empty_image", "That file is empty.")
	}
	ct := strings.ToLower(strings.TrimSpace(strings.Split(declaredType, ";")[0]))
	if !slices.Contains(imageTypes, ct) {
		return nil, safeguard.Errorf(safeguard.ErrInvalid, "unsupported_media_type", "Send a JPEG, PNG, GIF or WebP image.")
	}
	if len(caption) > safeguard.MaxTextBytes || !utf8.ValidString(caption) {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "message_too_long", "That caption is too long.")
	}
	sum := sha256.Sum256(data)
	md := &safeguard.Media{OwnerID: senderID, ContentType: ct, Size: int64(len(data)), SHA256: sum[:], Origin: origin}
	if sniffed := http.DetectContentType(data); slices.Contains(imageTypes, sniffed) {
		md.ContentType = sniffed
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			md.Width, md.Height = cfg.Width, cfg.Height
		}
	}
	return s.send(ctx, senderID, conversationID, origin, func(c *safeguard.Conversation) (*Content, error) {
		if c.E2EE {
			return nil, safeguard.Invalid("e2ee_requires_envelope",
				"This chat is end-to-end encrypted: send images encrypted, as your app does.")
		}
		return &Content{Message: &safeguard.Message{Kind: safeguard.ImageMessage, Text: caption}, Media: md, Data: data, Confirmed: confirmed}, nil
	})
}

// SendEnvelope relays an end-to-end encrypted message: opaque ciphertext the
// server cannot read, with the sender's franking commitment beside it. Only
// E2EE conversations take envelopes.
func (s *Service) SendEnvelope(ctx context.Context, senderID, conversationID int64, ciphertext, frankingTag []byte, origin safeguard.Origin) (*MessageView, error) {
	if len(ciphertext) == 0 {
		return nil, safeguard.Invalid("empty_message", "The envelope is empty.")
	}
	if len(ciphertext) > safeguard.MaxEnvelopeBytes {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "message_too_long", "That message is too long.")
	}
	if len(frankingTag) > 64 {
		return nil, safeguard.Invalid("invalid_franking_tag", "The franking tag is too long.")
	}
	return s.send(ctx, senderID, conversationID, origin, func(c *safeguard.Conversation) (*Content, error) {
		if !c.E2EE {
			return nil, safeguard.Invalid("envelope_requires_e2ee",
				"This chat is not end-to-end encrypted: send messages as plain text.")
		}
		return &Content{Message: &safeguard.Message{Kind: safeguard.EnvelopeMessage, Envelope: ciphertext, FrankingTag: frankingTag}}, nil
	})
}

// SendDirect sends a text message to the account with handle, in their
// one-to-one conversation, starting it if needed. A minor the sender may not
// reach is answered exactly like a handle nobody has.
func (s *Service) SendDirect(ctx context.Context, senderID int64, handle, text string, origin safeguard.Origin) (*MessageView, error) {
	v, _, err := s.CreateConversation(ctx, senderID, NewConversation{Members: []string{handle}})
	if err != nil {
		return nil, err
	}
	return s.SendText(ctx, senderID, v.ID, text, origin)
}

// scan asks the safety pipeline about content. Toward a minor it fails
// closed: content that cannot be checked is held for review, never delivered
// unchecked.
func (s *Service) scan(ctx context.Context, c *Content) (Verdict, error) {
	v, err := s.scanner.Scan(ctx, c)
	if err == nil {
		return v, nil
	}
	if safeguard.ErrorCode(err) == budget.CodeBusy {
		// The server has no room to check it now: the message is neither
		// delivered nor kept, and the sender is asked to send it again
		// later, with the same answer whoever the recipients are.
		return Verdict{}, err
	}
	if c.MinorRecipient() {
		s.log.WarnContext(ctx, "scan failed; held toward a minor", "conversation", c.Conversation.ID, "err", err)
		return Verdict{Hold: true, Reason: "scan_failed"}, nil
	}
	if errors.Is(err, safeguard.ErrInvalid) {
		return Verdict{}, err
	}
	s.log.WarnContext(ctx, "scan failed; delivered between adults", "conversation", c.Conversation.ID, "err", err)
	return Verdict{}, nil
}

// History is a page of a conversation's messages.
type History struct {
	Messages []*MessageView
	// Next is the cursor for older messages (Before), 0 when there are none.
	Next int64
}

// History returns messages of a conversation its member may see: held
// messages only to their sender, nothing from someone the viewer blocked.
func (s *Service) History(ctx context.Context, viewerID, conversationID, before, after int64, limit int) (*History, error) {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	out := &History{}
	err := s.view(ctx, func(tx Tx) error {
		c, err := member(ctx, tx, conversationID, viewerID, false)
		if err != nil {
			return err
		}
		ms, err := tx.Messages(ctx, store.MessageQuery{ConversationID: c.ID, Before: before, After: after, Limit: limit + 1, Viewer: viewerID})
		if err != nil {
			return err
		}
		if len(ms) > limit {
			ms = ms[:limit]
			if after == 0 {
				out.Next = ms[len(ms)-1].ID
			}
		}
		out.Messages, err = s.readable(ctx, tx, c, viewerID, ms)
		return err
	})
	return out, err
}

// ShownAs returns message id of conversationID as viewerID's history
// shows it now, or nil when it shows it no more: a moderator removed it,
// the viewer blocked its sender, the viewer left, and the like (History's
// rules); a sender deleted since is "a deleted account". A live event that
// waited (a stream resumed from an earlier event, or events held while the
// bus was down) is checked with it before it is delivered.
func (s *Service) ShownAs(ctx context.Context, viewerID, conversationID, id int64) (*MessageView, error) {
	if id <= 0 {
		return nil, nil
	}
	h, err := s.History(ctx, viewerID, conversationID, id+1, id-1, 1)
	switch {
	case errors.Is(err, safeguard.ErrNotFound) || errors.Is(err, safeguard.ErrPermission):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if len(h.Messages) != 1 || h.Messages[0].ID != id {
		return nil, nil
	}
	return h.Messages[0], nil
}

// shown is what the viewer was shown about one message: the safety notice
// (the latest, if several), and whether the image is blurred for them.
type shown struct {
	notice  string
	blurred bool
}

// shownNotices returns, by message ID, what the viewer was shown about each
// message of a conversation. These are the viewer's own: a notice shown to
// someone else is never read here. An image is blurred for the viewer when
// they were shown the blurred-image notice about it (policy.NoticeNudityBlurred),
// whatever came after it.
func shownNotices(ctx context.Context, tx Tx, viewerID, conversationID int64) (map[int64]shown, error) {
	ns, err := tx.SafetyNotices(ctx, viewerID, conversationID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]shown, len(ns))
	for _, n := range ns {
		sh := out[n.MessageID]
		sh.notice = n.Code
		sh.blurred = sh.blurred || n.Code == policy.NoticeNudityBlurred
		out[n.MessageID] = sh
	}
	return out, nil
}

// addSenders adds to accounts the senders of ms who are no longer members:
// a deleted account's messages stay, shown as from a deleted account.
func addSenders(ctx context.Context, tx Tx, accounts map[int64]*safeguard.Account, ms []*safeguard.Message) error {
	var missing []int64
	for _, m := range ms {
		if accounts[m.SenderID] == nil {
			missing = append(missing, m.SenderID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	more, err := tx.AccountsByID(ctx, uniq(missing))
	if err != nil {
		return err
	}
	for id, a := range more {
		accounts[id] = a
	}
	return nil
}

// MarkRead moves an account's read marker in a conversation.
func (s *Service) MarkRead(ctx context.Context, accountID, conversationID, messageID int64) error {
	now := s.clock()
	var c *safeguard.Conversation
	var reader *safeguard.Account
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if reader, err = load(ctx, tx, accountID); err != nil {
			return err
		}
		if c, err = member(ctx, tx, conversationID, accountID, false); err != nil {
			return err
		}
		m, err := tx.Message(ctx, messageID)
		if err != nil || m.ConversationID != c.ID || !policy.SeesMessage(accountID, m) {
			return safeguard.NotFound
		}
		if beforeJoining(c, reader, now, m) {
			return safeguard.NotFound
		}
		if messageID, err = readThrough(ctx, tx, c.ID, accountID, messageID); err != nil {
			return err
		}
		return tx.SetReadMarker(ctx, safeguard.ReadMarker{ConversationID: c.ID, AccountID: accountID, MessageID: messageID, At: now})
	})
	if err != nil {
		return err
	}
	var to []int64
	for _, m := range c.Members {
		if m.State == safeguard.MemberJoined {
			to = append(to, m.AccountID)
		}
	}
	s.notify.Notify(ctx, Notification{Type: safeguard.EventRead, To: to, Account: reader, Message: &MessageView{Message: &safeguard.Message{ID: messageID, ConversationID: c.ID, SenderID: accountID}}})
	return nil
}

// readThrough returns how far a reader who read message id has read, as
// others see it: past the held messages that follow it, which the reader
// will never see. Their marker stops before the next message they can see,
// or, with none, at the newest message of the conversation, so that a held
// message looks to its sender like one delivered and read.
func readThrough(ctx context.Context, tx Tx, conversationID, readerID, id int64) (int64, error) {
	next, err := tx.Messages(ctx, store.MessageQuery{ConversationID: conversationID, After: id, Limit: 1, Viewer: readerID})
	if err != nil {
		return 0, err
	}
	q := store.MessageQuery{ConversationID: conversationID, Limit: 1}
	if len(next) > 0 {
		q.Before = next[0].ID
	}
	last, err := tx.Messages(ctx, q)
	if err != nil || len(last) == 0 || last[0].ID < id {
		return id, err
	}
	return last[0].ID, nil
}

// ReadMarkers returns the read markers of a conversation for a member.
func (s *Service) ReadMarkers(ctx context.Context, accountID, conversationID int64) ([]safeguard.ReadMarker, error) {
	var out []safeguard.ReadMarker
	err := s.view(ctx, func(tx Tx) error {
		if _, err := member(ctx, tx, conversationID, accountID, false); err != nil {
			return err
		}
		var err error
		out, err = tx.ReadMarkers(ctx, conversationID)
		return err
	})
	return out, err
}

// OpenMedia returns an image to a member of a conversation it was delivered
// in, or to its sender. Anyone else gets not found, and so does an adult
// asking for a young person's image the classifier flagged.
func (s *Service) OpenMedia(ctx context.Context, accountID, mediaID int64) (*safeguard.Media, []byte, error) {
	var md *safeguard.Media
	err := s.view(ctx, func(tx Tx) error {
		var err error
		if md, err = tx.Media(ctx, mediaID); err != nil {
			return err
		}
		if md.OwnerID == accountID {
			return nil
		}
		ids, err := tx.MediaMessages(ctx, mediaID)
		if err != nil {
			return err
		}
		now := s.clock()
		viewer, err := load(ctx, tx, accountID)
		if err != nil {
			return err
		}
		adult := viewer.Band(now) == safeguard.Adult
		for _, id := range ids {
			m, err := tx.Message(ctx, id)
			if err != nil || !policy.SeesMessage(accountID, m) {
				continue
			}
			if hide, err := hiddenFromAdult(ctx, tx, adult, accountID, m); err != nil || hide {
				continue
			}
			c, err := tx.Conversation(ctx, m.ConversationID)
			if err == nil && c.Joined(accountID) && !beforeJoining(c, viewer, now, m) {
				return nil
			}
		}
		return safeguard.NotFound
	})
	if err != nil {
		return nil, nil, err
	}
	data, err := s.media.Get(ctx, md.StorageKey)
	if err != nil {
		return nil, nil, err
	}
	return md, data, nil
}
