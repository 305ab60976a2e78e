package e2ee_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
)

// TestTwoAccountsText: two accounts with two devices each. Every device of
// both accounts reads every message, including the sender's other device
// and the sender itself from the relay's echo.
func TestTwoAccountsText(t *testing.T) {
	w := newWorld(t)
	a1, a2 := w.addDevice(1, "A1"), w.addDevice(1, "A2")
	b1, b2 := w.addDevice(2, "B1"), w.addDevice(2, "B2")
	all := []*e2ee.Device{a1, a2, b1, b2}
	members := ids(all...)

	w.send(a1, 10, members, e2ee.Plaintext{Text: "hello from A1"})
	for _, d := range all {
		got := w.mustDeliver(d)
		if diff := cmp.Diff([]string{"hello from A1"}, texts(got)); diff != "" {
			t.Errorf("%s read (-want +got):\n%s", d.ID(), diff)
		}
		if len(got) == 1 && got[0].Sender != a1.ID() {
			t.Errorf("%s: sender %s, want %s", d.ID(), got[0].Sender, a1.ID())
		}
	}
	w.send(b2, 10, members, e2ee.Plaintext{Text: "hi A, from B2"})
	w.send(a1, 10, members, e2ee.Plaintext{Text: "second from A1"})
	for _, d := range all {
		got := w.mustDeliver(d)
		if diff := cmp.Diff([]string{"hi A, from B2", "second from A1"}, texts(got)); diff != "" {
			t.Errorf("%s read (-want +got):\n%s", d.ID(), diff)
		}
	}
}

// TestSessionReusedWhileMembersStay: the group key is shared once; later
// messages to the same members carry no key shares.
func TestSessionReusedWhileMembersStay(t *testing.T) {
	w := newWorld(t)
	a1, b1 := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	first := w.send(a1, 1, ids(a1, b1), e2ee.Plaintext{Text: "one"})
	second := w.send(a1, 1, ids(a1, b1), e2ee.Plaintext{Text: "two"})
	if !first.Rotated || len(first.KeyShares) != 1 {
		t.Errorf("first message: rotated %v with %d key shares, want a new session shared once", first.Rotated, len(first.KeyShares))
	}
	if second.Rotated || len(second.KeyShares) != 0 || second.SessionID != first.SessionID || second.Index != first.Index+1 {
		t.Errorf("second message: rotated %v, %d shares, session %s index %d", second.Rotated, len(second.KeyShares), second.SessionID, second.Index)
	}
	if got := texts(w.mustDeliver(b1)); !cmp.Equal(got, []string{"one", "two"}) {
		t.Errorf("B1 read %q", got)
	}
}

// syntheticPNG draws a harmless textured test image.
func syntheticPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8((x ^ y) * 3), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestThreeAccountsImage: three accounts with two devices each exchange an
// image. The relay stores the blob; every device decrypts and checks it.
func TestThreeAccountsImage(t *testing.T) {
	w := newWorld(t)
	var all []*e2ee.Device
	for acct, names := range map[int64][2]string{1: {"A1", "A2"}, 2: {"B1", "B2"}, 3: {"C1", "C2"}} {
		all = append(all, w.addDevice(acct, names[0]), w.addDevice(acct, names[1]))
	}
	members := ids(all...)
	sender := w.devices[e2ee.DeviceID{Account: 3, Device: "C2"}]

	pic := syntheticPNG(t, 64, 48)
	att, blob, err := e2ee.EncryptAttachment(pic, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, pic[16:48]) {
		t.Fatal("blob contains plaintext bytes")
	}
	att.BlobID = "blob-42" // as the upload answered
	w.relay.blobs[att.BlobID] = blob
	w.send(sender, 7, members, e2ee.Plaintext{Text: "look at this", Attachments: []e2ee.Attachment{att}})

	for _, d := range all {
		got := w.mustDeliver(d)
		if len(got) != 1 || len(got[0].Attachments) != 1 {
			t.Fatalf("%s received %d messages", d.ID(), len(got))
		}
		a := got[0].Attachments[0]
		img, err := a.Decrypt(w.relay.blobs[a.BlobID])
		if err != nil {
			t.Fatalf("%s decrypts the image: %v", d.ID(), err)
		}
		if !bytes.Equal(img, pic) || a.ContentType != "image/png" || got[0].Text != "look at this" {
			t.Errorf("%s: image or caption differs", d.ID())
		}
		// The franking message binds the attachment's hash, key and blob.
		m := got[0].FrankingMessage()
		if err := franking.Verify(got[0].FrankingKey, got[0].Commitment, m); err != nil {
			t.Errorf("%s: franking: %v", d.ID(), err)
		}
	}
}

