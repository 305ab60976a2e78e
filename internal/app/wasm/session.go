//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall/js"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/client/secure"
)

// session is the JavaScript face of a secure.Session.
type session struct {
	s     *secure.Session
	api   *client.Client
	funcs []js.Func // released on close, so that the session can go
}

func newSession(s *secure.Session, api *client.Client) js.Value {
	x := &session{s: s, api: api}
	o := js.Global().Get("Object").New()
	o.Set("device", s.Device().Device)
	o.Set("account", s.Account().ID)
	o.Set("handle", s.Account().Handle)
	methods := map[string]func(ctx context.Context, args []js.Value) (any, error){
		"send":          x.send,
		"sendImage":     x.sendImage,
		"message":       x.message,
		"sync":          x.sync,
		"safetyNumbers": x.safetyNumbers,
		"report":        x.report,
		"close":         x.close,
	}
	for name, m := range methods {
		f := js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(func(ctx context.Context) (any, error) { return m(ctx, args) })
		})
		x.funcs = append(x.funcs, f)
		o.Set(name, f)
	}
	return o
}

// id reads a conversation or message id: a number, or a string of digits.
func id(args []js.Value, i int) (int64, error) {
	if i >= len(args) {
		return 0, safeguard.Invalid("invalid_id", "A conversation or message is missing.")
	}
	v := args[i]
	switch v.Type() {
	case js.TypeNumber:
		if f := v.Float(); f > 0 && f == float64(int64(f)) {
			return int64(f), nil
		}
	case js.TypeString:
		var n int64
		for _, c := range v.String() {
			if c < '0' || c > '9' || n > 1<<53 {
				return 0, safeguard.Invalid("invalid_id", "That is not a conversation or message.")
			}
			n = n*10 + int64(c-'0')
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, safeguard.Invalid("invalid_id", "That is not a conversation or message.")
}

func str(args []js.Value, i int) string {
	if i >= len(args) || args[i].Type() != js.TypeString {
		return ""
	}
	return args[i].String()
}

// send(conversationId, text) → {id, created_at}.
func (x *session) send(ctx context.Context, args []js.Value) (any, error) {
	conv, err := id(args, 0)
	if err != nil {
		return nil, err
	}
	text := str(args, 1)
	if strings.TrimSpace(text) == "" {
		return nil, safeguard.Invalid("empty_message", "Write a message first.")
	}
	m, err := x.s.Send(ctx, conv, text)
	if err != nil {
		return nil, err
	}
	return sent(m), nil
}

// sendImage(conversationId, bytes Uint8Array, contentType, caption) → {id, created_at}.
func (x *session) sendImage(ctx context.Context, args []js.Value) (any, error) {
	conv, err := id(args, 0)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 || args[1].Type() != js.TypeObject || args[1].Get("length").Type() != js.TypeNumber {
		return nil, safeguard.Invalid("no_image", "Choose a photo to send.")
	}
	data := bytesOf(args[1])
	ct := str(args, 2)
	if sniffed := http.DetectContentType(data); !strings.HasPrefix(sniffed, "image/") {
		return nil, safeguard.Invalid("not_an_image", "That file is not a photo. Choose a JPEG, PNG, GIF or WebP image.")
	} else if ct == "" {
		ct = sniffed
	}
	m, err := x.s.SendImage(ctx, conv, ct, data, str(args, 3))
	if err != nil {
		return nil, err
	}
	return sent(m), nil
}

func sent(m *secure.Message) js.Value {
	o := js.Global().Get("Object").New()
	o.Set("id", m.ID)
	o.Set("created_at", m.At.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"))
	return o
}

// message(conversationId, messageId) → {id, sender, outgoing, text, image,
// content_type}: the message as this device decrypted it, fetching what
// waits in the inbox first if the device does not hold it yet. image is a
// Uint8Array (or null), decrypted and checked against the sender's hash.
func (x *session) message(ctx context.Context, args []js.Value) (any, error) {
	conv, err := id(args, 0)
	if err != nil {
		return nil, err
	}
	msg, err := id(args, 1)
	if err != nil {
		return nil, err
	}
	m, ok := x.s.Message(conv, msg)
	if !ok {
		up, err := x.s.Sync(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range up.Problems {
			if p.MessageID == msg && p.ConversationID == conv {
				return nil, problemError(p)
			}
		}
		if m, ok = x.s.Message(conv, msg); !ok {
			return nil, safeguard.Errorf(safeguard.ErrNotFound, "not_on_this_device",
				"This message cannot be read on this device. It was sent before this device was set up for encrypted chats.")
		}
	}
	o := js.Global().Get("Object").New()
	o.Set("id", m.ID)
	o.Set("conversation_id", m.ConversationID)
	o.Set("sender", m.Sender)
	o.Set("outgoing", m.Outgoing)
	o.Set("text", m.Text)
	o.Set("image", js.Null())
	if len(m.Attachments) > 0 {
		img, err := x.s.Image(ctx, m, 0)
		if err != nil {
			return nil, err
		}
		o.Set("image", uint8Array(img))
		o.Set("content_type", m.Attachments[0].ContentType)
	}
	return o, nil
}

// problemError explains why a message could not be read.
func problemError(p secure.Problem) error {
	var se *safeguard.Error
	if errors.As(p.Err, &se) {
		return se
	}
	if errors.Is(p.Err, secure.ErrNotMember) {
		return safeguard.Errorf(safeguard.ErrInvalid, "not_a_member", "This message came from a device that is not in this chat, so it is not shown.")
	}
	return safeguard.Errorf(safeguard.ErrInvalid, "e2ee_tampered", "This message could not be decrypted.")
}

// sync() → {messages: [{id, conversation_id}], problems: [{conversation_id,
// message_id, sender, message}]}: fetches and decrypts everything waiting.
func (x *session) sync(ctx context.Context, _ []js.Value) (any, error) {
	up, err := x.s.Sync(ctx)
	if err != nil {
		return nil, err
	}
	ms := js.Global().Get("Array").New()
	for _, m := range up.Messages {
		o := js.Global().Get("Object").New()
		o.Set("id", m.ID)
		o.Set("conversation_id", m.ConversationID)
		ms.Call("push", o)
	}
	ps := js.Global().Get("Array").New()
	for _, p := range up.Problems {
		o := js.Global().Get("Object").New()
		o.Set("id", p.MessageID)
		o.Set("conversation_id", p.ConversationID)
		o.Set("sender", p.Sender)
		o.Set("message", jsError(problemError(p)).Get("message"))
		ps.Call("push", o)
	}
	o := js.Global().Get("Object").New()
	o.Set("messages", ms)
	o.Set("problems", ps)
	return o, nil
}

// safetyNumbers(conversationId) → [{handle, device, number, verified,
// changed}] for every other member device.
func (x *session) safetyNumbers(ctx context.Context, args []js.Value) (any, error) {
	conv, err := id(args, 0)
	if err != nil {
		return nil, err
	}
	peers, err := x.s.SafetyNumbers(ctx, conv)
	if err != nil {
		return nil, err
	}
	out := js.Global().Get("Array").New()
	for _, p := range peers {
		o := js.Global().Get("Object").New()
		o.Set("handle", p.Handle)
		o.Set("device", p.Device.Device)
		o.Set("number", p.Number)
		o.Set("verified", p.Trust == e2ee.TrustVerified)
		o.Set("changed", p.Changed)
		out.Call("push", o)
	}
	return out, nil
}

// report(conversationId, messageId, reason) → {detection_id, status,
// notices: [{code, title, text, links}]}: sends the message's franking report, which the server verifies.
func (x *session) report(ctx context.Context, args []js.Value) (any, error) {
	conv, err := id(args, 0)
	if err != nil {
		return nil, err
	}
	msg, err := id(args, 1)
	if err != nil {
		return nil, err
	}
	r, err := x.s.Report(ctx, conv, msg, str(args, 2))
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return js.Global().Get("JSON").Call("parse", string(b)), nil
}

// close() saves the state, forgets the keys derived from the passphrase,
// and lets go of the session: its methods cannot be called any more.
func (x *session) close(context.Context, []js.Value) (any, error) {
	err := x.s.Close()
	for _, f := range x.funcs {
		f.Release()
	}
	x.funcs = nil
	return nil, err
}
