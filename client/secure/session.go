// Package secure is end-to-end encrypted messaging for one account on one
// device, on top of the API calls of package client and the building blocks
// of package client/e2ee: it creates and registers the device, keeps its
// one-time keys topped up in the directory, sets up pairwise sessions by
// claiming keys, encrypts text and images for every device of a
// conversation's members, fetches and decrypts what arrives, keeps the
// franking material of each message to report it, and compares safety
// numbers.
//
// History lives on the device: the server deletes envelopes once fetched.
// The device's keys, its sessions and the message history are saved
// together in one file sealed under the user's passphrase (client/e2ee's
// bundle), after every change and before the server is told anything was
// fetched.
//
// A Session checks what the server says: key shares are accepted only from
// devices of current members of the conversation, group messages only from
// member devices, and a device whose identity keys differ from the ones
// pinned is refused until the user compares safety numbers.
package secure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
)

// Defaults of Options.
const (
	DefaultOneTimeKeys = 50
	maxOneTimeKeys     = 100 // what a device keeps at most
	inboxPage          = 100
	historyVersion     = 1
)

// StateFile is the name of the sealed state file in Options.Dir: the
// device's keys and sessions with the message history (a client/e2ee
// bundle).
const StateFile = "state.sgkb"

// Options configure a Session.
type Options struct {
	// Dir holds the sealed state file. With Dir and Store empty everything
	// stays in memory (tests).
	Dir string
	// Store keeps the sealed state where Dir cannot (a browser's storage);
	// used when Dir is empty.
	Store      Store
	Passphrase []byte
	KDF        e2ee.KDFParams // zero: e2ee.DefaultKDF
	// DeviceName names a new device; a random name if empty.
	DeviceName string
	// OneTimeKeys is how many unclaimed one-time keys to keep in the
	// directory; they are topped up when half are gone.
	OneTimeKeys int
	Now         func() time.Time
}

// Store keeps the sealed state of a Session: the bytes are sealed under the
// passphrase before Save sees them, and opened after Load returns them.
type Store interface {
	// Load returns the saved bytes, or nil when nothing was saved yet.
	Load() ([]byte, error)
	// Save replaces the saved bytes; it returns once they are kept.
	Save(sealed []byte) error
}

// Session is one account's end-to-end encrypted messaging on one device.
// It is safe for concurrent use; its calls run one at a time.
type Session struct {
	api    *client.Client
	opts   Options
	me     *client.Account
	dev    *e2ee.Device
	sealer *e2ee.Sealer

	mu     sync.Mutex
	state  localState
	closed bool
}

// localState is the application data saved with the device.
type localState struct {
	Version  int                  `json:"version"`
	Server   string               `json:"server"`
	Account  int64                `json:"account"`
	Cursor   int64                `json:"cursor"`
	Messages map[int64][]*Message `json:"messages"` // by conversation, oldest first
}

// Message is a message of an end-to-end encrypted conversation as this
// device holds it.
type Message struct {
	ID             int64             `json:"id"`
	ConversationID int64             `json:"conversation_id"`
	Sender         string            `json:"sender"`
	SenderDevice   e2ee.DeviceID     `json:"sender_device"`
	Outgoing       bool              `json:"outgoing,omitempty"`
	Text           string            `json:"text,omitempty"`
	Attachments    []e2ee.Attachment `json:"attachments,omitempty"`
	At             time.Time         `json:"at"`
	// What a report needs: the franking key from inside the message, and
	// the receipt and delivery context the server handed out with it.
	FrankingKey []byte `json:"franking_key,omitempty"`
	Receipt     []byte `json:"receipt,omitempty"`
	Context     []byte `json:"context,omitempty"`
}

