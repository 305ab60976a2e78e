package messaging_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"slices"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// scanner answers every scan with verdict and err, and counts its scans.
type scanner struct {
	verdict messaging.Verdict
	err     error
	scans   int
}

func (s *scanner) Scan(context.Context, *messaging.Content) (messaging.Verdict, error) {
	s.scans++
	return s.verdict, s.err
}

// update changes a's stored account with fn.
func (w *world) update(a *safeguard.Account, fn func(*safeguard.Account)) {
	w.t.Helper()
	err := w.st.Update(w.t.Context(), func(tx store.Tx) error {
		got, err := tx.Account(w.t.Context(), a.ID)
		if err != nil {
			return err
		}
		fn(got)
		return tx.UpdateAccount(w.t.Context(), got)
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// direct starts the one-to-one conversation of from and to.
func (w *world) direct(from, to *safeguard.Account, e2ee bool) int64 {
	w.t.Helper()
	v, _, err := w.svc.CreateConversation(w.t.Context(), from.ID, messaging.NewConversation{Members: []string{to.Handle}, E2EE: e2ee})
	if err != nil {
		w.t.Fatalf("%s starts a chat with %s: %v", from.Handle, to.Handle, err)
	}
	w.rec.take()
	return v.ID
}

// history returns the IDs of the messages viewer sees in a conversation.
func (w *world) history(viewer *safeguard.Account, conversationID int64) []int64 {
	w.t.Helper()
	h, err := w.svc.History(w.t.Context(), viewer.ID, conversationID, 0, 0, 0)
	if err != nil {
		w.t.Fatalf("history of %s: %v", viewer.Handle, err)
	}
	var ids []int64
	for _, m := range h.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// detections returns the detections about message id.
func (w *world) detections(id int64) []*safeguard.Detection {
	w.t.Helper()
	var out []*safeguard.Detection
	err := w.st.View(w.t.Context(), func(tx store.Tx) (err error) {
		out, err = tx.Detections(w.t.Context(), store.DetectionQuery{MessageID: id})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSendRefusals covers the rules the message path holds before anything
// is scanned or stored: each refusal comes with its code, and nothing is
// scanned.
func TestSendRefusals(t *testing.T) {
	type setup struct {
		w             *world
		ann, bob, cat *safeguard.Account
		plain, e2ee   int64 // ann's with bob, and her E2EE one with dan
	}
	tests := []struct {
		name string
		send func(s setup) error
		kind error
		code string
	}{
		{"a suspended sender", func(s setup) error {
			s.w.update(s.ann, func(a *safeguard.Account) { a.Status = safeguard.Suspended })
			_, err := s.w.svc.SendText(t.Context(), s.ann.ID, s.plain, "hello", safeguard.Origin{})
			return err
		}, safeguard.ErrPermission, policy.ReasonRequesterInactive},
		{"someone not in the conversation", func(s setup) error {
			_, err := s.w.svc.SendText(t.Context(), s.cat.ID, s.plain, "hello", safeguard.Origin{})
			return err
		}, safeguard.ErrNotFound, "not_found"},
		{"a conversation that does not exist", func(s setup) error {
			_, err := s.w.svc.SendText(t.Context(), s.ann.ID, s.plain+100, "hello", safeguard.Origin{})
			return err
		}, safeguard.ErrNotFound, ""},
		{"plain text into an E2EE conversation", func(s setup) error {
			_, err := s.w.svc.SendText(t.Context(), s.ann.ID, s.e2ee, "hello", safeguard.Origin{})
			return err
		}, safeguard.ErrInvalid, "e2ee_requires_envelope"},
		{"an image into an E2EE conversation", func(s setup) error {
			_, err := s.w.svc.SendImage(t.Context(), s.ann.ID, s.e2ee, pngImage(t), "image/png", "", safeguard.Origin{})
			return err
		}, safeguard.ErrInvalid, "e2ee_requires_envelope"},
		{"an envelope into a plain conversation", func(s setup) error {
			_, err := s.w.svc.SendEnvelope(t.Context(), s.ann.ID, s.plain, []byte("sealed"), nil, safeguard.Origin{})
			return err
		}, safeguard.ErrInvalid, "envelope_requires_e2ee"},
		{"to someone who blocked the sender", func(s setup) error {
			if _, err := s.w.svc.Block(t.Context(), s.bob.ID, s.ann.Handle); err != nil {
				return err
			}
			_, err := s.w.svc.SendText(t.Context(), s.ann.ID, s.plain, "hello", safeguard.Origin{})
			return err
		}, safeguard.ErrPermission, "recipient_unavailable"},
		{"an empty message", func(s setup) error {
			_, err := s.w.svc.SendText(t.Context(), s.ann.ID, s.plain, "  ", safeguard.Origin{})
			return err
		}, safeguard.ErrInvalid, "empty_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &scanner{}
			w := newScannedWorld(t, sc)
			s := setup{w: w, ann: w.account("ann", adultBorn), bob: w.account("bob", adultBorn), cat: w.account("cat", adultBorn)}
			dan := w.account("dan", adultBorn)
			for _, a := range []*safeguard.Account{s.ann, dan} {
				w.update(a, func(a *safeguard.Account) { a.Assurance = safeguard.Verified })
			}
			s.plain, s.e2ee = w.direct(s.ann, s.bob, false), w.direct(s.ann, dan, true)
			err := tt.send(s)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want kind %v", err, tt.kind)
			}
			if tt.code != "" && safeguard.ErrorCode(err) != tt.code {
				t.Errorf("code = %q, want %q", safeguard.ErrorCode(err), tt.code)
			}
			if sc.scans != 0 {
				t.Errorf("%d scans of a refused message, want none", sc.scans)
			}
			if n := len(w.history(s.ann, s.plain)); n != 0 {
				t.Errorf("%d messages stored, want none", n)
			}
		})
	}
}

// TestHeldMessage: a held message looks sent to its sender and does not
// exist for its recipients; without a finding of the scanner's own, the
// hold is recorded as a detection so that a person looks.
func TestHeldMessage(t *testing.T) {
	tests := []struct {
		name       string
		verdict    messaging.Verdict
		detections int // detections of the hold itself
	}{
		{"held without a record", messaging.Verdict{Hold: true, Reason: "scan_failed"}, 1},
		{"held with the scanner's record", messaging.Verdict{Hold: true, Reason: "hash_match",
			Record: func(context.Context, messaging.VerdictTx, *safeguard.Message) error { return nil }}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newScannedWorld(t, &scanner{verdict: tt.verdict})
			ann, bob := w.account("ann", adultBorn), w.account("bob", adultBorn)
			conv := w.direct(ann, bob, false)
			ctx := t.Context()
			v, err := w.svc.SendImage(ctx, ann.ID, conv, pngImage(t), "image/png", "look", safeguard.Origin{})
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != safeguard.Held {
				t.Errorf("status = %s, want held", v.Status)
			}
			notes := w.rec.take()
			if len(notes) != 1 || !slices.Equal(notes[0].To, []int64{ann.ID}) {
				t.Errorf("notifications = %+v, want one, to the sender only", notes)
			}
			if got := w.history(ann, conv); !slices.Equal(got, []int64{v.ID}) {
				t.Errorf("sender's history = %v, want [%d]", got, v.ID)
			}
			if got := w.history(bob, conv); len(got) != 0 {
				t.Errorf("recipient's history = %v, want none", got)
			}
			if err := w.svc.MarkRead(ctx, bob.ID, conv, v.ID); !errors.Is(err, safeguard.ErrNotFound) {
				t.Errorf("recipient marks it read: %v, want not found", err)
			}
			if err := w.svc.MarkRead(ctx, ann.ID, conv, v.ID); err != nil {
				t.Errorf("sender marks it read: %v", err)
			}
			if _, _, err := w.svc.OpenMedia(ctx, bob.ID, v.MediaID); !errors.Is(err, safeguard.ErrNotFound) {
				t.Errorf("recipient opens the image: %v, want not found", err)
			}
			if _, _, err := w.svc.OpenMedia(ctx, ann.ID, v.MediaID); err != nil {
				t.Errorf("sender opens the image: %v", err)
			}
			ds := w.detections(v.ID)
			if len(ds) != tt.detections {
				t.Fatalf("%d detections, want %d", len(ds), tt.detections)
			}
			for _, d := range ds {
				if d.Source != safeguard.ScanFailure || !d.Held || d.MediaID != v.MediaID ||
					!slices.Equal(d.RecipientIDs, []int64{bob.ID}) || len(d.Members) != 2 || d.Members[0].AccountID != ann.ID {
					t.Errorf("detection of the hold = %+v", d)
				}
			}
		})
	}
}

// TestScanFailure: content that cannot be checked is held toward a minor
// and delivered between adults (two people of one band write here).
func TestScanFailure(t *testing.T) {
	tests := []struct {
		name string
		born string
		want safeguard.MessageStatus
	}{
		{"toward a minor", teenBorn, safeguard.Held},
		{"between adults", adultBorn, safeguard.Delivered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newScannedWorld(t, &scanner{err: errors.New("scanner down")})
			ann, bob := w.account("ann", tt.born), w.account("bob", tt.born)
			w.connect(ann, bob)
			conv := w.direct(ann, bob, false)
			v, err := w.svc.SendText(t.Context(), ann.ID, conv, "hello", safeguard.Origin{})
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != tt.want {
				t.Errorf("status = %s, want %s", v.Status, tt.want)
			}
		})
	}
}

// TestGroupSendSkipsBlockers: a group member who blocked the sender is not
// told of its messages and does not see them.
func TestGroupSendSkipsBlockers(t *testing.T) {
	w := newWorld(t)
	ann, bob, cat := w.account("ann", adultBorn), w.account("bob", adultBorn), w.account("cat", adultBorn)
	conv := w.group(ann, bob, cat)
	if _, err := w.svc.Block(t.Context(), cat.ID, ann.Handle); err != nil {
		t.Fatal(err)
	}
	w.rec.take()
	v, err := w.svc.SendText(t.Context(), ann.ID, conv, "hello", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	notes := w.rec.take()
	if len(notes) != 1 || !slices.Equal(notes[0].To, []int64{ann.ID, bob.ID}) {
		t.Errorf("notifications = %+v, want one to ann and bob", notes)
	}
	if got := w.history(cat, conv); slices.Contains(got, v.ID) {
		t.Errorf("cat, who blocked ann, sees her message")
	}
}

// TestHistoryAgreesWithMessageSight holds the store's filter of held
// messages to policy.SeesMessage: every member's history is every message
// the function lets it see.
func TestHistoryAgreesWithMessageSight(t *testing.T) {
	sc := &scanner{}
	w := newScannedWorld(t, sc)
	ann, bob, cat := w.account("ann", adultBorn), w.account("bob", adultBorn), w.account("cat", adultBorn)
	conv := w.group(ann, bob, cat)
	var all []*safeguard.Message
	for i, from := range []*safeguard.Account{ann, bob, ann, cat, bob, ann} {
		sc.verdict = messaging.Verdict{Hold: i%2 == 0, Reason: "test"}
		v, err := w.svc.SendText(t.Context(), from.ID, conv, "hello", safeguard.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, v.Message)
	}
	for _, viewer := range []*safeguard.Account{ann, bob, cat} {
		var want []int64
		for _, m := range slices.Backward(all) {
			if policy.SeesMessage(viewer.ID, m) {
				want = append(want, m.ID)
			}
		}
		if got := w.history(viewer, conv); !slices.Equal(got, want) {
			t.Errorf("history of %s = %v, want %v", viewer.Handle, got, want)
		}
	}
}
