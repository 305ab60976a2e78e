package e2ee

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"maunium.net/go/mautrix/crypto/goolm/account"
	"maunium.net/go/mautrix/crypto/goolm/session"
)

// stateVersion is the version of the device state inside a sealed file.
const stateVersion = 1

// maxStateBytes caps the decrypted state.
const maxStateBytes = 64 << 20

// deviceState is everything a device holds, as JSON. Olm and Megolm objects
// are libolm pickles without their own encryption: the whole state is only
// ever written sealed (Seal, Save).
type deviceState struct {
	Version  int             `json:"v"`
	Device   deviceJSON      `json:"device"`
	Account  []byte          `json:"account"`
	Pins     []pinState      `json:"pins"`
	Sessions []olmState      `json:"sessions"`
	Outbound []outboundState `json:"outbound"`
	Inbound  []inboundState  `json:"inbound"`
}

type pinState struct {
	Keys      DeviceKeys `json:"keys"`
	FirstSeen time.Time  `json:"first_seen"`
	Verified  bool       `json:"verified"`
}

type olmState struct {
	Peer     deviceJSON `json:"peer"`
	Sessions [][]byte   `json:"sessions"`
}

type outboundState struct {
	Conversation int64        `json:"conversation"`
	Session      []byte       `json:"session"`
	Members      []deviceJSON `json:"members"`
	Shared       []deviceJSON `json:"shared"`
	Created      time.Time    `json:"created"`
	Sent         int          `json:"sent"`
}

type inboundState struct {
	Conversation int64      `json:"conversation"`
	Sender       deviceJSON `json:"sender"`
	SessionID    string     `json:"session_id"`
	Session      []byte     `json:"session"`
	Seen         []uint32   `json:"seen"`
}

func deviceList(set map[DeviceID]bool) []deviceJSON {
	ids := slices.SortedFunc(maps.Keys(set), compareDeviceIDs)
	out := make([]deviceJSON, len(ids))
	for i, id := range ids {
		out[i] = toJSON(id)
	}
	return out
}

func deviceSet(list []deviceJSON) map[DeviceID]bool {
	set := make(map[DeviceID]bool, len(list))
	for _, d := range list {
		set[d.id()] = true
	}
	return set
}

// marshalLocked returns the device's state as JSON, in a stable order.
func (d *Device) marshalLocked() ([]byte, error) {
	st := deviceState{Version: stateVersion, Device: toJSON(d.id), Account: d.acct.PickleLibOlm()}
	for _, id := range slices.SortedFunc(maps.Keys(d.pins), compareDeviceIDs) {
		p := d.pins[id]
		st.Pins = append(st.Pins, pinState{Keys: p.Keys, FirstSeen: p.FirstSeen, Verified: p.Verified})
	}
	for _, id := range slices.SortedFunc(maps.Keys(d.olm), compareDeviceIDs) {
		ps := olmState{Peer: toJSON(id)}
		for _, s := range d.olm[id] {
			ps.Sessions = append(ps.Sessions, s.PickleLibOlm())
		}
		st.Sessions = append(st.Sessions, ps)
	}
	for _, conv := range slices.Sorted(maps.Keys(d.out)) {
		og := d.out[conv]
		st.Outbound = append(st.Outbound, outboundState{
			Conversation: conv, Session: og.s.PickleLibOlm(),
			Members: deviceList(og.members), Shared: deviceList(og.shared),
			Created: og.created, Sent: og.sent,
		})
	}
	for _, k := range slices.SortedFunc(maps.Keys(d.in), compareInboundKeys) {
		ig := d.in[k]
		is := inboundState{Conversation: k.Conversation, Sender: toJSON(k.Sender), SessionID: k.SessionID, Session: ig.s.PickleLibOlm()}
		for i, ok := range ig.seen {
			if ok {
				is.Seen = append(is.Seen, i)
			}
		}
		slices.Sort(is.Seen)
		st.Inbound = append(st.Inbound, is)
	}
	return json.Marshal(&st)
}

// unmarshalDevice rebuilds a device from marshalLocked's JSON.
func unmarshalDevice(b []byte, opts Options) (*Device, error) {
	var st deviceState
	if err := strictJSON(b, &st, maxStateBytes); err != nil {
		return nil, err
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("state version %d, want %d", st.Version, stateVersion)
	}
	if err := st.Device.id().Validate(); err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	acct := &account.Account{}
	if err := acct.UnpickleLibOlm(st.Account); err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	d := newDevice(st.Device.id(), acct, opts)
	for _, p := range st.Pins {
		d.pins[p.Keys.ID()] = &pin{Keys: p.Keys, FirstSeen: p.FirstSeen, Verified: p.Verified}
	}
	for _, ps := range st.Sessions {
		for i, raw := range ps.Sessions {
			s := &session.OlmSession{}
			if err := s.UnpickleLibOlm(raw); err != nil {
				return nil, fmt.Errorf("session %d with %s: %w", i, ps.Peer.id(), err)
			}
			d.olm[ps.Peer.id()] = append(d.olm[ps.Peer.id()], s)
		}
	}
	for _, o := range st.Outbound {
		s := &session.MegolmOutboundSession{}
		if err := s.UnpickleLibOlm(o.Session); err != nil {
			return nil, fmt.Errorf("group session in conversation %d: %w", o.Conversation, err)
		}
		d.out[o.Conversation] = &outboundGroup{s: s, members: deviceSet(o.Members), shared: deviceSet(o.Shared), created: o.Created, sent: o.Sent}
	}
	for _, in := range st.Inbound {
		s := &session.MegolmInboundSession{}
		if err := s.UnpickleLibOlm(in.Session); err != nil {
			return nil, fmt.Errorf("received group session %s: %w", in.SessionID, err)
		}
		ig := &inboundGroup{s: s, seen: make(map[uint32]bool, len(in.Seen))}
		for _, i := range in.Seen {
			ig.seen[i] = true
		}
		d.in[inboundKey{Conversation: in.Conversation, Sender: in.Sender.id(), SessionID: in.SessionID}] = ig
	}
	return d, nil
}

func compareInboundKeys(a, b inboundKey) int {
	switch {
	case a.Conversation < b.Conversation:
		return -1
	case a.Conversation > b.Conversation:
		return 1
	}
	if c := compareDeviceIDs(a.Sender, b.Sender); c != 0 {
		return c
	}
	return compareStrings(a.SessionID, b.SessionID)
}