// Open unlocks (or creates) this device for the account api is logged in
// as, registers it in the key directory and tops up its one-time keys.
func Open(ctx context.Context, api *client.Client, opts Options) (*Session, error) {
	if opts.OneTimeKeys <= 0 {
		opts.OneTimeKeys = DefaultOneTimeKeys
	}
	opts.OneTimeKeys = min(opts.OneTimeKeys, maxOneTimeKeys)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	me, err := api.Me(ctx)
	if err != nil {
		return nil, err
	}
	s := &Session{api: api, opts: opts, me: me}
	if err := s.load(); err != nil {
		return nil, err
	}
	if s.dev == nil {
		name := opts.DeviceName
		if name == "" {
			name = e2ee.NewDeviceName()
		}
		if s.dev, err = e2ee.NewDevice(e2ee.DeviceID{Account: me.ID, Device: name}, e2ee.Options{Now: opts.Now}); err != nil {
			return nil, err
		}
		if opts.Dir != "" || opts.Store != nil {
			if s.sealer, err = e2ee.NewSealer(opts.Passphrase, opts.KDF); err != nil {
				return nil, err
			}
		}
		s.state = localState{Version: historyVersion, Server: api.BaseURL, Account: me.ID, Messages: map[int64][]*Message{}}
		if err := s.dev.GenerateOneTimeKeys(opts.OneTimeKeys); err != nil {
			return nil, err
		}
		if err := s.dev.GenerateFallbackKey(); err != nil {
			return nil, err
		}
		if err := s.saveLocked(); err != nil { // the keys exist before the server sees them
			return nil, err
		}
	}
	if err := s.register(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// load opens the sealed state in Dir or Store, if there is one.
func (s *Session) load() error {
	var dev *e2ee.Device
	var data []byte
	var sealer *e2ee.Sealer
	var err error
	path := filepath.Join(s.opts.Dir, StateFile)
	switch {
	case s.opts.Dir != "":
		dev, data, sealer, err = e2ee.LoadBundle(path, s.opts.Passphrase, e2ee.Options{Now: s.opts.Now})
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
	case s.opts.Store != nil:
		path = "the browser's storage"
		var sealed []byte
		if sealed, err = s.opts.Store.Load(); err != nil || sealed == nil {
			return err
		}
		dev, data, sealer, err = e2ee.OpenBundle(sealed, s.opts.Passphrase, e2ee.Options{Now: s.opts.Now})
	default:
		return nil
	}
	if err != nil {
		return err
	}
	var st localState
	if err := json.Unmarshal(data, &st); err != nil || st.Version != historyVersion {
		sealer.Close()
		return fmt.Errorf("secure: saved history in %s is unreadable (version %d): %v", path, st.Version, err)
	}
	if dev.ID().Account != s.me.ID || st.Account != s.me.ID {
		sealer.Close()
		return fmt.Errorf("secure: %s holds the device of account %d, not of %s (%d)", path, dev.ID().Account, s.me.Handle, s.me.ID)
	}
	if st.Messages == nil {
		st.Messages = map[int64][]*Message{}
	}
	s.dev, s.sealer, s.state = dev, sealer, st
	return nil
}

// saveLocked seals the device and the history together.
func (s *Session) saveLocked() error {
	if s.opts.Dir == "" && s.opts.Store == nil {
		return nil
	}
	if s.closed {
		return errors.New("secure: the session is closed")
	}
	data, err := json.Marshal(&s.state)
	if err != nil {
		return err
	}
	if s.opts.Dir == "" {
		sealed, err := s.sealer.SealBundle(s.dev, data)
		if err != nil {
			return err
		}
		return s.opts.Store.Save(sealed)
	}
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return err
	}
	return s.sealer.SaveBundle(filepath.Join(s.opts.Dir, StateFile), s.dev, data)
}

// register puts the device and its unpublished keys in the directory.
func (s *Session) register(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	otks, fallback := s.unpublished()
	if _, err := s.api.RegisterDevice(ctx, client.DeviceRegistration{Keys: client.DeviceKeys(s.dev.Keys()),
		OneTimeKeys: otks, FallbackKey: fallback}); err != nil {
		return fmt.Errorf("register device %s: %w", s.dev.ID().Device, err)
	}
	s.dev.MarkKeysPublished()
	if err := s.saveLocked(); err != nil {
		return err
	}
	d, err := s.api.Devices(ctx)
	if err != nil {
		return err
	}
	for _, x := range d {
		if x.Keys.Device == s.dev.ID().Device {
			return s.refillLocked(ctx, x.KeyCount)
		}
	}
	return nil
}

func (s *Session) unpublished() ([]client.OneTimeKey, *client.OneTimeKey) {
	var otks []client.OneTimeKey
	var fallback *client.OneTimeKey
	for _, k := range s.dev.UnpublishedKeys() {
		w := client.OneTimeKey(k)
		if k.Fallback {
			fallback = &w
		} else {
			otks = append(otks, w)
		}
	}
	return otks, fallback
}

// refillLocked tops up the directory's one-time keys when half are gone,
// and makes a fallback key if the directory has none.
func (s *Session) refillLocked(ctx context.Context, have client.KeyCount) error {
	changed := false
	if have.OneTimeKeys < s.opts.OneTimeKeys/2 {
		if err := s.dev.GenerateOneTimeKeys(s.opts.OneTimeKeys - have.OneTimeKeys); err != nil {
			return err
		}
		changed = true
	}
	if !have.FallbackKey {
		if err := s.dev.GenerateFallbackKey(); err != nil {
			return err
		}
		changed = true
	}
	otks, fallback := s.unpublished()
	if !changed && len(otks) == 0 && fallback == nil {
		return nil
	}
	if err := s.saveLocked(); err != nil {
		return err
	}
	if _, err := s.api.UploadKeys(ctx, s.dev.ID().Device, client.KeyUpload{OneTimeKeys: otks, FallbackKey: fallback}); err != nil {
		return fmt.Errorf("upload one-time keys: %w", err)
	}
	s.dev.MarkKeysPublished()
	return s.saveLocked()
}

// Device returns this device's id.
func (s *Session) Device() e2ee.DeviceID { return s.dev.ID() }

// Account returns the account the session is for.
func (s *Session) Account() client.Account { return *s.me }

// Keys returns this device's signed identity keys.
func (s *Session) Keys() e2ee.DeviceKeys { return s.dev.Keys() }

// History returns the messages of a conversation this device holds, oldest
// first.
func (s *Session) History(conversationID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.state.Messages[conversationID] {
		out = append(out, *m)
	}
	return out
}

// Message returns a message this device holds.
func (s *Session) Message(conversationID, messageID int64) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findLocked(conversationID, messageID); m != nil {
		return *m, true
	}
	return Message{}, false
}

