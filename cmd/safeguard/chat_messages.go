package main

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/secure"
)

// send sends text to the open conversation: encrypted for every member
// device in an end-to-end encrypted one, as it is in any other.
func (c *chat) send(ctx context.Context, text string) error {
	conv, err := c.current()
	if err != nil {
		return err
	}
	if conv.E2EE {
		if c.e2ee == nil {
			return errors.New("this account cannot use end-to-end encryption")
		}
		m, err := c.e2ee.Send(ctx, conv.ID, text)
		if err != nil {
			return err
		}
		c.printSecure(ctx, *m)
		return nil
	}
	m, err := c.api.SendText(ctx, conv.ID, text)
	if err != nil {
		return err
	}
	c.printPlain(ctx, *m)
	return nil
}

func (c *chat) sendImage(ctx context.Context, path, caption string) error {
	conv, err := c.current()
	if err != nil {
		return err
	}
	if path == "" {
		return errors.New("give the path of an image: /image photo.png [caption]")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	ctype := http.DetectContentType(data)
	if conv.E2EE {
		if c.e2ee == nil {
			return errors.New("this account cannot use end-to-end encryption")
		}
		m, err := c.e2ee.SendImage(ctx, conv.ID, ctype, data, caption)
		if err != nil {
			return err
		}
		c.printSecure(ctx, *m)
		return nil
	}
	m, err := c.api.SendImage(ctx, conv.ID, filepath.Base(path), ctype, data, caption)
	if client.ErrorCode(err) == client.CodeConfirmImage {
		// A young person's image to another that may show nudity: they
		// are asked to think first, and nothing was sent.
		if !c.confirm(explain(err), "Send it anyway? (yes/no): ") {
			c.say("Not sent.")
			return nil
		}
		m, err = c.api.SendImageConfirmed(ctx, conv.ID, filepath.Base(path), ctype, data, caption)
	}
	if err != nil {
		return err
	}
	c.printPlain(ctx, *m)
	return nil
}

// confirm prints why it asks, with Childline's number, and asks question;
// only "yes" is yes (in any case, spaces around it ignored): "y" is too
// easily typed for something that cannot be taken back.
func (c *chat) confirm(why, question string) bool {
	c.say("ℹ %s", why)
	c.say("    Call Childline free on 0800 1111")
	c.say("    Chat to a Childline counsellor online: https://www.childline.org.uk/get-support/1-2-1-counsellor-chat/")
	answer, err := c.in.prompt(c.out, question)
	if err != nil {
		return false
	}
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "yes"
}

// show shows a blurred image once its recipient, warned, chooses to see it.
func (c *chat) show(ctx context.Context, rest string) error {
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return errors.New("give the number of the message: /show 12")
	}
	c.mu.Lock()
	mediaID, ok := c.blurred[id]
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("message #%d is not a blurred image", id)
	}
	if !c.confirm("This picture might show nudity. You don't have to look at it, and please don't share it.", "See it? (yes/no): ") {
		c.say("Not shown.")
		return nil
	}
	where := c.saveImage(ctx, id, 0, func() ([]byte, string, error) { return c.api.Media(ctx, mediaID) })
	c.say("#%d [image %s]", id, where)
	return nil
}

func clock(t time.Time) string { return t.Local().Format("15:04") }

// printPlain prints a message of a conversation the server can see.
func (c *chat) printPlain(ctx context.Context, m client.Message) {
	who := m.Sender
	if who == c.me.Handle {
		who = "you"
	}
	switch {
	case m.MediaID != 0 && m.Blurred:
		// Not saved until the recipient chooses to see it (/show).
		c.mu.Lock()
		if c.blurred == nil {
			c.blurred = map[int64]int64{}
		}
		c.blurred[m.ID] = m.MediaID
		c.mu.Unlock()
		c.say("#%d %s %s: [blurred image: it might show nudity; /show %d to see it] %s", m.ID, clock(m.CreatedAt), who, m.ID, m.Text)
	case m.MediaID != 0:
		where := c.saveImage(ctx, m.ID, 0, func() ([]byte, string, error) { return c.api.Media(ctx, m.MediaID) })
		c.say("#%d %s %s: [image %s] %s", m.ID, clock(m.CreatedAt), who, where, m.Text)
	case m.Kind == "envelope":
		c.say("#%d %s %s: [encrypted message]", m.ID, clock(m.CreatedAt), who)
	default:
		c.say("#%d %s %s: %s", m.ID, clock(m.CreatedAt), who, m.Text)
	}
	if m.Notice != nil {
		c.notices([]client.Notice{*m.Notice}) // kept with the message, shown with the history
	}
}

