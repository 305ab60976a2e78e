package e2ee_test

import (
	"errors"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client/e2ee"
)

// clock is an injected time source that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// directory is an in-memory key directory: device keys, one-time keys
// handed out once each, and a fallback key when those run out.
type directory struct {
	keys     map[e2ee.DeviceID]e2ee.DeviceKeys
	otks     map[e2ee.DeviceID][]e2ee.OneTimeKey
	fallback map[e2ee.DeviceID]e2ee.OneTimeKey
}

func (dir *directory) publish(t testing.TB, d *e2ee.Device) {
	t.Helper()
	k := d.Keys()
	if err := k.Verify(); err != nil {
		t.Fatalf("own keys of %s do not verify: %v", d.ID(), err)
	}
	dir.keys[d.ID()] = k
	for _, otk := range d.UnpublishedKeys() {
		if err := otk.Verify(k); err != nil {
			t.Fatalf("one-time key of %s does not verify: %v", d.ID(), err)
		}
		if otk.Fallback {
			dir.fallback[d.ID()] = otk
		} else {
			dir.otks[d.ID()] = append(dir.otks[d.ID()], otk)
		}
	}
	d.MarkKeysPublished()
}

// claim hands out one one-time key of a device, or its fallback key.
func (dir *directory) claim(t testing.TB, id e2ee.DeviceID) e2ee.OneTimeKey {
	t.Helper()
	if ks := dir.otks[id]; len(ks) > 0 {
		dir.otks[id] = ks[1:]
		return ks[0]
	}
	fb, ok := dir.fallback[id]
	if !ok {
		t.Fatalf("no keys left for %s", id)
	}
	return fb
}

// relay moves envelopes between devices and stores blobs. It knows nothing
// of their content: it is what the server will be.
type relay struct {
	queues map[e2ee.DeviceID][][]byte
	blobs  map[string][]byte
}

func (r *relay) send(to e2ee.DeviceID, env []byte) { r.queues[to] = append(r.queues[to], env) }

// world is a set of devices with a directory and a relay.
type world struct {
	t       testing.TB
	clock   *clock
	dir     *directory
	relay   *relay
	devices map[e2ee.DeviceID]*e2ee.Device
}

func newWorld(t testing.TB) *world {
	return &world{
		t:       t,
		clock:   &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
		dir:     &directory{keys: map[e2ee.DeviceID]e2ee.DeviceKeys{}, otks: map[e2ee.DeviceID][]e2ee.OneTimeKey{}, fallback: map[e2ee.DeviceID]e2ee.OneTimeKey{}},
		relay:   &relay{queues: map[e2ee.DeviceID][][]byte{}, blobs: map[string][]byte{}},
		devices: map[e2ee.DeviceID]*e2ee.Device{},
	}
}

// addDevice makes a device with 5 one-time keys and a fallback key, and
// publishes them.
func (w *world) addDevice(account int64, name string) *e2ee.Device {
	w.t.Helper()
	d, err := e2ee.NewDevice(e2ee.DeviceID{Account: account, Device: name}, e2ee.Options{Now: w.clock.Now})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := d.GenerateOneTimeKeys(5); err != nil {
		w.t.Fatal(err)
	}
	if err := d.GenerateFallbackKey(); err != nil {
		w.t.Fatal(err)
	}
	w.dir.publish(w.t, d)
	w.devices[d.ID()] = d
	return d
}

// connect gives from a pairwise session with each member it lacks one
// with, by claiming keys from the directory.
func (w *world) connect(from *e2ee.Device, members []e2ee.DeviceID) {
	w.t.Helper()
	for _, m := range from.MissingSessions(members) {
		if _, err := from.StartSession(w.dir.keys[m], w.dir.claim(w.t, m)); err != nil {
			w.t.Fatalf("%s starts session with %s: %v", from.ID(), m, err)
		}
	}
}

// send encrypts a message from one device to the others of a conversation
// and queues the key shares and the envelope, the envelope also back to the
// sender (as a server echoes it).
func (w *world) send(from *e2ee.Device, conv int64, members []e2ee.DeviceID, pt e2ee.Plaintext) *e2ee.Outgoing {
	w.t.Helper()
	w.connect(from, members)
	out, err := from.EncryptGroup(conv, members, pt)
	if err != nil {
		w.t.Fatalf("%s encrypts: %v", from.ID(), err)
	}
	for _, share := range out.KeyShares {
		w.relay.send(share.To, share.Envelope)
	}
	for _, m := range members {
		if m != from.ID() {
			w.relay.send(m, out.Envelope)
		}
	}
	w.relay.send(from.ID(), out.Envelope)
	return out
}

// deliver hands a device everything queued for it, as its client would: a
// direct envelope from an unknown device makes it fetch and pin that
// device's keys first. It returns the group messages and the errors of
// envelopes that were refused.
func (w *world) deliver(d *e2ee.Device) ([]*e2ee.Received, []error) {
	w.t.Helper()
	queue := w.relay.queues[d.ID()]
	delete(w.relay.queues, d.ID())
	var got []*e2ee.Received
	var errs []error
	for _, env := range queue {
		kind, err := e2ee.PeekKind(env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch kind {
		case e2ee.KindDirect:
			_, err := d.DecryptDirect(env)
			if errors.Is(err, e2ee.ErrUnknownDevice) {
				de, perr := e2ee.ParseDirectEnvelope(env)
				if perr != nil {
					w.t.Fatal(perr)
				}
				if _, terr := d.TrustKeys(w.dir.keys[de.Sender]); terr != nil {
					errs = append(errs, terr)
					continue
				}
				_, err = d.DecryptDirect(env)
			}
			if err != nil {
				errs = append(errs, err)
			}
		case e2ee.KindGroup:
			r, err := d.DecryptGroup(env)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			got = append(got, r)
		}
	}
	return got, errs
}

// mustDeliver is deliver for a device that must accept everything.
func (w *world) mustDeliver(d *e2ee.Device) []*e2ee.Received {
	w.t.Helper()
	got, errs := w.deliver(d)
	for _, err := range errs {
		w.t.Errorf("%s refused an envelope: %v", d.ID(), err)
	}
	return got
}

func ids(ds ...*e2ee.Device) []e2ee.DeviceID {
	out := make([]e2ee.DeviceID, len(ds))
	for i, d := range ds {
		out[i] = d.ID()
	}
	return out
}

func texts(rs []*e2ee.Received) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Text)
	}
	return out
}