// TestMembershipChange: a group of three; an added member reads only the
// messages after it joined, a removed member none after it left, for every
// sender's session.
func TestMembershipChange(t *testing.T) {
	w := newWorld(t)
	a, b, c := w.addDevice(1, "A1"), w.addDevice(2, "B1"), w.addDevice(3, "C1")
	const conv = 5
	w.send(a, conv, ids(a, b, c), e2ee.Plaintext{Text: "before D"})
	w.send(b, conv, ids(a, b, c), e2ee.Plaintext{Text: "B before D"})
	for _, x := range []*e2ee.Device{a, b, c} {
		w.mustDeliver(x)
	}
	// D is added. Someone forwards it the old envelopes (the relay must not,
	// but a device must not depend on that).
	d := w.addDevice(4, "D1")
	old := w.send(a, conv, ids(a, b, c), e2ee.Plaintext{Text: "still before D"})
	w.mustDeliver(b)
	w.mustDeliver(c)
	w.mustDeliver(a)
	w.relay.send(d.ID(), old.Envelope)

	after := w.send(a, conv, ids(a, b, c, d), e2ee.Plaintext{Text: "welcome D"})
	if !after.Rotated {
		t.Error("adding a member did not rotate A's session")
	}
	got, errs := w.deliver(d)
	if diff := cmp.Diff([]string{"welcome D"}, texts(got)); diff != "" {
		t.Errorf("D read (-want +got):\n%s", diff)
	}
	if len(errs) != 1 || !errors.Is(errs[0], e2ee.ErrUnknownSession) {
		t.Errorf("D reading a message from before it joined: %v, want ErrUnknownSession", errs)
	}
	for _, x := range []*e2ee.Device{b, c} {
		if got := texts(w.mustDeliver(x)); !cmp.Equal(got, []string{"welcome D"}) {
			t.Errorf("%s read %q", x.ID(), got)
		}
	}
	w.mustDeliver(a)

	// C is removed. Both senders' next messages go to a new session C lacks,
	// though C still gets the envelopes (as if it eavesdropped on the relay).
	for _, sender := range []*e2ee.Device{a, b} {
		out := w.send(sender, conv, ids(a, b, d), e2ee.Plaintext{Text: "without C from " + sender.ID().Device})
		if !out.Rotated {
			t.Errorf("removing C did not rotate %s's session", sender.ID())
		}
		w.relay.send(c.ID(), out.Envelope)
	}
	got, errs = w.deliver(c)
	if len(got) != 0 {
		t.Errorf("removed member C read %q", texts(got))
	}
	if len(errs) != 2 {
		t.Fatalf("C: %d errors, want 2", len(errs))
	}
	for _, err := range errs {
		if !errors.Is(err, e2ee.ErrUnknownSession) {
			t.Errorf("C: %v, want ErrUnknownSession", err)
		}
	}
	for _, x := range []*e2ee.Device{a, b, d} {
		if got := texts(w.mustDeliver(x)); !cmp.Equal(got, []string{"without C from A1", "without C from B1"}) {
			t.Errorf("%s read %q", x.ID(), got)
		}
	}
}

// TestRotateExplicitly: RotateGroupSession starts a new session at the next
// message; older messages stay readable.
func TestRotateExplicitly(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	first := w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "one"})
	a.RotateGroupSession(1)
	second := w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "two"})
	if !second.Rotated || second.SessionID == first.SessionID || len(second.KeyShares) != 1 {
		t.Errorf("after RotateGroupSession: rotated %v, same session %v, %d shares", second.Rotated, second.SessionID == first.SessionID, len(second.KeyShares))
	}
	if got := texts(w.mustDeliver(b)); !cmp.Equal(got, []string{"one", "two"}) {
		t.Errorf("B read %q", got)
	}
}

// TestRotateByAgeAndCount: a session is replaced after its lifetime.
func TestRotateByAgeAndCount(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	first := w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "one"})
	w.clock.Advance(e2ee.DefaultMaxSessionAge)
	second := w.send(a, 1, ids(a, b), e2ee.Plaintext{Text: "a week later"})
	if !second.Rotated || second.SessionID == first.SessionID {
		t.Error("session not rotated after DefaultMaxSessionAge")
	}
	w.mustDeliver(b)
}

func TestEncryptGroupNeedsSessions(t *testing.T) {
	w := newWorld(t)
	a, b := w.addDevice(1, "A1"), w.addDevice(2, "B1")
	if _, err := a.EncryptGroup(1, ids(b), e2ee.Plaintext{Text: "x"}); !errors.Is(err, e2ee.ErrUnknownDevice) {
		t.Errorf("unpinned member: %v, want ErrUnknownDevice", err)
	}
	if _, err := a.TrustKeys(b.Keys()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.EncryptGroup(1, ids(b), e2ee.Plaintext{Text: "x"}); !errors.Is(err, e2ee.ErrNoSession) {
		t.Errorf("no pairwise session: %v, want ErrNoSession", err)
	}
	if got := a.MissingSessions(ids(a, b, b)); !cmp.Equal(got, ids(b)) {
		t.Errorf("MissingSessions = %v", got)
	}
	if _, err := a.EncryptGroup(1, ids(b), e2ee.Plaintext{}); err == nil {
		t.Error("empty message accepted")
	}
}