func (s *Session) findLocked(conversationID, messageID int64) *Message {
	for _, m := range s.state.Messages[conversationID] {
		if m.ID == messageID {
			return m
		}
	}
	return nil
}

// addLocked keeps a message in the history, in id order.
func (s *Session) addLocked(m *Message) {
	ms := s.state.Messages[m.ConversationID]
	i, found := slices.BinarySearchFunc(ms, m.ID, func(a *Message, id int64) int { return int(a.ID - id) })
	if found {
		ms[i] = m
		return
	}
	s.state.Messages[m.ConversationID] = slices.Insert(ms, i, m)
}

// Close saves the state and forgets the keys derived from the passphrase.
// The Session cannot save again; closing it twice does nothing.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	err := s.saveLocked()
	if s.sealer != nil {
		s.sealer.Close()
	}
	s.closed = true
	return err
}

// Delete removes this device from the directory and its state from disk.
func (s *Session) Delete(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.api.DeleteDevice(ctx, s.dev.ID().Device); err != nil && client.ErrorCode(err) != "device_not_found" {
		return err
	}
	if s.opts.Dir != "" {
		if err := os.Remove(filepath.Join(s.opts.Dir, StateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// userError is an error with a sentence for the user, of a kind.
func userError(kind error, code, format string, args ...any) error {
	return safeguard.Errorf(kind, code, format, args...)
}