// printSecure prints a message of an end-to-end encrypted conversation, as
// this device decrypted it.
func (c *chat) printSecure(ctx context.Context, m secure.Message) {
	who := m.Sender
	if m.Outgoing {
		who = "you"
		if m.SenderDevice != c.e2ee.Device() {
			who = "you (" + m.SenderDevice.Device + ")"
		}
	}
	text := m.Text
	for i, a := range m.Attachments {
		where := c.saveImage(ctx, m.ID, i, func() ([]byte, string, error) {
			b, err := c.e2ee.Image(ctx, m, i)
			return b, a.ContentType, err
		})
		text = strings.TrimSpace(fmt.Sprintf("[image %s] %s", where, text))
	}
	c.say("#%d %s 🔒 %s: %s", m.ID, clock(m.At), who, text)
}

// saveImage writes a received image where the user can open it, once, and
// returns where it is (or why not).
func (c *chat) saveImage(ctx context.Context, id int64, i int, fetch func() ([]byte, string, error)) string {
	pattern := filepath.Join(c.images, fmt.Sprintf("%d-%d.*", id, i))
	if found, _ := filepath.Glob(pattern); len(found) > 0 {
		return found[0]
	}
	data, ctype, err := fetch()
	if err != nil {
		return "not available: " + explain(err)
	}
	ext := ".bin"
	if exts, _ := mime.ExtensionsByType(http.DetectContentType(data)); len(exts) > 0 {
		ext = exts[len(exts)-1]
	} else if exts, _ := mime.ExtensionsByType(ctype); len(exts) > 0 {
		ext = exts[0]
	}
	if err := os.MkdirAll(c.images, 0o700); err != nil {
		return "not saved: " + err.Error()
	}
	path := filepath.Join(c.images, fmt.Sprintf("%d-%d%s", id, i, ext))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "not saved: " + err.Error()
	}
	return fmt.Sprintf("%s, %d bytes", path, len(data))
}

// listen prints live events until ctx ends, reconnecting when the stream
// closes — except when the session ended or a newer stream of the account
// took its place (see docs/api.md).
func (c *chat) listen(ctx context.Context) {
	for ctx.Err() == nil {
		events, err := c.api.Events(ctx)
		last := ""
		if err == nil {
			for ev := range events {
				last = ev.Type
				c.event(ctx, ev)
			}
		}
		switch last {
		case "session.ended":
			c.say("(your session has ended: start the chat again to log in)")
			return
		case "stream.replaced":
			c.say("(live updates moved to a newer window of this account)")
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}

func (c *chat) event(ctx context.Context, ev client.Event) {
	switch {
	case ev.Type == "message.created" && ev.Message != nil:
		m := ev.Message
		if m.Kind == "envelope" {
			c.syncE2EE(ctx)
			return
		}
		if m.Sender == c.me.Handle {
			return // printed when sent
		}
		c.mu.Lock()
		open := c.open != nil && c.open.ID == m.ConversationID
		c.mu.Unlock()
		if open {
			c.printPlain(ctx, *m)
		} else {
			c.say("(new message from %s in conversation %d: /open %d)", m.Sender, m.ConversationID, m.ConversationID)
		}
	case ev.Type == "device.changed" && ev.Device != nil && ev.Device.Handle != c.me.Handle:
		c.say("(%s %s a device, %s: messages you send now are encrypted for their current devices)",
			ev.Device.Handle, ev.Device.Change, ev.Device.Device)
	case ev.Type == "conversation.added" || ev.Type == "conversation.member":
		if ev.Conversation != nil {
			c.remember(ev.Conversation)
			c.say("(conversation %d, %s: members now %s)", ev.Conversation.ID, title(ev.Conversation, c.me.Handle), members(ev.Conversation))
		}
	case ev.Type == "contact.requested" && ev.Contact != nil && ev.Contact.Direction == "incoming":
		c.say("(%s asks to be your contact: /accept %d)", ev.Contact.Handle, ev.Contact.ID)
	case ev.Type == "contact.accepted" && ev.Contact != nil:
		c.say("(%s is now your contact)", ev.Contact.Handle)
	}
	if ev.Notice != nil {
		c.notices([]client.Notice{*ev.Notice})
	}
}

func members(v *client.Conversation) string {
	var out []string
	for _, m := range v.Members {
		if m.State == "joined" || m.State == "invited" {
			s := m.Handle
			if m.State == "invited" {
				s += " (invited)"
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// syncE2EE fetches what waits for this device and prints it.
func (c *chat) syncE2EE(ctx context.Context) {
	if c.e2ee == nil {
		return
	}
	up, err := c.e2ee.Sync(ctx)
	if err != nil {
		c.say("! could not fetch encrypted messages: %s", explain(err))
	}
	if up == nil {
		return
	}
	c.mu.Lock()
	openID := int64(0)
	if c.open != nil {
		openID = c.open.ID
	}
	c.mu.Unlock()
	for _, m := range up.Messages {
		if m.ConversationID == openID {
			c.printSecure(ctx, m)
		} else {
			c.say("(new 🔒 message from %s in conversation %d: /open %d)", m.Sender, m.ConversationID, m.ConversationID)
		}
	}
	for _, p := range up.Problems {
		c.say("! a message from %s (device %s) was refused: %s", orUnknown(p.Sender), p.SenderDevice.Device, explain(p.Err))
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown sender"
	}
	return s
}

func (c *chat) safety(ctx context.Context) error {
	conv, err := c.current()
	if err != nil {
		return err
	}
	if !conv.E2EE || c.e2ee == nil {
		return errors.New("safety numbers are for end-to-end encrypted chats")
	}
	peers, err := c.e2ee.SafetyNumbers(ctx, conv.ID)
	if err != nil {
		return err
	}
	if len(peers) == 0 {
		c.say("No other devices in this chat yet.")
	}
	for _, p := range peers {
		state := p.Trust.String()
		if p.Changed {
			state = "KEYS CHANGED — compare before you trust it"
		}
		c.say("%s, device %s (%s):\n    %s", p.Handle, p.Device.Device, state, p.Number)
	}
	c.say("Compare these with the numbers on the other person's screen, in person or on a call. /verify HANDLE DEVICE when they match.")
	return nil
}

func (c *chat) verify(ctx context.Context, rest string) error {
	conv, err := c.current()
	if err != nil {
		return err
	}
	handle, device, _ := strings.Cut(rest, " ")
	if c.e2ee == nil || !conv.E2EE {
		return errors.New("verification is for end-to-end encrypted chats")
	}
	peers, err := c.e2ee.SafetyNumbers(ctx, conv.ID)
	if err != nil {
		return err
	}
	for _, p := range peers {
		if strings.EqualFold(p.Handle, handle) && p.Device.Device == strings.TrimSpace(device) {
			if p.Changed {
				if err := c.e2ee.AcceptIdentityChange(ctx, conv.ID, p.Device); err != nil {
					return err
				}
			}
			if err := c.e2ee.MarkVerified(p.Device); err != nil {
				return err
			}
			c.say("%s's device %s is verified.", handle, p.Device.Device)
			return nil
		}
	}
	return fmt.Errorf("%s has no device %q in this chat; /safety lists them", handle, device)
}

func (c *chat) report(ctx context.Context, rest string) error {
	conv, err := c.current()
	if err != nil {
		return err
	}
	idText, reason, _ := strings.Cut(rest, " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	if err != nil {
		return errors.New("give the number of the message: /report 42 [reason]")
	}
	reason = strings.TrimSpace(reason)
	if !conv.E2EE {
		return errors.New("in this chat, use your app's report button: the server can already see these messages")
	}
	res, err := c.e2ee.Report(ctx, conv.ID, id, reason)
	if err != nil {
		return err
	}
	c.say("Reported. The message was verified and sent to the moderators (reference %d).", res.DetectionID)
	c.notices(res.Notices)
	return nil
}

func (c *chat) contacts(ctx context.Context) error {
	cs, err := c.api.Contacts(ctx)
	if err != nil {
		return err
	}
	for _, x := range cs.Contacts {
		c.say("  contact  %s", x.Handle)
	}
	for _, x := range cs.Incoming {
		c.say("  [%d] %s asks to be your contact: /accept %d", x.ID, x.Handle, x.ID)
	}
	for _, x := range cs.Outgoing {
		c.say("  waiting for %s (%s)", x.Handle, x.State)
	}
	if len(cs.Contacts)+len(cs.Incoming)+len(cs.Outgoing) == 0 {
		c.say("No contacts yet: /contact HANDLE.")
	}
	return nil
}

// notices prints support notices, with where to get help.
func (c *chat) notices(ns []client.Notice) {
	for _, n := range ns {
		c.say("ℹ %s", n.Text)
		for _, l := range n.Links {
			parts := []string{l.Label}
			if l.Phone != "" && !strings.Contains(l.Label, l.Phone) {
				parts = append(parts, l.Phone)
			}
			if l.URL != "" {
				parts = append(parts, l.URL)
			}
			c.say("    %s", strings.Join(parts, " — "))
		}
	}
}
